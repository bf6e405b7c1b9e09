/*
 * json.h - guest metadata validated with yajl (json.c): a JSON document
 * whose top-level value is an object, nested at most max_depth (at most
 * JSON_MAX_DEPTH) levels, nothing after it.  While validating it captures
 * one top-level member's string value (the caller names the member), so a
 * caller needs no second parser.
 */
#ifndef GUESTMETA_JSON_H
#define GUESTMETA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64
#define JSON_CAPTURE_MAX 64     /* bytes of a captured value kept */

struct json_capture {
    const char *key;            /* top-level member to capture (ASCII) */
    unsigned found;             /* how many times the member appeared */
    bool is_string;             /* its value was a string */
    bool fits;                  /* ... of ASCII, at most CAPTURE_MAX bytes */
    char value[JSON_CAPTURE_MAX + 1];   /* decoded, NUL terminated */
};

struct json_result {
    unsigned members;           /* members of the top-level object */
    unsigned max_depth_seen;
    size_t err_at;              /* byte offset of an error */
};

/* Validates p[0..n).  0 when valid; -1 with a reason in err and the
 * offending byte's offset in res->err_at.  cap may be NULL. */
int json_check_object(const uint8_t *p, size_t n, unsigned max_depth,
                      struct json_capture *cap, struct json_result *res,
                      char *err, size_t errlen);

#endif
