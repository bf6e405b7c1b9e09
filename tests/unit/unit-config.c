/*
 * unit-config.c - the INI adapter: values, defaults, sizes, and the
 * file:line of every refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

static char path[64];

static int load(const char *text, struct xlsr_config **cfg,
                struct xlsr_error *err)
{
    snprintf(path, sizeof(path), "/tmp/unit-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = xlsr_config_load(path, cfg, err);
    unlink(path);
    return rc;
}

static void test_values_and_defaults(void **state)
{
    (void)state;
    struct xlsr_config *c;
    struct xlsr_error e;
    assert_int_equal(load("[core]\nplugin_dir = /a:rel\n"
                          "max_record_bytes = 3M ; inline comment\n"
                          "[record.end]\nplugin = end\n"
                          "[record.0x80000001]\nplugin = v\nkey = value\n",
                          &c, &e), XLSR_OK);
    assert_int_equal(c->max_record_bytes, 3u << 20);
    assert_int_equal(c->checkpoint_bytes, 256u << 20);
    assert_false(c->unknown_fail);
    assert_int_equal(c->nplugin_dirs, 2);
    assert_string_equal(c->plugin_dirs[0], "/a");
    assert_string_equal(c->plugin_dirs[1] + strlen(c->plugin_dirs[1]) - 4,
                        "/rel");
    assert_int_equal(c->nsec, 2);
    assert_int_equal(c->sec[1].type, 0x80000001u);
    unsigned line = 0;
    assert_string_equal(xlsr__conf_get(&c->sec[1], "key", &line), "value");
    assert_int_equal(line, 8);
    assert_null(xlsr__conf_get(&c->sec[1], "nope", NULL));
    xlsr_config_free(c);
}

static void refused(const char *text, const char *where, const char *why)
{
    struct xlsr_config *c;
    struct xlsr_error e;
    assert_int_equal(load(text, &c, &e), XLSR_ERR_CONFIG);
    assert_null(c);
    assert_non_null(strstr(e.where, where));
    if (!strstr(e.reason, why))
        fail_msg("reason '%s' lacks '%s'", e.reason, why);
}

static void test_refusals(void **state)
{
    (void)state;
    refused("[core]\nmax_record_bytes = -1\n", ":2", "not a size");
    refused("[core]\nmax_record_bytes = 5G\n", ":2", "not a size");
    refused("[core]\nunknown_records = maybe\n", ":2", "expected fail or skip");
    refused("[core]\n[core]\n", ":2", "duplicate section [core]");
    refused("key = 1\n", ":1", "outside any section");
    refused("[record.end]\n", ":1", "missing required key 'plugin'");
    refused("[record.end\nplugin = x\n", ":1", "without ']'");
    refused("[record.end]\nplugin\n", ":2", "syntax error");
    refused("[record.end]\nplugin = a\n[record.END]\nplugin = b\n", ":3",
            "already has a handler");
}

static void test_value_parsers(void **state)
{
    (void)state;
    uint64_t v;
    bool b;
    assert_int_equal(xlsr__parse_u64("0x10", &v), XLSR_OK);
    assert_int_equal(v, 16);
    assert_int_equal(xlsr__parse_u64("2k", &v), XLSR_OK);
    assert_int_equal(v, 2048);
    assert_int_equal(xlsr__parse_u64("1G", &v), XLSR_OK);
    assert_int_equal(v, 1u << 30);
    assert_int_equal(xlsr__parse_u64("", &v), XLSR_ERR_CONFIG);
    assert_int_equal(xlsr__parse_u64("12q", &v), XLSR_ERR_CONFIG);
    assert_int_equal(xlsr__parse_u64("99999999999999999999", &v),
                     XLSR_ERR_CONFIG);
    assert_int_equal(xlsr__parse_u64("17179869184G", &v), XLSR_ERR_CONFIG);
    assert_int_equal(xlsr__parse_bool("Yes", &b), XLSR_OK);
    assert_true(b);
    assert_int_equal(xlsr__parse_bool("off", &b), XLSR_OK);
    assert_false(b);
    assert_int_equal(xlsr__parse_bool("2", &b), XLSR_ERR_CONFIG);
    uint32_t t;
    assert_int_equal(xlsr_rec_type_parse("emulator_context", &t), XLSR_OK);
    assert_int_equal(t, 3);
    assert_int_equal(xlsr_rec_type_parse("0xF0000001", &t), XLSR_OK);
    assert_int_equal(t, 0xF0000001u);
    assert_int_equal(xlsr_rec_type_parse("0x100000000", &t), XLSR_ERR_CONFIG);
    assert_int_equal(xlsr_rec_type_parse("bogus", &t), XLSR_ERR_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_defaults),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_value_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
