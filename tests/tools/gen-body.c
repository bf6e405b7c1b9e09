/*
 * tests/tools/gen-body.c - the `--rec TYPE[:BODY][,len=N][,pad=HEX]`
 * language: record type names, body forms, and emitting a body.
 *
 * Bodies are literal bytes plus an optional tail (zeros, pseudo-random
 * bytes or a file) that is streamed, so `emublob:2:0:256M` costs no more
 * memory than `emublob:2:0:16`.
 */
#include "gen.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (64u * 1024)   /* a multiple of 8: keeps random tails stable */

/* Decimal or 0x-hex, with an optional K, M or G (binary) suffix. */
int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long x;
    unsigned shift = 0;

    if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    x = strtoull(s, &end, 0);
    if (errno || end == s)
        return -1;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || (shift && x > (~0ull >> shift)))
        return -1;
    *v = (uint64_t)x << shift;
    return 0;
}

void prng_fill(uint64_t *state, unsigned char *p, size_t n)
{
    while (n >= 8) {
        put_le64(p, prng_next(state));
        p += 8;
        n -= 8;
    }
    if (n) {
        unsigned char last[8];

        put_le64(last, prng_next(state));
        memcpy(p, last, n);
    }
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int append(struct body *b, const void *p, size_t n)
{
    unsigned char *q;

    if (!n)
        return 0;
    q = realloc(b->pre, b->npre + n);
    if (!q)
        return -1;
    memcpy(q + b->npre, p, n);
    b->pre = q;
    b->npre += n;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int append_hex(struct body *b, const char *s, char *err, size_t el)
{
    size_t n = strlen(s), i;
    unsigned char *tmp;
    int rc = 0;

    if (n % 2)
        return fail(err, el, "odd number of hex digits in '%s'", s);
    tmp = malloc(n / 2 + 1);
    if (!tmp)
        return fail(err, el, "out of memory");
    for (i = 0; i < n; i += 2) {
        int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);

        if (hi < 0 || lo < 0) {
            rc = fail(err, el, "bad hex digit in '%s'", s);
            break;
        }
        tmp[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    if (!rc && append(b, tmp, n / 2))
        rc = fail(err, el, "out of memory");
    free(tmp);
    return rc;
}

/* Splits "A:B:REST" into fields; returns the field count (max n). */
static int split(char *s, char **f, int n)
{
    int i = 0;

    f[i++] = s;
    while (i < n && (s = strchr(s, ':')) != NULL) {
        *s++ = '\0';
        f[i++] = s;
    }
    return i;
}

static int emu_header(struct body *b, const char *id, const char *idx,
                      char *err, size_t el)
{
    uint64_t a, c;
    unsigned char h[8];

    if (parse_u64(id, &a) || a > 0xffffffffu ||
        parse_u64(idx, &c) || c > 0xffffffffu)
        return fail(err, el, "bad emulator id/index '%s:%s'", id, idx);
    put_le32(h, (uint32_t)a);
    put_le32(h + 4, (uint32_t)c);
    return append(b, h, 8) ? fail(err, el, "out of memory") : 0;
}

/* key=value;key2=value2 -> "key\0value\0key2\0value2\0" */
static int append_xs(struct body *b, char *s, char *err, size_t el)
{
    char *pair, *save = NULL;

    for (pair = strtok_r(s, ";", &save); pair;
         pair = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(pair, '=');

        if (!eq)
            return fail(err, el, "xenstore pair '%s' has no '='", pair);
        *eq = '\0';
        if (append(b, pair, strlen(pair) + 1) ||
            append(b, eq + 1, strlen(eq + 1) + 1))
            return fail(err, el, "out of memory");
    }
    return 0;
}

static int tail_file(struct body *b, const char *path, char *err, size_t el)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return fail(err, el, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        b->tail = TAIL_FILE;
        b->fd = fd;
        b->ntail = (uint64_t)st.st_size;
        b->path = strdup(path);
        return b->path ? 0 : fail(err, el, "out of memory");
    }
    /* A pipe: small by assumption, read it now. */
    for (;;) {
        unsigned char tmp[4096];
        ssize_t r = read(fd, tmp, sizeof(tmp));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            return fail(err, el, "%s: %s", path, strerror(errno));
        }
        if (r == 0)
            break;
        if (append(b, tmp, (size_t)r)) {
            close(fd);
            return fail(err, el, "out of memory");
        }
    }
    close(fd);
    return 0;
}

static int tail_sized(struct body *b, enum body_tail t, const char *n,
                      const char *seed, uint64_t dseed, char *err, size_t el)
{
    if (parse_u64(n, &b->ntail))
        return fail(err, el, "bad length '%s'", n);
    b->tail = t;
    b->seed = dseed;
    if (seed && parse_u64(seed, &b->seed))
        return fail(err, el, "bad seed '%s'", seed);
    return 0;
}

static int body_parse(char *s, uint64_t dseed, struct body *b,
                      char *err, size_t el)
{
    char *f[5];
    char *arg = strchr(s, ':');
    int n;

    if (!arg)
        return fail(err, el, "body '%s' needs KIND:ARGS", s);
    *arg++ = '\0';
    if (strcmp(s, "hex") == 0)
        return append_hex(b, arg, err, el);
    if (strcmp(s, "str") == 0)
        return append(b, arg, strlen(arg)) ? fail(err, el, "out of memory") : 0;
    if (strcmp(s, "zero") == 0)
        return tail_sized(b, TAIL_ZERO, arg, NULL, 0, err, el);
    if (strcmp(s, "file") == 0)
        return tail_file(b, arg, err, el);
    if (strcmp(s, "rand") == 0) {
        n = split(arg, f, 2);
        return tail_sized(b, TAIL_RAND, f[0], n > 1 ? f[1] : NULL, dseed,
                          err, el);
    }
    if (strcmp(s, "state") == 0) {
        uint64_t id;
        unsigned char v[4];

        /* libxl sends sizeof(libxl_sr_checkpoint_state) = 4: the spec's
         * 4 "padding" bytes are the record's padding to 8. */
        if (parse_u64(arg, &id) || id > 0xffffffffu)
            return fail(err, el, "bad control id '%s'", arg);
        put_le32(v, (uint32_t)id);
        return append(b, v, 4) ? fail(err, el, "out of memory") : 0;
    }
    if (strcmp(s, "emu") == 0 || strcmp(s, "xs") == 0) {
        if (split(arg, f, 3) != 3)
            return fail(err, el, "%s needs ID:IDX:DATA", s);
        if (emu_header(b, f[0], f[1], err, el))
            return -1;
        return s[0] == 'e' ? append_hex(b, f[2], err, el)
                           : append_xs(b, f[2], err, el);
    }
    if (strcmp(s, "emublob") == 0) {
        n = split(arg, f, 4);
        if (n < 3)
            return fail(err, el, "emublob needs ID:IDX:N[:SEED]");
        if (emu_header(b, f[0], f[1], err, el))
            return -1;
        return tail_sized(b, TAIL_RAND, f[2], n > 3 ? f[3] : NULL, dseed,
                          err, el);
    }
    return fail(err, el, "unknown body kind '%s'", s);
}

static const char *const type_names[] = {
    "end", "libxc_context", "emulator_xenstore_data", "emulator_context",
    "checkpoint_end", "checkpoint_state",
};

static int type_parse(const char *s, uint32_t *type)
{
    uint64_t v;
    size_t i;

    for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcasecmp(s, type_names[i]) == 0) {
            *type = (uint32_t)i;
            return 0;
        }
    if (parse_u64(s, &v) || v > 0xffffffffu)
        return -1;
    *type = (uint32_t)v;
    return 0;
}

