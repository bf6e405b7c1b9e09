# tests/api.mk - embedders of the shared libxlsr (tests/api/): concurrent
# sessions, and the sessions-per-second bench.  Linked like any toolstack,
# against libxlsr.so, found through an rpath to ../lib.
TEST_BINS += $(BUILD)/tests/api-sessions

$(BUILD)/tests/api-sessions: tests/api/api-sessions.c $(PUBLIC_HDRS) \
        $(BUILD)/lib/libxlsr.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -pthread -o $@ $< $(XLDFLAGS) \
	    -L$(BUILD)/lib -lxlsr -Wl,-rpath,'$$ORIGIN/../lib'
