# plugins/emulator/plugin.mk - the emulator plugin and its unit tests.
PLUGINS += emulator
emulator_SRCS := plugins/emulator/emulator.c plugins/emulator/filebk.c \
                 plugins/emulator/execbk.c plugins/xenstore/tmpl.c
emulator_DEPS := $(wildcard plugins/emulator/*.h) \
                 plugins/xenstore/tmpl.h plugins/xenstore/emuhdr.h

# cmocka unit tests of the two backends (real files, real processes).
TEST_BINS += $(BUILD)/tests/unit-emulator-backends
$(BUILD)/tests/unit-emulator-backends: tests/emulator/unit-backends.c \
        plugins/emulator/filebk.c plugins/emulator/execbk.c $(emulator_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -Iplugins/emulator -o $@ \
	    tests/emulator/unit-backends.c plugins/emulator/filebk.c \
	    plugins/emulator/execbk.c $(XLDFLAGS) -lcmocka
