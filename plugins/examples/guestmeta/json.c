/*
 * json.c - the strict JSON validator (json.h).
 *
 * One loop walks the bytes once.  Its state is what may come next (a
 * value, a member name, ':', ',' or a closing bracket) and the stack of
 * open containers, kept as bits of one integer (1 = object, 0 = array):
 * nesting costs one bit, not a stack frame, so no input can make us
 * recurse, and the depth limit is checked before a level is opened.
 * Strings, numbers and literals are scanned by small helpers that only
 * move forward; every one checks the end of input before each byte.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

#if defined(__GNUC__)
#define JSON_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define JSON_PRINTF(f, a)
#endif

enum want {
    W_VALUE,            /* after ':' or after ',' in an array */
    W_VALUE_OR_END,     /* after '[' */
    W_NAME_OR_END,      /* after '{' */
    W_NAME,             /* after ',' in an object */
    W_COLON,
    W_NEXT,             /* ',' or the closing bracket */
    W_DONE,             /* the top-level object is closed */
};

struct jp {
    const uint8_t *p;
    size_t n, i;
    unsigned depth, max_depth;
    uint64_t objects;           /* bit d-1 set: level d is an object */
    enum want want;
    struct json_capture *cap;
    bool capture_next;          /* the next value is cap->key's */
    struct json_result *res;
    char *err;
    size_t errlen;
};

/* A decoded string's first bytes, kept while short, ASCII and NUL-free. */
struct sbuf {
    char s[JSON_CAPTURE_MAX + 1];
    size_t len;
    bool fits;
};

static int fail(struct jp *j, const char *fmt, ...) JSON_PRINTF(2, 3);
static int fail(struct jp *j, const char *fmt, ...)
{
    va_list ap;

    j->res->err_at = j->i;
    va_start(ap, fmt);
    vsnprintf(j->err, j->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* How to name byte c in a message. */
static const char *show(uint8_t c, char *buf, size_t len)
{
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, len, "'%c'", c);
    else
        snprintf(buf, len, "byte 0x%02x", c);
    return buf;
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static void skip_ws(struct jp *j)
{
    while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' ||
                           j->p[j->i] == '\n' || j->p[j->i] == '\r'))
        j->i++;
}

static void put(struct sbuf *sb, uint32_t cp)
{
    if (cp == 0 || cp >= 0x80 || sb->len == JSON_CAPTURE_MAX)
        sb->fits = false;
    else
        sb->s[sb->len++] = (char)cp;
}

