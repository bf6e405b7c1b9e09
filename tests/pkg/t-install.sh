# tests/pkg/t-install.sh - `make install` / `make uninstall` of the build
# under test into a DESTDIR: the Debian-style library layout, modes, the
# example under the doc directory, pkg-config files a program and a plugin
# can be built with, and an uninstall that leaves the tree as it was.

P=$(sed -n 's/^prefix=\([^ ]*\) .*/\1/p' "$XLSR_BUILD/.paths" 2>/dev/null)
P=${P:-/usr/local}

# inst TARGET [DESTDIR]: make TARGET of the build under test, no rebuild.
inst() {
    run make -C "$XLSR_TOP" --no-print-directory -o build-all -o build-dist \
        BUILD="$XLSR_BUILD" PREFIX="$P" DESTDIR="${2:-$T/root}" "$1"
    [ "$RC" -eq 0 ] || { tail -n 20 "$T/err"; fail "make $1: $RC"; }
    hasnt "$T/out" '(^|[ /])(cc|gcc|clang) '
}

# A listing of a tree: type, mode, link target, checksum of every entry.
snapshot() {
    (cd "$1" && find . -printf '%y %m %p %l\n' | sort) >"$2"
    (cd "$1" && find . -type f -exec md5sum {} + | sort -k2) >>"$2"
}

t_install_layout() {
    inst install
    R=$T/root$P
    L=$R/lib
    [ -f "$L/libxlsr.so.0.1.0" ] && [ ! -L "$L/libxlsr.so.0.1.0" ] || fail "no real-name library"
    eq "$(stat -c %a "$L/libxlsr.so.0.1.0")" 644 "mode of the shared library"
    eq "$(readlink "$L/libxlsr.so.0")" libxlsr.so.0.1.0 "soname link"
    eq "$(readlink "$L/libxlsr.so")" libxlsr.so.0 "development link"
    readelf -d "$L/libxlsr.so.0.1.0" | grep -q 'SONAME.*\[libxlsr\.so\.0\]' || fail "soname is not libxlsr.so.0"
    eq "$(stat -c %a "$L/libxlsr.a")" 644 "mode of the static library"
    eq "$(stat -c %a "$R/bin/xlsr")" 755 "mode of the command"
    for p in end libxc xenstore emulator colo; do
        eq "$(stat -c %a "$L/xlsr/plugins/$p.so")" 644 "mode of $p.so"
    done
    [ ! -e "$L/xlsr/plugins/guestmeta.so" ] || fail "the example is installed as a production plugin"
    D=$R/share/doc/xlsr
    for f in guestmeta.c json.c atomic.c README.md Makefile; do
        [ -f "$D/examples/guestmeta/$f" ] || fail "example $f not under the doc dir"
    done
    [ -f "$D/xlsr-json.schema.json" ] || fail "no JSON schema"
    for m in man1/xlsr.1 man5/xlsr.ini.5 man7/xlsr-plugin.7; do
        eq "$(stat -c %a "$R/share/man/$m")" 644 "mode of $m"
        grep -q '@[A-Z]*@' "$R/share/man/$m" && fail "unsubstituted @...@ in $m"
    done
    [ -f "$R/share/bash-completion/completions/xlsr" ] || fail "no completion"
    has "$T/root${P%/usr}/etc/xlsr/xlsr.ini" "^plugin_dir = $P/lib/xlsr/plugins$" 2>/dev/null ||
        has "$T/root$P/etc/xlsr/xlsr.ini" "^plugin_dir = $P/lib/xlsr/plugins$"
    # The ldconfig hint of a staged install.
    out_has 'run ldconfig once installed'
}

# Into a tree that already has the usual directories (as a system does):
# uninstall gives back exactly that tree.  From an empty DESTDIR: no file
# is left, only the general directories install made.
t_install_uninstall_round_trip() {
    for d in bin lib/pkgconfig include share/man/man1 share/man/man5 \
        share/man/man7 share/doc share/bash-completion/completions etc; do
        mkdir -p "$T/root$P/$d"
    done
    mkdir -p "$T/root/etc"
    echo keep >"$T/root$P/lib/other.so"
    snapshot "$T/root" "$T/before"
    inst install
    snapshot "$T/root" "$T/during"
    cmp -s "$T/before" "$T/during" && fail "install changed nothing"
    inst uninstall
    snapshot "$T/root" "$T/after"
    diff "$T/before" "$T/after" >"$T/diff" || fail "uninstall left a different tree: $(head -5 "$T/diff")"

    inst install "$T/empty"
    inst uninstall "$T/empty"
    eq "$(find "$T/empty" ! -type d | wc -l)" 0 "files left after uninstall"
    find "$T/empty" -name '*xlsr*' >"$T/left"
    [ ! -s "$T/left" ] || fail "xlsr directories left: $(head -3 "$T/left")"

    # An edited configuration is the operator's: kept, and said so.
    inst install "$T/edit"
    c=$(find "$T/edit" -name xlsr.ini)
    echo '; mine' >>"$c"
    inst uninstall "$T/edit"
    out_has "was edited: kept"
    [ -f "$c" ] || fail "edited configuration removed"
}

