/*
 * tinyjson.h - just enough JSON to read a few fields of the domain
 * configuration that `xl save` stores in its file header.
 *
 * Works on a byte range [p, end) that need not be NUL terminated and never
 * reads outside it; nesting is bounded.  No allocation.  Values are located,
 * not parsed into a tree: tj_member() finds a key of an object, then
 * tj_u64() / tj_string() / tj_bool() read the value found.
 */
#ifndef XLSR_TINYJSON_H
#define XLSR_TINYJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of `key` in the object starting at obj ('{' after optional
 * white space), or NULL when the key is absent or the text is malformed
 * before it is found. */
const char *tj_member(const char *obj, const char *end, const char *key);
/* A non-negative integer value: 0 ok, -1 not such a number or too big. */
int tj_u64(const char *v, const char *end, uint64_t *out);
/* A string value without \u escapes, copied NUL terminated into buf:
 * 0 ok, -1 not a string, escapes we do not decode, or too long. */
int tj_string(const char *v, const char *end, char *buf, size_t len);
/* libxl writes booleans as the strings "True" / "False"; JSON true/false
 * are accepted as well.  0 ok, -1 neither. */
int tj_bool(const char *v, const char *end, bool *out);

#endif
