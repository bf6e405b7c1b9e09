/*
 * unit-tmpl.c - cmocka tests of the path templates (plugins/xenstore/
 * tmpl.c) shared by the xenstore and emulator plugins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tmpl.h"

static const struct tmpl_vars V = { .domid = 7, .dm_domid = 0,
                                    .have_emu = true, .emu_id = 2,
                                    .index = 4294967295u };

static void t_expand(void **st)
{
    (void)st;
    char out[128], err[256];
    assert_int_equal(tmpl_expand("/local/domain/%dm_domid/device-model/"
                                 "%domid", &V, out, sizeof(out), err,
                                 sizeof(err)), 0);
    assert_string_equal(out, "/local/domain/0/device-model/7");
    assert_int_equal(tmpl_expand("q.%emu_id.%index.%%.%domid%", &V, out,
                                 sizeof(out), err, sizeof(err)), -1);
    assert_int_equal(tmpl_expand("q.%emu_id.%index.%%", &V, out,
                                 sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "q.2.4294967295.%");
}

static void t_bad(void **st)
{
    (void)st;
    char err[256];
    assert_int_equal(tmpl_check("/x/%d", true, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown variable at '%d'"));
    assert_int_equal(tmpl_check("/x/%index", false, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "%index is not available"));
    assert_int_equal(tmpl_check("/x/%domid/%%", false, err, sizeof(err)), 0);
}

static void t_overflow(void **st)
{
    (void)st;
    char out[8], err[256];
    assert_int_equal(tmpl_expand("abc%domid", &V, out, 5, err, sizeof(err)),
                     0);
    assert_string_equal(out, "abc7");
    assert_int_equal(tmpl_expand("abcd%domid", &V, out, 5, err,
                                 sizeof(err)), -1);
    assert_non_null(strstr(err, "more than 4 bytes"));
    struct tmpl_vars noemu = V;
    noemu.have_emu = false;
    assert_int_equal(tmpl_expand("%index", &noemu, out, sizeof(out), err,
                                 sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_expand), cmocka_unit_test(t_bad),
        cmocka_unit_test(t_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
