/*
 * abi.c - test plugins with a wrong ABI in their descriptor.  Built twice:
 * -DTEST_MAJOR=99 (a major mismatch) and -DTEST_MINOR=99 (a newer minor).
 */
#include <xlsr/plugin.h>

#ifndef TEST_MAJOR
#define TEST_MAJOR XLSR_ABI_MAJOR
#endif
#ifndef TEST_MINOR
#define TEST_MINOR XLSR_ABI_MINOR
#endif

static const struct xlsr_plugin wrong_abi = {
    .abi_major = TEST_MAJOR,
    .abi_minor = TEST_MINOR,
    .size = sizeof(struct xlsr_plugin),
    .name = "wrong-abi",
    .version = "test",
};

XLSR_PLUGIN_DEFINE(wrong_abi)
