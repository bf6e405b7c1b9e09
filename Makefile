# xlsr - top-level build.  GNU make.
#
#   make run        set up (Debian packages), build, dump + dry-run restore
#                   of the bundled example
#   make check      set up, build, every test; then every test again under
#                   AddressSanitizer + UndefinedBehaviorSanitizer
#   make test       build and run the fast tests only (no sanitizer pass, no
#                   real-Xen suite): for your own iterations
#   make bench      benchmarks (generates its own inputs)
#   make install    PREFIX=/usr/local DESTDIR= (builds only what it installs:
#                   no cmocka, no test plugins)
#   make uninstall  removes exactly what install put there
#   make deb-check  builds the Debian packages and tests them in a scratch root
#   make fuzz       libFuzzer targets with clang, FUZZ_TIME s each (tests/fuzz.mk)
#
# Distribution builds: CPPFLAGS, CFLAGS and LDFLAGS are honoured (Debian's
# hardening flags), WERROR=0 keeps the warnings but not -Werror, and
# LIBDIR=/usr/lib/$(DEB_HOST_MULTIARCH) gives a multiarch layout.  The
# paths below are compiled into the command and the library; changing any
# of them (e.g. `make install PREFIX=/usr` after `make`) rebuilds what
# uses them, never installs a binary that looks elsewhere.
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
MANDIR      ?= $(DATADIR)/man
DOCDIR      ?= $(DATADIR)/doc/xlsr
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
DESTDIR     ?=
LDCONFIG    ?= ldconfig

VERSION     := 0.1.0
# SAN=1 builds everything with ASan+UBSan into build-asan/.
SAN         ?=
BUILD       ?= $(if $(SAN),build-asan,build)
# WERROR=0 for distribution builds: a newer compiler's new warning must
# not break a package build.
WERROR      ?= 1

CC          ?= cc
PKG_CONFIG  ?= pkg-config
WARN        := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -Wshadow \
               -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
comma       := ,
SANFLAGS    := $(if $(SAN),-fsanitize=address$(comma)undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer)
OPT         ?= -O2
CFLAGS      ?= $(OPT) -g
YAJL_CFLAGS := $(shell $(PKG_CONFIG) --cflags yajl 2>/dev/null)
YAJL_LIBS   := $(or $(shell $(PKG_CONFIG) --libs yajl 2>/dev/null),-lyajl)
XCFLAGS     := -std=c11 -D_GNU_SOURCE -fPIC $(WARN) $(SANFLAGS) \
               -Icore/include -Icore/src $(CPPFLAGS) \
               -DXLSR_VERSION='"$(VERSION)"' \
               -DXLSR_PLUGIN_DIR='"$(PLUGINDIR)"' \
               -DXLSR_DEFAULT_CONFIG='"$(SYSCONFDIR)/xlsr/xlsr.ini"'
XLDFLAGS    := $(SANFLAGS) $(LDFLAGS)
PLUGIN_CFLAGS := $(XCFLAGS) -fvisibility=hidden
PLUGIN_LDFLAGS := -shared $(XLDFLAGS)

# The compiled-in paths: objects depend on this stamp, rewritten only
# when the paths change, so a PREFIX change rebuilds what uses them.
PATHS_STAMP := $(BUILD)/.paths
PATHS_TEXT  := prefix=$(PREFIX) libdir=$(LIBDIR) includedir=$(INCLUDEDIR) \
               plugindir=$(PLUGINDIR) sysconfdir=$(SYSCONFDIR) \
               docdir=$(DOCDIR) version=$(VERSION)
ifeq ($(filter clean,$(MAKECMDGOALS)),)
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(PATHS_STAMP) 2>/dev/null)" = \
    '$(PATHS_TEXT)' ] || echo '$(PATHS_TEXT)' >$(PATHS_STAMP); })
endif

# Parallel by default, one job per core: a build from clean takes half
# the time on 2 cores.  Only at the top (a sub-make shares its parent's
# jobs; under debian/rules dh gives its own -j), and -jN or -j1 on the
# command line still wins.  Never beside clean: `make clean all` in
# parallel would remove what it builds.
ifeq ($(MAKELEVEL)$(filter clean,$(MAKECMDGOALS)),0)
MAKEFLAGS   += -j$(shell nproc 2>/dev/null || echo 1)
endif

PLUGINS     :=
EXAMPLE_PLUGINS :=
TEST_PLUGINS :=
TEST_BINS   :=
BENCHES     :=

.PHONY: all run check test deps deps-check bench install uninstall clean \
        build-all build-dist deb-check

all: build-all

