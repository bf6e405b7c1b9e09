# tests/xen.mk - the real-Xen suite's embedding toolstack (tests/xen/).
#
# xlsr-toolstack (tests/xen/toolstack/, one file per job: see ts.h) links
# the shared libxlsr like any embedder would, plus libxenctrl /
# libxenstore for the domain work around the session and yajl (as libxl)
# for the JSON configuration and QMP.  Its rpath finds libxlsr.so.0 in
# ../lib, both in the build tree ($(BUILD)/tests -> $(BUILD)/lib) and in
# dom0 (/usr/bin -> /usr/lib).
TEST_BINS += $(BUILD)/tests/xlsr-toolstack

XEN_TOOLSTACK_SRCS := $(wildcard tests/xen/toolstack/*.c)
XEN_TOOLSTACK_HDRS := $(wildcard tests/xen/toolstack/*.h) plugins/common/fdio.h

# Xen's public headers need GNU C (anonymous unions), hence -std=gnu11.
$(BUILD)/tests/xlsr-toolstack: $(XEN_TOOLSTACK_SRCS) $(XEN_TOOLSTACK_HDRS) \
        $(PUBLIC_HDRS) $(BUILD)/lib/libxlsr.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -std=gnu11 -o $@ $(XEN_TOOLSTACK_SRCS) \
	    $(XLDFLAGS) -L$(BUILD)/lib -lxlsr -Wl,-rpath,'$$ORIGIN/../lib' \
	    -lxenctrl -lxenstore -lyajl

# xlsr-dumpcmp: xl dump-core against xlsr's dump-core export in dom0
# (tests/xen/dumpcmp.c), asking Xen about the pages only one side holds.
TEST_BINS += $(BUILD)/tests/xlsr-dumpcmp
$(BUILD)/tests/xlsr-dumpcmp: tests/xen/dumpcmp.c plugins/common/fdio.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -std=gnu11 -o $@ $< $(XLDFLAGS) -lxenctrl
