# tests/pkg/t-build-dist.sh - fresh builds as a distribution makes them,
# each in its own build directory: install needs nothing of the tests
# (no cmocka), honours CPPFLAGS and WERROR=0, and a PREFIX change rebuilds
# what has the paths compiled in instead of installing stale paths; and
# `make CC=clang build-all` (warnings as errors) works.
SLOW=1
NO_SAN=1

mk() {
    run nice make -C "$XLSR_TOP" --no-print-directory "$@"
    [ "$RC" -eq 0 ] || { tail -n 20 "$T/err"; fail "make $*: $RC"; }
}

t_dist_install_without_tests_prefix_change_rebuilds() {
    mk BUILD="$T/b" PREFIX=/usr WERROR=0 CPPFLAGS=-D_FORTIFY_SOURCE=2 \
        DESTDIR="$T/r1" install
    cp "$T/out" "$T/log1"
    hasnt "$T/log1" 'cmocka|tests/'
    [ ! -e "$T/b/tests" ] || fail "install built tests"
    has "$T/log1" '-D_FORTIFY_SOURCE=2 .* -c .*core/cli/main\.c'
    hasnt "$T/log1" '-Werror'
    X=$T/r1/usr/bin/xlsr
    "$X" help >"$T/h1"
    has "$T/h1" '^/etc/xlsr/xlsr\.ini\.$'
    [ -f "$T/r1/etc/xlsr/xlsr.ini" ] || fail "config not in /etc for PREFIX=/usr"
    # The same build directory, another PREFIX: rebuilt, never stale.
    mk BUILD="$T/b" PREFIX=/opt/xlsr WERROR=0 DESTDIR="$T/r2" install
    has "$T/out" ' -c .* core/cli/main\.c'
    X=$T/r2/opt/xlsr/bin/xlsr
    "$X" help >"$T/h2"
    has "$T/h2" '^/opt/xlsr/etc/xlsr/xlsr\.ini\.$'
    grep -q '/usr/lib/xlsr/plugins' "$X" "$T/r2/opt/xlsr/lib/libxlsr.so.0.1.0" &&
        fail "the /opt build still carries the /usr plugin dir"
    grep -q '/opt/xlsr/lib/xlsr/plugins' "$T/r2/opt/xlsr/lib/libxlsr.so.0.1.0" ||
        fail "libxlsr lacks its plugin dir"
    has "$T/r2/opt/xlsr/lib/pkgconfig/xlsr.pc" '^libdir=/opt/xlsr/lib$'
    # Unchanged paths: nothing rebuilt.
    mk BUILD="$T/b" PREFIX=/opt/xlsr WERROR=0 DESTDIR="$T/r3" install
    hasnt "$T/out" '(^|[ /])cc '
    # A multiarch LIBDIR.
    mk BUILD="$T/b" PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu WERROR=0 DESTDIR="$T/r4" install
    [ -f "$T/r4/usr/lib/x86_64-linux-gnu/libxlsr.so.0.1.0" ] || fail "multiarch LIBDIR ignored"
    [ -f "$T/r4/usr/lib/x86_64-linux-gnu/xlsr/plugins/libxc.so" ] || fail "multiarch plugin dir"
    has "$T/r4/etc/xlsr/xlsr.ini" '^plugin_dir = /usr/lib/x86_64-linux-gnu/xlsr/plugins$'
}

t_dist_clang_build_all() {
    command -v clang >/dev/null || skip "clang not installed"
    mk CC=clang BUILD="$T/c" build-all
    has "$T/out" '^clang .*-Werror'
    [ -x "$T/c/bin/xlsr" ] && [ -f "$T/c/tests/unit-config" ] || fail "clang build incomplete"
}
