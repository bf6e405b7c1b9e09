/*
 * unit-pairs.c - cmocka tests of EMULATOR_XENSTORE_DATA validation
 * (plugins/xenstore/pairs.c): every refusal with its reason and offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pairs.h"

/* body = 8-byte header (id 2, index 0) + data (n bytes) */
static size_t mk(uint8_t *body, const char *data, size_t n)
{
    static const uint8_t hdr[8] = { 2, 0, 0, 0, 0, 0, 0, 0 };
    memcpy(body, hdr, 8);
    memcpy(body + 8, data, n);
    return 8 + n;
}

#define BODY(lit) uint8_t body[256]; size_t len = mk(body, lit, sizeof(lit) - 1)

static void refused(const uint8_t *body, size_t len, const char *want)
{
    struct pairs_info pi;
    char err[512];
    assert_int_equal(pairs_validate(body, len, &pi, err, sizeof(err)), -1);
    if (!strstr(err, want))
        fail_msg("reason '%s' lacks '%s'", err, want);
}

static void t_ok(void **st)
{
    (void)st;
    BODY("a/b\0x\0c-d_e@F9\0\0");
    struct pairs_info pi;
    char err[256];
    assert_int_equal(pairs_validate(body, len, &pi, err, sizeof(err)), 0);
    assert_int_equal(pi.npairs, 2);
    assert_int_equal(pi.max_key, 8);
    assert_int_equal(pi.emu_id, 2);
}

static void t_empty_data(void **st)
{
    (void)st;
    uint8_t body[8] = { 1, 0, 0, 0, 3, 0, 0, 0 };
    struct pairs_info pi;
    char err[256];
    assert_int_equal(pairs_validate(body, 8, &pi, err, sizeof(err)), 0);
    assert_int_equal(pi.npairs, 0);
    assert_int_equal(pi.index, 3);
}

static void t_short(void **st)
{
    (void)st;
    uint8_t body[7] = { 0 };
    refused(body, 7, "shorter than the 8-byte emulator header");
    refused(NULL, 0, "body is 0 bytes");
}

static void t_odd(void **st)
{
    (void)st;
    BODY("a\0b\0c\0");
    refused(body, len, "odd number of strings: key 'c' at body offset 12");
}

static void t_missing_nul(void **st)
{
    (void)st;
    { BODY("a\0b"); refused(body, len, "value of key 'a' at body offset 10 "
                            "is not NUL-terminated"); }
    { BODY("a\0b\0cd"); refused(body, len, "key at body offset 12 is not "
                                "NUL-terminated"); }
}

static void t_empty_key(void **st)
{
    (void)st;
    BODY("\0v\0");
    refused(body, len, "empty key at body offset 8");
}

static void t_absolute(void **st)
{
    (void)st;
    BODY("/etc\0v\0");
    refused(body, len, "absolute key '/etc' at body offset 8");
}

static void t_dots(void **st)
{
    (void)st;
    { BODY("a/../b\0v\0"); refused(body, len, "segment '..' in key"); }
    { BODY("..\0v\0"); refused(body, len, "segment '..' in key '..'"); }
    { BODY("a/.\0v\0"); refused(body, len, "segment '.' in key 'a/.'"); }
    { BODY("a//b\0v\0"); refused(body, len, "empty path segment"); }
    { BODY("a/\0v\0"); refused(body, len, "empty path segment"); }
}

static void t_bad_char(void **st)
{
    (void)st;
    { BODY("ab c\0v\0"); refused(body, len, "character 0x20 not allowed in "
                                 "key 'ab c' at body offset 10"); }
    { BODY("a\x01\0v\0"); refused(body, len, "character 0x01 not allowed in "
                                  "key 'a\\x01'"); }
    { BODY("a.b\0v\0"); refused(body, len, "character 0x2e"); }
}

static void t_long_key(void **st)
{
    (void)st;
    static uint8_t body[8 + 3000];
    memset(body, 0, sizeof(body));
    memset(body + 8, 'k', 2049);
    body[8 + 2050] = 'v';
    refused(body, 8 + 2052, "key of 2049 bytes");
}

static int count(void *o, const char *k, const char *v, size_t vl)
{
    (void)k;
    (void)v;
    *(size_t *)o += vl;
    return 0;
}

static void t_each(void **st)
{
    (void)st;
    BODY("a\0xyz\0b\0\0");
    size_t total = 0;
    assert_int_equal(pairs_each(body, len, count, &total), 0);
    assert_int_equal(total, 3);
}

static void t_escape(void **st)
{
    (void)st;
    char out[16];
    assert_string_equal(pairs_escape("a\nb\\", 4, out, sizeof(out)),
                        "a\\x0ab\\x5c");
    assert_string_equal(pairs_escape("0123456789abcdef", 16, out,
                                     sizeof(out)), "0123456789ab...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_ok), cmocka_unit_test(t_empty_data),
        cmocka_unit_test(t_short), cmocka_unit_test(t_odd),
        cmocka_unit_test(t_missing_nul), cmocka_unit_test(t_empty_key),
        cmocka_unit_test(t_absolute), cmocka_unit_test(t_dots),
        cmocka_unit_test(t_bad_char), cmocka_unit_test(t_long_key),
        cmocka_unit_test(t_each), cmocka_unit_test(t_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
