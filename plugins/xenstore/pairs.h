/*
 * pairs.h - parsing and validation of EMULATOR_XENSTORE_DATA bodies.
 *
 * After the 8-byte emulator header the body is a packed sequence of
 * NUL-terminated strings, alternating key and value.  Keys are relative
 * xenstore paths: non-empty, no leading '/', no empty, '.' or '..'
 * segment, made only of [A-Za-z0-9-/_@] (spec), at most
 * XENSTORE_REL_PATH_MAX bytes.  Values are any bytes but NUL.
 */
#ifndef XLSR_PLUGINS_PAIRS_H
#define XLSR_PLUGINS_PAIRS_H

#include <stddef.h>
#include <stdint.h>

struct pairs_info {
    uint32_t emu_id, index;
    size_t npairs;
    size_t max_key;             /* longest key, bytes without NUL */
};

/* Validates a whole body (header included).  0, or -1 with a reason that
 * names the byte offset within the body. */
int pairs_validate(const uint8_t *body, size_t len, struct pairs_info *info,
                   char *err, size_t errlen);

/* Calls fn for each pair of a body that passed pairs_validate(); stops at
 * and returns the first non-zero result of fn. */
typedef int (*pairs_fn)(void *opaque, const char *key, const char *val,
                        size_t vlen);
int pairs_each(const uint8_t *body, size_t len, pairs_fn fn, void *opaque);

/* Writes s (n bytes) into out for display: printable ASCII as is, the rest
 * as \xNN, cut with "..." to fit outlen.  Returns out. */
char *pairs_escape(const char *s, size_t n, char *out, size_t outlen);

#endif
