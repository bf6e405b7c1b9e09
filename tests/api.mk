# tests/api.mk - embedders of the shared libxlsr (tests/api/): concurrent
# sessions, and the sessions-per-second bench.  Linked like any toolstack,
# against libxlsr.so, found through an rpath to ../lib.
TEST_BINS += $(BUILD)/tests/api-sessions

$(BUILD)/tests/api-sessions: tests/api/api-sessions.c $(PUBLIC_HDRS) \
        $(BUILD)/lib/libxlsr.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -pthread -o $@ $< $(XLDFLAGS) \
	    -L$(BUILD)/lib -lxlsr -Wl,-rpath,'$$ORIGIN/../lib' -ldl

# tests/abi/: a plugin and a caller built against the frozen headers of
# released ABIs (-I of the frozen copy first, so it wins over core/include).
ABI10_INC := -Itests/abi/v1.0
# abi10-nodelete is the same plugin marked RTLD_NODELETE: it stays mapped
# after its last dlclose(), as C++ plugins with unique symbols do.
TEST_BINS += $(BUILD)/test-plugins/abi10.so \
             $(BUILD)/test-plugins/abi10-nodelete.so $(BUILD)/tests/old-caller

$(BUILD)/test-plugins/abi10.so $(BUILD)/test-plugins/abi10-nodelete.so: \
        tests/abi/plugin-v10.c $(wildcard tests/abi/v1.0/xlsr/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ABI10_INC) $(PLUGIN_CFLAGS) -o $@ $< $(PLUGIN_LDFLAGS) \
	    $(if $(findstring nodelete,$@),-Wl$(comma)-z$(comma)nodelete)

# The caller links against an unversioned stand-in of the old library (its
# references then carry no version, as in a binary of that time) and runs
# on the real one, through its rpath.
$(BUILD)/tests/abi-stub/libxlsr.so: tests/abi/stub.c \
        $(wildcard tests/abi/v1.0/xlsr/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ABI10_INC) $(XCFLAGS) -shared \
	    -Wl,-soname,libxlsr.so.$(SOVERSION) -o $@ $< $(XLDFLAGS)

$(BUILD)/tests/old-caller: tests/abi/old-caller.c \
        $(BUILD)/tests/abi-stub/libxlsr.so $(BUILD)/lib/libxlsr.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ABI10_INC) $(XCFLAGS) -o $@ $< $(XLDFLAGS) \
	    -L$(BUILD)/tests/abi-stub -lxlsr -Wl,-rpath,'$$ORIGIN/../lib'

# The emulator exec backend in a process whose SIGCHLD is the embedder's.
TEST_BINS += $(BUILD)/tests/unit-exec-sigchld
$(BUILD)/tests/unit-exec-sigchld: tests/api/unit-exec-sigchld.c \
        plugins/emulator/execbk.c plugins/emulator/execbk.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -Iplugins/emulator -pthread -o $@ \
	    tests/api/unit-exec-sigchld.c plugins/emulator/execbk.c \
	    $(XLDFLAGS) -lcmocka

# The same driver with the core compiled in under ThreadSanitizer (plain
# build only: TSan cannot share a process with ASan).  Plugins are the
# build's own, uninstrumented.
ifeq ($(SAN),)
TSAN_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(XCFLAGS)) \
               -fsanitize=thread -fvisibility=hidden
TEST_BINS += $(BUILD)/tests/api-sessions-tsan
$(BUILD)/tests/api-sessions-tsan: tests/api/api-sessions.c $(CORE_SRCS) \
        $(PUBLIC_HDRS) $(wildcard core/src/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TSAN_CFLAGS) -pthread -o $@ tests/api/api-sessions.c \
	    $(CORE_SRCS) $(LDFLAGS) -fsanitize=thread $(CORE_LIBS)
endif