include core/core.mk
include $(sort $(wildcard plugins/*/plugin.mk))
include $(sort $(wildcard tests/*.mk))

PLUGIN_SOS := $(patsubst %,$(BUILD)/plugins/%.so,$(PLUGINS))
TEST_PLUGIN_SOS := $(patsubst %,$(BUILD)/test-plugins/%.so,$(TEST_PLUGINS))

# One rule per plugin: $(name)_SRCS, optional $(name)_LIBS / _CFLAGS.
define plugin_rule
$(2)/$(1).so: $$($(1)_SRCS) $$(PUBLIC_HDRS) $$($(1)_DEPS) $$(PATHS_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(PLUGIN_CFLAGS) $$($(1)_CFLAGS) \
	    -o $$@ $$($(1)_SRCS) $$(PLUGIN_LDFLAGS) $$($(1)_LIBS)
endef
$(foreach p,$(PLUGINS),$(eval $(call plugin_rule,$(p),$(BUILD)/plugins)))
$(foreach p,$(TEST_PLUGINS),$(eval $(call plugin_rule,$(p),$(BUILD)/test-plugins)))

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
# MAKEFLAGS= : the make commands tests run are their own top-level
# builds, not sub-makes of this one (no jobserver of ours, none of our -s).
test: build-all
	@MAKEFLAGS= XLSR_BUILD=$(BUILD) XLSR_FAST=1 bash tests/run.sh

check: deps-check
	@$(MAKE) --no-print-directory build-all
	@$(MAKE) --no-print-directory SAN=1 build-all
	@rm -f build/.counts build-asan/.counts
	@export MAKEFLAGS=; \
	 XLSR_BUILD=build XLSR_COUNTS=build/.counts bash tests/run.sh; \
	 a=$$?; \
	 XLSR_BUILD=build-asan XLSR_SAN=1 XLSR_COUNTS=build-asan/.counts \
	     bash tests/run.sh; \
	 b=$$?; \
	 sh tests/summary.sh build/.counts build-asan/.counts; \
	 test $$a -eq 0 && test $$b -eq 0

# The Debian packages: built from a clean clone of HEAD, lintian, then
# installed in a scratch root and run (tests/pkg/deb-check.sh).
deb-check:
	@sh tests/deps.sh deb
	@$(MAKE) --no-print-directory build-all
	@sh tests/pkg/deb-check.sh

bench: deps-check
	@$(MAKE) --no-print-directory build-all
	@XLSR_BUILD=$(BUILD) sh tests/bench/run.sh

# What install ships: everything but the tests (no cmocka needed) and the
# example plugins (sources under the doc directory instead).
INSTALL_PLUGINS := $(filter-out $(EXAMPLE_PLUGINS),$(PLUGINS))
# The configurations install ships: the default, and `xlsr export`'s.
CONFS       := xlsr.ini export.ini
MANPAGES    := $(BUILD)/man/xlsr.1 $(BUILD)/man/xlsr.ini.5 $(BUILD)/man/xlsr-plugin.7
DIST_OUTPUTS := $(CORE_OUTPUTS) \
                $(patsubst %,$(BUILD)/plugins/%.so,$(INSTALL_PLUGINS)) \
                $(MANPAGES) $(patsubst %,$(BUILD)/%,$(CONFS))
EXAMPLE_DOCS := $(foreach e,$(EXAMPLE_PLUGINS),$(wildcard \
                plugins/examples/$(e)/*.[ch] plugins/examples/$(e)/README.md \
                plugins/examples/$(e)/Makefile))
COMPLETION  := core/cli/xlsr.bash-completion

build-dist: $(DIST_OUTPUTS)

build-all: $(DIST_OUTPUTS) $(PLUGIN_SOS) $(TEST_PLUGIN_SOS) $(TEST_BINS)

# The shipped configurations, pointing at the installed plugins.
$(BUILD)/%.ini: conf/%.ini $(PATHS_STAMP)
	@mkdir -p $(@D)
	sed -e 's|^plugin_dir *=.*|plugin_dir = $(PLUGINDIR)|' $< >$@

# Man pages: the prose is in docs/*.in; xlsr(1)'s command and option
# sections come from the command's own option table (`xlsr help --roff`),
# the one that --help prints, so the two cannot drift.
$(BUILD)/man/xlsr.1: docs/xlsr.1.in $(BUILD)/bin/xlsr
	@mkdir -p $(@D)
	$(BUILD)/bin/xlsr help --roff >$@.tmp
	sed -e '/^@COMMANDS@$$/{r $@.tmp' -e 'd}' \
	    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g; s|@PLUGINDIR@|$(PLUGINDIR)|g; s|@VERSION@|$(VERSION)|g; s|@DOCDIR@|$(DOCDIR)|g' \
	    $< >$@
	rm -f $@.tmp
$(BUILD)/man/%: docs/%.in $(PATHS_STAMP)
	@mkdir -p $(@D)
	sed -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g; s|@PLUGINDIR@|$(PLUGINDIR)|g; s|@VERSION@|$(VERSION)|g; s|@DOCDIR@|$(DOCDIR)|g' \
	    $< >$@

# Every file install writes, relative to DESTDIR; uninstall removes these
# and then the directories that only xlsr uses.
INSTALLED_FILES = $(BINDIR)/xlsr $(LIBDIR)/$(LIBREAL) \
    $(LIBDIR)/libxlsr.so.$(SOVERSION) $(LIBDIR)/libxlsr.so $(LIBDIR)/libxlsr.a \
    $(patsubst core/include/%,$(INCLUDEDIR)/%,$(PUBLIC_HDRS)) \
    $(PKGCONFIGDIR)/xlsr.pc $(PKGCONFIGDIR)/xlsr-plugin.pc \
    $(patsubst %,$(PLUGINDIR)/%.so,$(INSTALL_PLUGINS)) \
    $(MANDIR)/man1/xlsr.1 $(MANDIR)/man5/xlsr.ini.5 $(MANDIR)/man7/xlsr-plugin.7 \
    $(BASHCOMPDIR)/xlsr $(DOCDIR)/xlsr-json.schema.json \
    $(patsubst plugins/%,$(DOCDIR)/%,$(EXAMPLE_DOCS))
OWN_DIRS = $(sort $(dir $(patsubst plugins/%,$(DOCDIR)/%,$(EXAMPLE_DOCS)))) \
    $(DOCDIR)/examples $(DOCDIR) $(PLUGINDIR) $(LIBDIR)/xlsr \
    $(INCLUDEDIR)/xlsr $(SYSCONFDIR)/xlsr

install: build-dist
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/xlsr $(DESTDIR)$(PLUGINDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(SYSCONFDIR)/xlsr \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BUILD)/bin/xlsr $(DESTDIR)$(BINDIR)/xlsr
	install -m 0644 $(BUILD)/lib/libxlsr.a $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(BUILD)/lib/$(LIBREAL) $(DESTDIR)$(LIBDIR)/
	ln -sfn $(LIBREAL) $(DESTDIR)$(LIBDIR)/libxlsr.so.$(SOVERSION)
	ln -sfn libxlsr.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libxlsr.so
	install -m 0644 $(PUBLIC_HDRS) $(DESTDIR)$(INCLUDEDIR)/xlsr/
	install -m 0644 $(patsubst %,$(BUILD)/plugins/%.so,$(INSTALL_PLUGINS)) \
	    $(DESTDIR)$(PLUGINDIR)/
	install -m 0644 $(BUILD)/pkgconfig/xlsr.pc $(BUILD)/pkgconfig/xlsr-plugin.pc \
	    $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 0644 $(patsubst %,$(BUILD)/%,$(CONFS)) $(DESTDIR)$(SYSCONFDIR)/xlsr/
	install -m 0644 $(BUILD)/man/xlsr.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(BUILD)/man/xlsr.ini.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(BUILD)/man/xlsr-plugin.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/xlsr
	install -D -m 0644 docs/xlsr-json.schema.json \
	    $(DESTDIR)$(DOCDIR)/xlsr-json.schema.json
	$(foreach f,$(EXAMPLE_DOCS),install -D -m 0644 $(f) \
	    $(DESTDIR)$(patsubst plugins/%,$(DOCDIR)/%,$(f)) &&) true
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]; then \
	    echo "$(LDCONFIG)"; $(LDCONFIG) || true; \
	elif [ -z "$(DESTDIR)" ]; then \
	    echo "install: run ldconfig as root if $(LIBDIR) is not in the loader's cache yet"; \
	else \
	    echo "install: staged in $(DESTDIR); run ldconfig once installed for real"; \
	fi

# A configuration is kept when it was edited since install (an
# operator's file is theirs); everything else install wrote goes.
uninstall: $(patsubst %,$(BUILD)/%,$(CONFS))
	rm -f $(foreach f,$(INSTALLED_FILES),$(DESTDIR)$(f))
	@for f in $(CONFS); do \
	    c=$(DESTDIR)$(SYSCONFDIR)/xlsr/$$f; \
	    if [ -f "$$c" ] && ! cmp -s "$$c" $(BUILD)/$$f; then \
	        echo "uninstall: $$c was edited: kept"; \
	    else rm -f "$$c"; fi; \
	done
	-@for d in $(OWN_DIRS); do \
	    [ -d "$(DESTDIR)$$d" ] && rmdir "$(DESTDIR)$$d" 2>/dev/null; done; true

clean:
	rm -rf build build-asan