/* Peels ",len=N" and ",pad=HEX" off the end of s. */
static int suffix_parse(char *s, struct rec_ov *ov, char *err, size_t el)
{
    char *c;

    while ((c = strrchr(s, ',')) != NULL) {
        uint64_t v;
        char *end;

        if (strncmp(c + 1, "len=", 4) == 0) {
            if (parse_u64(c + 5, &v) || v > 0xffffffffu)
                return fail(err, el, "bad len '%s'", c + 5);
            ov->has_len = 1;
            ov->len = (uint32_t)v;
        } else if (strncmp(c + 1, "pad=", 4) == 0) {
            errno = 0;
            v = strtoull(c + 5, &end, 16);
            if (errno || end == c + 5 || *end || v > 0xff)
                return fail(err, el, "bad pad byte '%s'", c + 5);
            ov->has_pad = 1;
            ov->pad = (unsigned char)v;
        } else {
            break;
        }
        *c = '\0';
    }
    return 0;
}

int rec_spec_parse(const char *spec, uint64_t seed, struct rec_spec *r,
                   char *err, size_t errlen)
{
    char *s = strdup(spec), *colon;
    int rc = -1;

    memset(r, 0, sizeof(*r));
    r->body.fd = -1;
    if (!s)
        return fail(err, errlen, "out of memory");
    if (suffix_parse(s, &r->ov, err, errlen))
        goto out;
    colon = strchr(s, ':');
    if (colon)
        *colon++ = '\0';
    if (type_parse(s, &r->type)) {
        fail(err, errlen, "unknown record type '%s'", s);
        goto out;
    }
    if (colon && body_parse(colon, seed, &r->body, err, errlen))
        goto out;
    if (body_len(&r->body) > GEN_MAX_BODY) {
        fail(err, errlen, "body longer than 4 GiB - 1");
        goto out;
    }
    rc = 0;
 out:
    if (rc)
        body_free(&r->body);
    free(s);
    return rc;
}

uint64_t body_len(const struct body *b)
{
    return b->npre + (b->tail == TAIL_NONE ? 0 : b->ntail);
}

static void emit_file(struct gen_out *o, const struct body *b)
{
    uint64_t done = 0;

    while (done < b->ntail) {
        uint64_t left = b->ntail - done;
        size_t k = left < CHUNK ? (size_t)left : CHUNK;
        unsigned char *p = out_reserve(o, k);
        size_t got = 0;

        while (got < k) {
            ssize_t r = pread(b->fd, p + got, k - got, (off_t)(done + got));

            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                gen_die(GEN_EXIT_IO, "%s: %s", b->path,
                        r < 0 ? strerror(errno) : "file shrank");
            got += (size_t)r;
        }
        done += k;
    }
}

void body_emit(struct gen_out *o, const struct body *b)
{
    uint64_t left = b->ntail, state = b->seed;

    out_bytes(o, b->pre, b->npre);
    switch (b->tail) {
    case TAIL_NONE:
        break;
    case TAIL_ZERO:
        out_fill(o, 0, b->ntail);
        break;
    case TAIL_RAND:
        while (left) {
            size_t k = left < CHUNK ? (size_t)left : CHUNK;

            prng_fill(&state, out_reserve(o, k), k);
            left -= k;
        }
        break;
    case TAIL_FILE:
        emit_file(o, b);
        break;
    }
}

void body_free(struct body *b)
{
    free(b->pre);
    free(b->path);
    if (b->fd >= 0)
        close(b->fd);
    memset(b, 0, sizeof(*b));
    b->fd = -1;
}
