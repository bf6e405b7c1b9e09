# tests/bench.mk - xlsr-timeit, the benchmarks' stopwatch (tests/bench/).
TEST_BINS += $(BUILD)/tests/xlsr-timeit

$(BUILD)/tests/xlsr-timeit: tests/bench/timeit.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@ $<
