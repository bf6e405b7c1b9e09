# tests/libxc/fake-lib.sh - sourced by the tests that restore through the
# stand-in libxenguest (fake-xenguest.c, LD_PRELOADed into xlsr, and so
# into the restore helper it forks).  Not a test file itself.
#
# In the sanitizer pass the stand-in is built without sanitizers and
# preloaded ahead of libasan (tests/lib.sh preload_build).

# fake_setup [INI-BODY [CORE-KEYS]]: builds $T/fake.so; writes $T/fake.ini
# with CORE-KEYS in [core], bindings for END and LIBXC_CONTEXT (restore
# mode), then INI-BODY.
fake_setup() {
    preload_build fake tests/libxc/fake-xenguest.c
    mkconf fake.ini >/dev/null <<EOT
${2:-}
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
${1:-}
EOT
    export FAKE_XENGUEST_LOG=$T/fake.log
}

# xr ARGS...: xlsr restore with the stand-in.
xr() {
    LD_PRELOAD=$T/fake.so "$XLSR" restore -c "$T/fake.ini" "$@"
}
