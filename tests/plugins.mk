# tests/plugins.mk - plugins built only for the tests.
TEST_PLUGINS += recorder abi-major abi-minor noentry
recorder_SRCS := tests/plugins/recorder.c
abi-major_SRCS := tests/plugins/abi.c
abi-major_CFLAGS := -DTEST_MAJOR=99
abi-minor_SRCS := tests/plugins/abi.c
abi-minor_CFLAGS := -DTEST_MINOR=99
noentry_SRCS := tests/plugins/noentry.c
