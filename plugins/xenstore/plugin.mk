# plugins/xenstore/plugin.mk - the xenstore plugin and its unit tests.
PLUGINS += xenstore
xenstore_SRCS := plugins/xenstore/xenstore.c plugins/xenstore/pairs.c \
                 plugins/xenstore/tmpl.c plugins/xenstore/xsapi.c
xenstore_DEPS := $(wildcard plugins/xenstore/*.h)
# libxenstore is dlopen()ed at the first write (xsapi.c), not linked.
xenstore_LIBS := -ldl

# cmocka unit tests of the pure parts (no libxenstore involved).
TEST_BINS += $(BUILD)/tests/unit-xenstore-pairs $(BUILD)/tests/unit-tmpl
$(BUILD)/tests/unit-xenstore-pairs: tests/xenstore/unit-pairs.c \
        plugins/xenstore/pairs.c $(xenstore_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -Iplugins/xenstore -o $@ \
	    tests/xenstore/unit-pairs.c plugins/xenstore/pairs.c \
	    $(XLDFLAGS) -lcmocka
$(BUILD)/tests/unit-tmpl: tests/xenstore/unit-tmpl.c \
        plugins/xenstore/tmpl.c $(xenstore_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -Iplugins/xenstore -o $@ \
	    tests/xenstore/unit-tmpl.c plugins/xenstore/tmpl.c \
	    $(XLDFLAGS) -lcmocka
