/*
 * pairs.c - EMULATOR_XENSTORE_DATA key/value parsing (see pairs.h).
 *
 * Two passes over the record body and no copies: pairs_validate() checks
 * everything before the caller touches xenstore, pairs_each() then walks
 * the same bytes.  The body is hostile: every scan is bounded by len.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "emuhdr.h"
#include "pairs.h"

char *pairs_escape(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;

    if (outlen == 0)
        return out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[5];
        size_t tl;

        if (c >= 0x20 && c < 0x7f && c != '\\') {
            tmp[0] = (char)c;
            tl = 1;
        } else {
            tl = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
        }
        if (o + tl + 4 > outlen) {      /* room for "..." and NUL */
            if (o + 4 <= outlen) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        memcpy(out + o, tmp, tl);
        o += tl;
    }
    out[o] = '\0';
    return out;
}

static bool key_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '/' || c == '_' ||
           c == '@';
}

/* Checks the path segments of key (klen bytes, no NUL inside). */
static int check_segments(const char *key, size_t klen, size_t at,
                          char *err, size_t errlen)
{
    char shown[80];
    size_t start = 0;

    for (size_t i = 0; i <= klen; i++) {
        if (i < klen && key[i] != '/')
            continue;
        size_t sl = i - start;
        const char *seg = key + start;
        if (sl == 0 || (sl == 1 && seg[0] == '.') ||
            (sl == 2 && seg[0] == '.' && seg[1] == '.')) {
            snprintf(err, errlen, "%s path segment %s%.*s%s in key '%s' "
                     "at body offset %zu", sl ? "forbidden" : "empty",
                     sl ? "'" : "", (int)sl, seg, sl ? "'" : "",
                     pairs_escape(key, klen, shown, sizeof(shown)), at);
            return -1;
        }
        start = i + 1;
    }
    return 0;
}

static int check_key(const char *key, size_t klen, size_t at,
                     char *err, size_t errlen)
{
    char shown[80];

    if (klen == 0) {
        snprintf(err, errlen, "empty key at body offset %zu", at);
        return -1;
    }
    pairs_escape(key, klen, shown, sizeof(shown));
    if (key[0] == '/') {
        snprintf(err, errlen, "absolute key '%s' at body offset %zu (keys "
                 "must be relative)", shown, at);
        return -1;
    }
    if (klen > XENSTORE_REL_PATH_MAX) {
        snprintf(err, errlen, "key of %zu bytes at body offset %zu is "
                 "longer than %d", klen, at, XENSTORE_REL_PATH_MAX);
        return -1;
    }
    if (check_segments(key, klen, at, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < klen; i++) {
        if (!key_char_ok((unsigned char)key[i])) {
            snprintf(err, errlen, "character 0x%02x not allowed in key "
                     "'%s' at body offset %zu (allowed: A-Z a-z 0-9 - / _ "
                     "@)", (unsigned char)key[i], shown, at + i);
            return -1;
        }
    }
    return 0;
}

/* Length of the NUL-terminated string at p (at most n bytes), or -1. */
static long str_len(const uint8_t *p, size_t n)
{
    const uint8_t *z = memchr(p, '\0', n);
    return z ? (long)(z - p) : -1;
}

int pairs_validate(const uint8_t *body, size_t len, struct pairs_info *info,
                   char *err, size_t errlen)
{
    size_t off = EMUHDR_SIZE;
    char shown[80];

    memset(info, 0, sizeof(*info));
    if (emuhdr_parse(body, len, &info->emu_id, &info->index, err,
                     errlen) < 0)
        return -1;
    while (off < len) {
        long kl = str_len(body + off, len - off);
        if (kl < 0) {
            snprintf(err, errlen, "key at body offset %zu is not "
                     "NUL-terminated (%zu bytes left)", off, len - off);
            return -1;
        }
        const char *key = (const char *)body + off;
        if (check_key(key, (size_t)kl, off, err, errlen) < 0)
            return -1;
        size_t voff = off + (size_t)kl + 1;
        if (voff >= len) {
            snprintf(err, errlen, "odd number of strings: key '%s' at body "
                     "offset %zu has no value",
                     pairs_escape(key, (size_t)kl, shown, sizeof(shown)),
                     off);
            return -1;
        }
        long vl = str_len(body + voff, len - voff);
        if (vl < 0) {
            snprintf(err, errlen, "value of key '%s' at body offset %zu is "
                     "not NUL-terminated",
                     pairs_escape(key, (size_t)kl, shown, sizeof(shown)),
                     voff);
            return -1;
        }
        if ((size_t)kl > info->max_key)
            info->max_key = (size_t)kl;
        info->npairs++;
        off = voff + (size_t)vl + 1;
    }
    return 0;
}

int pairs_each(const uint8_t *body, size_t len, pairs_fn fn, void *opaque)
{
    size_t off = EMUHDR_SIZE;

    while (off < len) {
        const char *key = (const char *)body + off;
        size_t kl = strlen(key);
        const char *val = key + kl + 1;
        size_t vl = strlen(val);
        int r = fn(opaque, key, val, vl);
        if (r)
            return r;
        off += kl + 1 + vl + 1;
    }
    return 0;
}