static int hex4(struct jp *j, size_t at, uint32_t *out)
{
    uint32_t v = 0;

    if (j->n - at < 4) {
        j->i = j->n;
        return fail(j, "truncated \\u escape");
    }
    for (size_t k = at; k < at + 4; k++) {
        uint8_t c = j->p[k];
        uint32_t d;
        if (is_digit(c))
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else {
            j->i = k;
            return fail(j, "\\u escape needs 4 hex digits");
        }
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* At a '\\' inside a string. */
static int escape(struct jp *j, uint32_t *cp)
{
    static const char simple[] = "\"\\/bfnrt";
    static const char value[] = "\"\\/\b\f\n\r\t";
    uint32_t hi, lo;

    if (j->n - j->i < 2) {
        j->i = j->n;
        return fail(j, "unterminated string");
    }
    uint8_t e = j->p[j->i + 1];
    const char *s = e ? strchr(simple, e) : NULL;
    if (s) {
        *cp = (uint8_t)value[s - simple];
        j->i += 2;
        return 0;
    }
    if (e != 'u') {
        j->i++;
        return fail(j, "invalid escape \\%c", e > 0x20 && e < 0x7f ? e : '?');
    }
    if (hex4(j, j->i + 2, &hi))
        return -1;
    if (hi >= 0xdc00 && hi <= 0xdfff)
        return fail(j, "\\u%04x is a low surrogate without a high one", hi);
    if (hi < 0xd800 || hi > 0xdbff) {
        *cp = hi;
        j->i += 6;
        return 0;
    }
    j->i += 6;
    if (j->n - j->i < 2 || j->p[j->i] != '\\' || j->p[j->i + 1] != 'u')
        return fail(j, "high surrogate \\u%04x not followed by a low one",
                    hi);
    if (hex4(j, j->i + 2, &lo))
        return -1;
    if (lo < 0xdc00 || lo > 0xdfff)
        return fail(j, "high surrogate \\u%04x followed by \\u%04x", hi,
                    lo);
    *cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
    j->i += 6;
    return 0;
}

/* At a byte >= 0x80 inside a string: one well-formed UTF-8 sequence. */
static int utf8(struct jp *j, uint32_t *cp)
{
    uint8_t c = j->p[j->i];
    size_t len;
    uint32_t v, min;

    if (c >= 0xc2 && c <= 0xdf)
        len = 2, v = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, v = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, v = c & 0x07, min = 0x10000;
    else
        return fail(j, "invalid UTF-8 lead byte 0x%02x", c);
    if (j->n - j->i < len)
        return fail(j, "truncated UTF-8 sequence");
    for (size_t k = 1; k < len; k++) {
        uint8_t t = j->p[j->i + k];
        if ((t & 0xc0) != 0x80)
            return fail(j, "invalid UTF-8 continuation byte 0x%02x", t);
        v = v << 6 | (t & 0x3f);
    }
    if (v < min)
        return fail(j, "overlong UTF-8 sequence");
    if ((v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
        return fail(j, "UTF-8 sequence encodes U+%04X, not a character",
                    v);
    *cp = v;
    j->i += len;
    return 0;
}

/* At the opening '"'; leaves i after the closing one. */
static int string(struct jp *j, struct sbuf *sb)
{
    sb->len = 0;
    sb->fits = true;
    j->i++;
    for (;;) {
        uint32_t cp = 0;

        if (j->i == j->n)
            return fail(j, "unterminated string");
        uint8_t c = j->p[j->i];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(j, "control character 0x%02x in a string (JSON "
                        "needs it escaped)", c);
        if (c == '\\') {
            if (escape(j, &cp))
                return -1;
        } else if (c >= 0x80) {
            if (utf8(j, &cp))
                return -1;
        } else {
            cp = c;
            j->i++;
        }
        put(sb, cp);
    }
    j->i++;
    sb->s[sb->len] = '\0';
    return 0;
}

/* Digits at i: at least one. */
static int digits(struct jp *j, const char *what)
{
    if (j->i == j->n || !is_digit(j->p[j->i]))
        return fail(j, "expected a digit in %s", what);
    while (j->i < j->n && is_digit(j->p[j->i]))
        j->i++;
    return 0;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?  What follows is the
 * caller's business: "01" fails there, at the '1'. */
static int number(struct jp *j)
{
    if (j->p[j->i] == '-')
        j->i++;
    if (j->i < j->n && j->p[j->i] == '0')
        j->i++;
    else if (digits(j, "a number"))
        return -1;
    if (j->i < j->n && j->p[j->i] == '.') {
        j->i++;
        if (digits(j, "a fraction"))
            return -1;
    }
    if (j->i < j->n && (j->p[j->i] == 'e' || j->p[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->p[j->i] == '+' || j->p[j->i] == '-'))
            j->i++;
        if (digits(j, "an exponent"))
            return -1;
    }
    return 0;
}

static int literal(struct jp *j)
{
    static const char *const words[] = { "true", "false", "null" };

    for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
        size_t len = strlen(words[k]);
        if (j->n - j->i >= len && memcmp(j->p + j->i, words[k], len) == 0) {
            j->i += len;
            return 0;
        }
    }
    return fail(j, "invalid literal (true, false or null expected)");
}

static bool in_object(const struct jp *j)
{
    return j->objects >> (j->depth - 1) & 1;
}

static int open_container(struct jp *j, bool object)
{
    if (j->depth == j->max_depth)
        return fail(j, "nested deeper than %u levels", j->max_depth);
    j->depth++;
    if (object)
        j->objects |= (uint64_t)1 << (j->depth - 1);
    else
        j->objects &= ~((uint64_t)1 << (j->depth - 1));
    if (j->depth > j->res->max_depth_seen)
        j->res->max_depth_seen = j->depth;
    j->i++;
    j->want = object ? W_NAME_OR_END : W_VALUE_OR_END;
    return 0;
}

static void close_container(struct jp *j)
{
    j->i++;
    j->depth--;
    j->want = j->depth ? W_NEXT : W_DONE;
}

/* Records the value of the captured member: kind, and text if a string. */
static void capture(struct jp *j, const struct sbuf *sb)
{
    struct json_capture *cap = j->cap;

    cap->is_string = sb != NULL;
    cap->fits = sb && sb->fits;
    cap->value[0] = '\0';
    if (cap->fits)
        memcpy(cap->value, sb->s, sb->len + 1);
}

static int value(struct jp *j, uint8_t c)
{
    bool capturing = j->capture_next;
    char buf[16];
    int rc;

    j->capture_next = false;
    if (j->depth == 0 && c != '{')
        return fail(j, "the document must be a JSON object, found %s",
                    show(c, buf, sizeof(buf)));
    if (c == '{' || c == '[') {
        if (capturing)
            capture(j, NULL);
        return open_container(j, c == '{');
    }
    if (c == '"') {
        struct sbuf sb;
        rc = string(j, &sb);
        if (!rc && capturing)
            capture(j, &sb);
    } else {
        if (capturing)
            capture(j, NULL);
        if (c == '-' || is_digit(c))
            rc = number(j);
        else if (c == 't' || c == 'f' || c == 'n')
            rc = literal(j);
        else
            rc = fail(j, "expected a value, found %s",
                      show(c, buf, sizeof(buf)));
    }
    j->want = W_NEXT;
    return rc;
}

static int name(struct jp *j, uint8_t c)
{
    struct sbuf sb;
    char buf[16];

    if (c != '"')
        return fail(j, "expected a member name (a string), found %s",
                    show(c, buf, sizeof(buf)));
    if (string(j, &sb))
        return -1;
    if (j->depth == 1) {
        j->res->members++;
        if (j->cap && sb.fits && strcmp(sb.s, j->cap->key) == 0) {
            j->cap->found++;
            j->capture_next = true;
        }
    }
    j->want = W_COLON;
    return 0;
}

static int next(struct jp *j, uint8_t c)
{
    char close = in_object(j) ? '}' : ']', buf[16];

    if (c == (uint8_t)close) {
        close_container(j);
        return 0;
    }
    if (c != ',')
        return fail(j, "expected ',' or '%c', found %s", close,
                    show(c, buf, sizeof(buf)));
    j->i++;
    j->want = in_object(j) ? W_NAME : W_VALUE;
    return 0;
}

static const char *const want_text[] = {
    [W_VALUE] = "a value", [W_VALUE_OR_END] = "a value or ']'",
    [W_NAME_OR_END] = "a member name or '}'", [W_NAME] = "a member name",
    [W_COLON] = "':'", [W_NEXT] = "',' or a closing bracket",
    [W_DONE] = "nothing",
};

static int step(struct jp *j, uint8_t c)
{
    char buf[16];

    switch (j->want) {
    case W_DONE:
        return fail(j, "%s after the end of the object",
                    show(c, buf, sizeof(buf)));
    case W_NAME_OR_END:
        if (c == '}') {
            close_container(j);
            return 0;
        }
        return name(j, c);
    case W_NAME:
        return name(j, c);
    case W_COLON:
        if (c != ':')
            return fail(j, "expected ':' after a member name, found %s",
                        show(c, buf, sizeof(buf)));
        j->i++;
        j->want = W_VALUE;
        return 0;
    case W_VALUE_OR_END:
        if (c == ']') {
            close_container(j);
            return 0;
        }
        return value(j, c);
    case W_VALUE:
        return value(j, c);
    case W_NEXT:
        return next(j, c);
    }
    return fail(j, "internal error: bad parser state");
}

int json_check_object(const uint8_t *p, size_t n, unsigned max_depth,
                      struct json_capture *cap, struct json_result *res,
                      char *err, size_t errlen)
{
    struct jp j = {
        .p = p, .n = n, .want = W_VALUE, .cap = cap, .res = res,
        .err = err, .errlen = errlen,
        .max_depth = max_depth < 1 ? 1 : max_depth > JSON_MAX_DEPTH
                                              ? JSON_MAX_DEPTH : max_depth,
    };

    memset(res, 0, sizeof(*res));
    if (cap) {
        cap->found = 0;
        cap->is_string = cap->fits = false;
        cap->value[0] = '\0';
    }
    if (n && !p)
        return fail(&j, "no input");
    for (;;) {
        skip_ws(&j);
        if (j.i == j.n) {
            if (j.want == W_DONE)
                return 0;
            return fail(&j, "unexpected end of input, expected %s",
                        j.depth == 0 ? "a JSON object" : want_text[j.want]);
        }
        if (step(&j, j.p[j.i]))
            return -1;
    }
}