# pkg-config: xlsr-plugin is only an include path; a program built with
# `pkg-config --cflags --libs xlsr xlsr-plugin` is a program and runs; a
# static link gets inih, yajl and libdl through Requires.private.
t_install_pkgconfig() {
    inst install
    export PKG_CONFIG_PATH="$T/root$P/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$T/root"
    eq "$(pkg-config --libs xlsr-plugin)" "" "xlsr-plugin link flags"
    f=$(pkg-config --cflags --libs xlsr xlsr-plugin)
    case " $f " in *" -shared "*|*" -fPIC "*) fail "flags carry -shared/-fPIC: $f" ;; esac
    pkg-config --print-requires-private xlsr >"$T/req"
    has "$T/req" '^inih'
    pkg-config --static --libs xlsr >"$T/static"
    has "$T/static" '-linih'
    has "$T/static" '-lyajl'
    has "$T/static" '-ldl'
    cat >"$T/prog.c" <<'EOT'
#include <stdio.h>
#include <xlsr/xlsr.h>
int main(void)
{
    printf("%s %s\n", xlsr_rec_type_name(XLSR_REC_EMULATOR_CONTEXT),
           xlsr_strerror(XLSR_ERR_EOF));
    return 0;
}
EOT
    # The sanitizer build's library needs its runtime in the program too.
    san=
    [ -n "$XLSR_SAN" ] && san="-fsanitize=address,undefined"
    # shellcheck disable=SC2086
    cc $san -o "$T/prog" "$T/prog.c" $f || fail "a program does not build with the flags: $f"
    LD_LIBRARY_PATH="$T/root$P/lib" "$T/prog" >"$T/prog.out" || fail "the program fails"
    eq "$(cat "$T/prog.out")" "EMULATOR_CONTEXT truncated stream" "program output"
    # A plugin from pkg-config --cflags alone and -shared -fPIC loads.
    cat >"$T/mini.c" <<'EOT'
#include <xlsr/plugin.h>
static int rec(void *st, const struct xlsr_record *r) { (void)st; (void)r; return XLSR_OK; }
static const struct xlsr_plugin mini = { XLSR_PLUGIN_ABI, .name = "mini", .version = "1", .record = rec };
XLSR_PLUGIN_DEFINE(mini)
EOT
    mkdir -p "$T/pl"
    # shellcheck disable=SC2046
    cc -shared -fPIC $(pkg-config --cflags xlsr-plugin) -o "$T/pl/mini.so" "$T/mini.c" || fail "plugin build"
    printf '[core]\nplugin_dir = %s:%s\n[record.end]\nplugin = end\n[record.0x80000001]\nplugin = mini\n' \
        "$T/pl" "$T/root$P/lib/xlsr/plugins" >"$T/c.ini"
    "$GEN" --rec 0x80000001:hex:00 -o "$T/s"
    expect 0 "$T/root$P/bin/xlsr" verify -c "$T/c.ini" "$T/s"
    out_has '^verify: ok: 2 records'
    # The installed example builds with its own Makefile, as shipped.
    cp -r "$T/root$P/share/doc/xlsr/examples/guestmeta" "$T/ex"
    san=
    [ -n "$XLSR_SAN" ] && san="-fsanitize=address,undefined"
    run make -C "$T/ex" CFLAGS="-O2 -Werror $san"
    [ "$RC" -eq 0 ] || { tail -n 5 "$T/err"; fail "the installed example does not build"; }
    cp "$T/ex/guestmeta.so" "$T/pl/"
    printf '[record.0x8000F001]\nplugin = guestmeta\ndir = %s\n' "$T" >>"$T/c.ini"
    expect 0 "$T/root$P/bin/xlsr" plugins -c "$T/c.ini"
    out_has "guestmeta 1\.0, ABI [0-9.]+, $T/pl/guestmeta\.so"
}
