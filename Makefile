# xlsr - top-level build.  GNU make.
#
#   make run      set up (Debian packages), build, dump + dry-run restore of
#                 the bundled example
#   make check    set up, build, every test; then every test again under
#                 AddressSanitizer + UndefinedBehaviorSanitizer
#   make test     build and run the fast tests only (no sanitizer pass, no
#                 real-Xen suite): for your own iterations
#   make bench    benchmarks (generates its own inputs)
#   make install  PREFIX=/usr/local DESTDIR=
#
# Each plugin folder holds a plugin.mk and each test area a *.mk that add
# to the variables below, so adding a plugin never touches this file.

PREFIX      ?= /usr/local
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
BINDIR      ?= $(PREFIX)/bin
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
PLUGINDIR   ?= $(LIBDIR)/xlsr/plugins
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DATADIR     ?= $(PREFIX)/share
DESTDIR     ?=

VERSION     := 0.1.0
# SAN=1 builds everything with ASan+UBSan into build-asan/.
SAN         ?=
BUILD       ?= $(if $(SAN),build-asan,build)

CC          ?= cc
PKG_CONFIG  ?= pkg-config
WARN        := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -Wformat=2 -Wvla
comma       := ,
SANFLAGS    := $(if $(SAN),-fsanitize=address$(comma)undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer)
OPT         ?= -O2
CFLAGS      ?= $(OPT) -g
XCFLAGS     := -std=c11 -D_GNU_SOURCE -fPIC $(WARN) $(SANFLAGS) \
               -Icore/include -Icore/src \
               -DXLSR_VERSION='"$(VERSION)"' \
               -DXLSR_PLUGIN_DIR='"$(PLUGINDIR)"' \
               -DXLSR_DEFAULT_CONFIG='"$(SYSCONFDIR)/xlsr/xlsr.ini"'
XLDFLAGS    := $(SANFLAGS) $(LDFLAGS)
PLUGIN_CFLAGS := $(XCFLAGS) -fvisibility=hidden
PLUGIN_LDFLAGS := -shared $(XLDFLAGS)

PLUGINS     :=
TEST_PLUGINS :=
TEST_BINS   :=
BENCHES     :=

.PHONY: all run check test deps deps-check bench install clean

all: build-all

include core/core.mk
include $(sort $(wildcard plugins/*/plugin.mk))
include $(sort $(wildcard tests/*.mk))

PLUGIN_SOS := $(patsubst %,$(BUILD)/plugins/%.so,$(PLUGINS))
TEST_PLUGIN_SOS := $(patsubst %,$(BUILD)/test-plugins/%.so,$(TEST_PLUGINS))

# One rule per plugin: $(name)_SRCS, optional $(name)_LIBS / _CFLAGS.
define plugin_rule
$(2)/$(1).so: $$($(1)_SRCS) $$(PUBLIC_HDRS) $$($(1)_DEPS)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(PLUGIN_CFLAGS) $$($(1)_CFLAGS) \
	    -o $$@ $$($(1)_SRCS) $$(PLUGIN_LDFLAGS) $$($(1)_LIBS)
endef
$(foreach p,$(PLUGINS),$(eval $(call plugin_rule,$(p),$(BUILD)/plugins)))
$(foreach p,$(TEST_PLUGINS),$(eval $(call plugin_rule,$(p),$(BUILD)/test-plugins)))

build-all: $(CORE_OUTPUTS) $(PLUGIN_SOS) $(TEST_PLUGIN_SOS) $(TEST_BINS)
.PHONY: build-all

deps:
	@sh tests/deps.sh run

deps-check:
	@sh tests/deps.sh check

# The bundled example: a small synthetic save image made by our writer.
EXAMPLE := $(BUILD)/example.xl
$(EXAMPLE): $(BUILD)/tests/xlsr-gen
	$(BUILD)/tests/xlsr-gen --example -o $@

run: deps
	@$(MAKE) --no-print-directory build-all $(EXAMPLE)
	$(BUILD)/bin/xlsr dump -c conf/build.ini $(EXAMPLE)
	$(BUILD)/bin/xlsr restore -c conf/build.ini --domid 7 --dry-run $(EXAMPLE)

# Fast loop: the normal build, every test except the slow suites.
test: build-all
	@XLSR_BUILD=$(BUILD) XLSR_FAST=1 bash tests/run.sh

check: deps-check
	@$(MAKE) --no-print-directory build-all
	@$(MAKE) --no-print-directory SAN=1 build-all
	@rm -f build/.counts build-asan/.counts
	@XLSR_BUILD=build XLSR_COUNTS=build/.counts bash tests/run.sh; \
	 a=$$?; \
	 XLSR_BUILD=build-asan XLSR_SAN=1 XLSR_COUNTS=build-asan/.counts \
	     bash tests/run.sh; \
	 b=$$?; \
	 sh tests/summary.sh build/.counts build-asan/.counts; \
	 test $$a -eq 0 && test $$b -eq 0

bench: deps-check
	@$(MAKE) --no-print-directory build-all
	@XLSR_BUILD=$(BUILD) sh tests/bench/run.sh

install: build-all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/xlsr $(DESTDIR)$(PLUGINDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(SYSCONFDIR)/xlsr
	install -m 0755 $(BUILD)/bin/xlsr $(DESTDIR)$(BINDIR)/xlsr
	install -m 0644 $(BUILD)/lib/libxlsr.a $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(BUILD)/lib/libxlsr.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libxlsr.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libxlsr.so
	install -m 0644 $(PUBLIC_HDRS) $(DESTDIR)$(INCLUDEDIR)/xlsr/
	install -m 0644 $(PLUGIN_SOS) $(DESTDIR)$(PLUGINDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|; s|@PLUGINDIR@|$(PLUGINDIR)|' \
	    core/xlsr.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/xlsr.pc
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|; s|@PLUGINDIR@|$(PLUGINDIR)|' \
	    core/xlsr-plugin.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/xlsr-plugin.pc
	sed -e 's|^plugin_dir *=.*|plugin_dir = $(PLUGINDIR)|' conf/xlsr.ini \
	    > $(DESTDIR)$(SYSCONFDIR)/xlsr/xlsr.ini
	sed -e 's|^plugin_dir *=.*|plugin_dir = $(PLUGINDIR)|' conf/export.ini \
	    > $(DESTDIR)$(SYSCONFDIR)/xlsr/export.ini

clean:
	rm -rf build build-asan
