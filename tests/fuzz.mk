# tests/fuzz.mk - the fuzz targets (tests/fuzz/fuzz-targets.c).
#
#   make check  builds fuzz-replay with the normal build and replays every
#               committed corpus (tests/fuzz/corpus/TARGET/) in both passes
#   make fuzz   builds build-fuzz/ with clang (ASan + UBSan, libFuzzer
#               coverage in the core and inside every plugin) and runs each
#               target for FUZZ_TIME seconds; FUZZ_TARGETS picks targets,
#               FUZZ_MERGE=1 merges what was found into the committed corpus
TEST_BINS += $(BUILD)/tests/fuzz-stream $(BUILD)/tests/fuzz-replay

FUZZ_TARGETS ?= stream libxl libxc xenstore emulator ini xljson
FUZZ_TIME    ?= 60
FUZZ_SRCS    := tests/fuzz/fuzz-targets.c tests/fuzz/fuzz-lib.c \
                plugins/xenstore/pairs.c
FUZZ_HDRS    := tests/fuzz/fuzz-lib.h plugins/xenstore/pairs.h

$(BUILD)/tests/fuzz-stream: tests/fuzz/fuzz-stream.c tests/fuzz/fuzz-lib.c \
        $(FUZZ_HDRS) $(BUILD)/lib/libxlsr.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@ $(filter %.c,$^) $(BUILD)/lib/libxlsr.a \
	    $(XLDFLAGS) $(CORE_LIBS)

$(BUILD)/tests/fuzz-replay: $(FUZZ_SRCS) $(FUZZ_HDRS) $(BUILD)/lib/libxlsr.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@ $(FUZZ_SRCS) $(BUILD)/lib/libxlsr.a \
	    $(XLDFLAGS) $(CORE_LIBS)

# One libFuzzer binary per target (inner make of `make fuzz` only).
$(BUILD)/fuzz/fuzz-%: $(FUZZ_SRCS) $(FUZZ_HDRS) $(BUILD)/lib/libxlsr.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -fsanitize=fuzzer -DFZ_TARGET='"$*"' \
	    -o $@ $(FUZZ_SRCS) $(BUILD)/lib/libxlsr.a $(XLDFLAGS) $(CORE_LIBS)

# (Plugin lists are complete only once every *.mk is read: expanded in
# the recipe, not as prerequisites.)
fuzz-build:
	@$(MAKE) --no-print-directory $(BUILD)/lib/libxlsr.a $(PLUGIN_SOS) \
	    $(TEST_PLUGIN_SOS) $(patsubst %,$(BUILD)/fuzz/fuzz-%,$(FUZZ_TARGETS))

fuzz:
	@sh tests/deps.sh fuzz
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang SAN=1 \
	    CFLAGS='-O1 -g -fsanitize=fuzzer-no-link' fuzz-build
	@sh tests/fuzz/run.sh build-fuzz $(FUZZ_TIME) $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-build
