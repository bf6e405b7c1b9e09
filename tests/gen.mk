# tests/gen.mk - xlsr-gen, the test stream writer (tests/tools/).
# Standalone: it shares no code with libxlsr, so a misreading of the
# format in one cannot hide the same misreading in the other.

GEN_SRCS := $(sort $(wildcard tests/tools/gen-*.c))
TEST_BINS += $(BUILD)/tests/xlsr-gen

$(BUILD)/tests/xlsr-gen: $(GEN_SRCS) tests/tools/gen.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@ $(GEN_SRCS) $(XLDFLAGS)
