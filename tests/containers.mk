# tests/containers.mk - xlsr-wrap (the container writer, tests/tools/
# wrap-*.c; standalone like xlsr-gen) and the test plugin that shows what
# the core hands plugins from a container.
WRAP_SRCS := $(sort $(wildcard tests/tools/wrap-*.c))
TEST_BINS += $(BUILD)/tests/xlsr-wrap

$(BUILD)/tests/xlsr-wrap: $(WRAP_SRCS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@ $(WRAP_SRCS) $(XLDFLAGS)

TEST_PLUGINS += ctxprobe
ctxprobe_SRCS := tests/containers/ctxprobe.c
