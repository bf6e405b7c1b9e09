# tests/unit.mk - cmocka unit tests of the core's internals, linked
# against the static library (internal symbols are hidden in the .so).
CORE_UNITS := reader config
TEST_BINS += $(patsubst %,$(BUILD)/tests/unit-%,$(CORE_UNITS))

$(BUILD)/tests/unit-%: tests/unit/unit-%.c $(BUILD)/lib/libxlsr.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@ $< $(BUILD)/lib/libxlsr.a \
	    $(XLDFLAGS) $(CORE_LIBS) -lcmocka
