# core/core.mk - libxlsr (shared and static) and the xlsr command.

PUBLIC_HDRS := core/include/xlsr/plugin.h core/include/xlsr/xlsr.h
SOVERSION   := 0
# The real name carries the version; the soname links to it and the
# development link to the soname (Debian's libxlsr0 / libxlsr-dev split).
LIBREAL     := libxlsr.so.$(VERSION)
CORE_SRCS   := $(sort $(wildcard core/src/*.c))
CLI_SRCS    := $(sort $(wildcard core/cli/*.c))
CORE_OBJS   := $(patsubst core/%.c,$(BUILD)/obj/core/%.o,$(CORE_SRCS))
CLI_OBJS    := $(patsubst core/%.c,$(BUILD)/obj/core/%.o,$(CLI_SRCS))
CORE_LIBS   := -linih -ldl $(YAJL_LIBS)
CORE_OUTPUTS := $(BUILD)/lib/$(LIBREAL) $(BUILD)/lib/libxlsr.so.$(SOVERSION) \
                $(BUILD)/lib/libxlsr.so $(BUILD)/lib/libxlsr.a $(BUILD)/bin/xlsr \
                $(BUILD)/pkgconfig/xlsr.pc $(BUILD)/pkgconfig/xlsr-plugin.pc

$(BUILD)/obj/core/%.o: core/%.c $(PUBLIC_HDRS) $(wildcard core/src/*.h core/cli/*.h) \
        $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) $(YAJL_CFLAGS) -fvisibility=hidden -Icore/cli -c -o $@ $<

# The version script is the export list: only the embedding API leaves the
# library, with the symbol versions it names.
CORE_MAP    := core/libxlsr.map

$(BUILD)/lib/$(LIBREAL): $(CORE_OBJS) $(CORE_MAP)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libxlsr.so.$(SOVERSION) -Wl,-z,defs \
	    -Wl,--version-script=$(CORE_MAP) \
	    -o $@ $(CORE_OBJS) $(XLDFLAGS) $(CORE_LIBS)

$(BUILD)/lib/libxlsr.so.$(SOVERSION): $(BUILD)/lib/$(LIBREAL)
	ln -sf $(LIBREAL) $@

$(BUILD)/lib/libxlsr.so: $(BUILD)/lib/libxlsr.so.$(SOVERSION)
	ln -sf libxlsr.so.$(SOVERSION) $@

# pkg-config files, with the paths of this build.
$(BUILD)/pkgconfig/%.pc: core/%.pc.in $(PATHS_STAMP)
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|; s|@PLUGINDIR@|$(PLUGINDIR)|' \
	    $< >$@

$(BUILD)/lib/libxlsr.a: $(CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

# The command links the static library: nothing to find at run time.
$(BUILD)/bin/xlsr: $(CLI_OBJS) $(BUILD)/lib/libxlsr.a
	@mkdir -p $(@D)
	$(CC) -o $@ $(CLI_OBJS) $(BUILD)/lib/libxlsr.a $(XLDFLAGS) $(CORE_LIBS)
