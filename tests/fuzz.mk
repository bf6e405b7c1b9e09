# tests/fuzz.mk - the stream fuzzer (plain build; see tests/fuzz/).
TEST_BINS += $(BUILD)/tests/fuzz-stream

$(BUILD)/tests/fuzz-stream: tests/fuzz/fuzz-stream.c $(BUILD)/lib/libxlsr.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@ $< $(BUILD)/lib/libxlsr.a \
	    $(XLDFLAGS) $(CORE_LIBS)
