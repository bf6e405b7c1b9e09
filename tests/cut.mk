# tests/cut.mk - cut-remus, the driver of the cut-at-every-offset test of
# checkpointed streams (tests/checkpoint/t-cut.sh).
TEST_BINS += $(BUILD)/tests/cut-remus

$(BUILD)/tests/cut-remus: tests/checkpoint/cut-remus.c $(BUILD)/lib/libxlsr.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@ $< $(BUILD)/lib/libxlsr.a \
	    $(XLDFLAGS) $(CORE_LIBS)
