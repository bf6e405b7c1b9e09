/*
 * tinyjson.c - locate and read values in a JSON text (see tinyjson.h).
 *
 * The text comes from a save file, so it is treated as hostile: every
 * step checks `end`, recursion stops at TJ_MAX_DEPTH, and a malformed
 * text simply yields "not found".
 */
#include <string.h>

#include "tinyjson.h"

#define TJ_MAX_DEPTH 32

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at '"': the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            if (++p == end)
                return NULL;
        } else if (*p == '"') {
            return p + 1;
        } else if ((unsigned char)*p < 0x20) {
            return NULL;
        }
    }
    return NULL;
}

static const char *skip_value(const char *p, const char *end, int depth);

/* p at '{' or '[': the byte after the matching close, or NULL. */
static const char *skip_container(const char *p, const char *end, int depth)
{
    char close = *p == '{' ? '}' : ']';
    bool object = *p == '{';

    if (depth >= TJ_MAX_DEPTH)
        return NULL;
    p = ws(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (object) {
            if (p >= end || *p != '"' || !(p = skip_string(p, end)))
                return NULL;
            p = ws(p, end);
            if (p >= end || *p != ':')
                return NULL;
            p = ws(p + 1, end);
        }
        if (!(p = skip_value(p, end, depth + 1)))
            return NULL;
        p = ws(p, end);
        if (p >= end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = ws(p + 1, end);
    }
}

/* p at the first byte of a value: the byte after it, or NULL. */
static const char *skip_value(const char *p, const char *end, int depth)
{
    if (p >= end)
        return NULL;
    switch (*p) {
    case '"':
        return skip_string(p, end);
    case '{':
    case '[':
        return skip_container(p, end, depth);
    default:
        /* number, true, false, null: a run of these characters */
        if (!strchr("-+.0123456789eEtrufalsn", *p))
            return NULL;
        while (p < end && *p && strchr("-+.0123456789eEtrufalsn", *p))
            p++;
        return p;
    }
}

const char *tj_member(const char *obj, const char *end, const char *key)
{
    size_t klen = strlen(key);
    const char *p = ws(obj, end);

    if (p >= end || *p != '{')
        return NULL;
    p = ws(p + 1, end);
    if (p < end && *p == '}')
        return NULL;
    for (;;) {
        const char *k = p, *kend;
        if (p >= end || *p != '"' || !(kend = skip_string(p, end)))
            return NULL;
        p = ws(kend, end);
        if (p >= end || *p != ':')
            return NULL;
        p = ws(p + 1, end);
        /* The key's text between the quotes, compared byte for byte: the
         * keys we look for have no escapes. */
        if ((size_t)(kend - k - 2) == klen && !memcmp(k + 1, key, klen))
            return p;
        if (!(p = skip_value(p, end, 1)))
            return NULL;
        p = ws(p, end);
        if (p >= end || *p != ',')
            return NULL;
        p = ws(p + 1, end);
    }
}

int tj_u64(const char *v, const char *end, uint64_t *out)
{
    uint64_t n = 0;
    const char *p = v;

    if (!v || p >= end || *p < '0' || *p > '9')
        return -1;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return -1;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    /* "12.5" or "12e3" is not an integer we want. */
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
        return -1;
    *out = n;
    return 0;
}

int tj_string(const char *v, const char *end, char *buf, size_t len)
{
    size_t n = 0;
    const char *p = v;

    if (!v || p >= end || *p != '"' || len == 0)
        return -1;
    for (p++; p < end; p++) {
        char c = *p;
        if (c == '"') {
            buf[n] = '\0';
            return 0;
        }
        if ((unsigned char)c < 0x20)
            return -1;
        if (c == '\\') {
            if (++p == end)
                return -1;
            switch (*p) {
            case '"': case '\\': case '/': c = *p; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            default: return -1;        /* \u and friends: not needed */
            }
        }
        if (n + 1 >= len)
            return -1;
        buf[n++] = c;
    }
    return -1;
}

int tj_bool(const char *v, const char *end, bool *out)
{
    char s[8];

    if (v && v < end && (*v == 't' || *v == 'f')) {
        size_t left = (size_t)(end - v);
        if (left >= 4 && !memcmp(v, "true", 4)) {
            *out = true;
            return 0;
        }
        if (left >= 5 && !memcmp(v, "false", 5)) {
            *out = false;
            return 0;
        }
        return -1;
    }
    if (tj_string(v, end, s, sizeof(s)))
        return -1;
    if (!strcmp(s, "True") || !strcmp(s, "true")) {
        *out = true;
        return 0;
    }
    if (!strcmp(s, "False") || !strcmp(s, "false")) {
        *out = false;
        return 0;
    }
    return -1;
}
