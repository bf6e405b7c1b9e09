# tests/sdk/t-sdk.sh - the plugin SDK as a vendor meets it: `make install`
# into a staging root, the example plugin built OUT OF TREE against the
# installed header through pkg-config (no -I into this checkout), then
# loaded by the installed xlsr from a plugin_dir of its configuration.
SLOW=1

U=6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b

# The PREFIX the build under test was made for (its paths stamp): an
# install with another would rebuild it (the paths are compiled in).
P=$(sed -n 's/^prefix=\([^ ]*\) .*/\1/p' "$XLSR_BUILD/.paths" 2>/dev/null)
P=${P:-/usr/local}

# Installs the build under test into $T/root without building anything:
# the same PREFIX, and `-o build-all`, keep make from remaking what `make
# check` just built (and from touching the build while other tests use it).
sdk_install() {
    run make -C "$XLSR_TOP" --no-print-directory -o build-all \
        BUILD="$XLSR_BUILD" PREFIX="$P" DESTDIR="$T/root" install
    [ "$RC" -eq 0 ] || { tail -n 20 "$T/err"; fail "make install: $RC"; }
    cp "$T/out" "$T/install.log"
    hasnt "$T/install.log" '(^|[ /])(cc|gcc) .*-c '
    [ -x "$T/root$P/bin/xlsr" ] || fail "no installed xlsr"
    [ -f "$T/root$P/include/xlsr/plugin.h" ] || fail "no installed SDK header"
    [ -f "$T/root$P/lib/pkgconfig/xlsr-plugin.pc" ] || fail "no xlsr-plugin.pc"
}

# Builds plugins/examples/guestmeta from a copy of its sources in $T/src
# into $T/etc/vendor/guestmeta.so, as its README tells a vendor to.
sdk_build_guestmeta() {
    command -v pkg-config >/dev/null || fail "pkg-config missing (tests/deps.sh)"
    mkdir -p "$T/src" "$T/etc/vendor"
    cp "$XLSR_TOP"/plugins/examples/guestmeta/*.[ch] "$T/src/"
    export PKG_CONFIG_PATH="$T/root$P/lib/pkgconfig"
    export PKG_CONFIG_SYSROOT_DIR="$T/root"
    cflags=$(pkg-config --cflags xlsr-plugin)
    libs=$(pkg-config --libs xlsr-plugin yajl)
    case " $cflags " in *" -I$T/root$P/include "*) ;;
        *) fail "pkg-config cflags '$cflags' miss the staged include dir" ;; esac
    case "$cflags $libs" in *"$XLSR_TOP"*) fail "flags point into the checkout" ;; esac
    san=
    [ -n "$XLSR_SAN" ] && san="-fsanitize=address,undefined -fno-sanitize-recover=all"
    # shellcheck disable=SC2086
    (cd "$T/src" && cc -shared -fPIC -fvisibility=hidden -std=c11 -O2 \
        -Wall -Wextra -Wpedantic -Werror $cflags $(pkg-config --cflags yajl) $san -o "$T/etc/vendor/guestmeta.so" \
        guestmeta.c json.c atomic.c $libs) || fail "out-of-tree build failed"
    # shellcheck disable=SC2086
    (cd "$T/src" && cc $cflags -M guestmeta.c) >"$T/deps"
    has "$T/deps" "$T/root$P/include/xlsr/plugin.h"
    hasnt "$T/deps" "$XLSR_TOP/core/include"
    chmod 0755 "$T/etc/vendor/guestmeta.so"
    nm -D --defined-only "$T/etc/vendor/guestmeta.so" | awk '{print $3}' \
        >"$T/exports"
    eq "$(cat "$T/exports")" xlsr_plugin_entry "exported symbols"
}

# The vendor's configuration: its own plugin directory first, then the
# installed plugins, both relative to the file.
sdk_conf() {
    mkdir -p "$T/meta"
    cat >"$T/etc/xlsr.ini" <<EOT
[core]
plugin_dir = vendor:../root$P/lib/xlsr/plugins
unknown_records = fail

[record.end]
plugin = end

[record.0x8000F001]
plugin = guestmeta
dir = ../meta
path = %dir/guest-%uuid.%domid.json
mode = 0640
EOT
}

t_sdk_out_of_tree_guestmeta_restore() {
    sdk_install
    sdk_build_guestmeta
    sdk_conf
    X=$T/root$P/bin/xlsr
    expect 0 "$X" plugins -c "$T/etc/xlsr.ini"
    # The vendor's build is the one loaded, not the installed example.
    out_has "guestmeta .*$T/etc/vendor/guestmeta\\.so"
    hasnt "$T/out" 'plugins/guestmeta\.so'
    out_has "end .*/root$P/lib/xlsr/plugins/end\\.so"

    printf '{"uuid": "%s", "name": "web-1", "vcpus": 2, "tags": ["a", {"b": null}]}' "$U" >"$T/good.json"
    "$GEN" --rec "0x8000F001:file:$T/good.json" -o "$T/good"
    expect 0 "$X" restore -c "$T/etc/xlsr.ini" --domid 7 "$T/good"
    out_has '^restore: ok: 2 records'
    f=$T/meta/guest-$U.7.json
    err_has "info: guestmeta: wrote $(stat -c %s "$T/good.json") bytes \\(uuid $U\\) to .*/guest-$U\\.7\\.json"
    [ -f "$f" ] && [ ! -L "$f" ] || fail "$f not written"
    cmp "$T/good.json" "$f" || fail "content differs"
    eq "$(stat -c %a "$f")" 640 "mode of the metadata file"
    eq "$(ls -A "$T/meta" | wc -l)" 1 "files in the metadata dir"

    # Bad JSON (a trailing comma): exit 1, offset and reason, nothing
    # written for domain 8, nothing left behind.
    printf '{"uuid": "%s",}' "$U" >"$T/bad.json"
    "$GEN" --rec "0x8000F001:file:$T/bad.json" -o "$T/bad"
    expect 1 "$X" restore -c "$T/etc/xlsr.ini" --domid 8 "$T/bad"
    err_has "offset 16 \\(0x10\\): record 0x8000f001 \\(optional\\): handler guestmeta: guest metadata is not valid JSON: body byte 49 \\(stream offset 73\\): parse error: invalid object key \\(must be a string\\)"
    hasnt "$T/out" 'restore: ok'
    [ ! -e "$T/meta/guest-$U.8.json" ] || fail "bad metadata was written"
    eq "$(ls -A "$T/meta" | wc -l)" 1 "files in the metadata dir"
    cmp "$T/good.json" "$f" || fail "good file touched"
}

# Rewriting replaces the file whole: a restore of new metadata for the
# same domain leaves exactly the new bytes, with the configured mode.
t_sdk_out_of_tree_guestmeta_replaces() {
    sdk_install
    sdk_build_guestmeta
    sdk_conf
    X=$T/root$P/bin/xlsr
    printf '{"uuid":"%s","v":1,"pad":"%0200d"}' "$U" 0 >"$T/one.json"
    printf '{"uuid":"%s","v":2}' "$U" >"$T/two.json"
    "$GEN" --rec "0x8000F001:file:$T/one.json" -o "$T/one"
    "$GEN" --rec "0x8000F001:file:$T/two.json" -o "$T/two"
    expect 0 "$X" restore -c "$T/etc/xlsr.ini" --domid 3 "$T/one"
    chmod 0600 "$T/meta/guest-$U.3.json"
    expect 0 "$X" restore -c "$T/etc/xlsr.ini" --domid 3 "$T/two"
    cmp "$T/two.json" "$T/meta/guest-$U.3.json" || fail "not replaced"
    eq "$(stat -c %a "$T/meta/guest-$U.3.json")" 640 "mode after replace"
    eq "$(ls -A "$T/meta" | wc -l)" 1 "files in the metadata dir"
}

# The guide's example plugin, extracted from docs/plugin-guide.md, built
# with the guide's own command line against the installed SDK, and run:
# the guide cannot drift from what works.
t_sdk_guide_example_builds_and_runs() {
    sdk_install
    mkdir -p "$T/etc/vendor"
    awk '/<!-- acme.c/ { f = 1; next } f && /^```c$/ { p = 1; next }
         p && /^```$/ { exit } p' "$XLSR_TOP/docs/plugin-guide.md" \
        >"$T/acme.c"
    has "$T/acme.c" '^XLSR_PLUGIN_DEFINE\(acme\)$'
    export PKG_CONFIG_PATH="$T/root$P/lib/pkgconfig"
    export PKG_CONFIG_SYSROOT_DIR="$T/root"
    # As in the guide, plus warnings as errors.
    (cd "$T" && cc -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror \
        $(pkg-config --cflags xlsr-plugin) -o acme.so acme.c) \
        || fail "the guide's example does not build"
    install -m 0755 "$T/acme.so" "$T/etc/vendor/"
    cat >"$T/etc/xlsr.ini" <<EOT
[core]
plugin_dir = vendor:../root$P/lib/xlsr/plugins
[record.end]
plugin = end
[record.0x8000A001]
plugin = acme
max_samples = 4
EOT
    X=$T/root$P/bin/xlsr
    # The guide's xlsr-gen line: 2 samples, 1 and 2.
    hex=$(sed -n 's/.*--rec 0x8000A001:hex:\([0-9a-f]*\) .*/\1/p' \
        "$XLSR_TOP/docs/plugin-guide.md")
    [ -n "$hex" ] || fail "no xlsr-gen line for acme in the guide"
    "$GEN" --rec "0x8000A001:hex:$hex" -o "$T/s"
    expect 0 "$X" dump -c "$T/etc/xlsr.ini" "$T/s"
    out_has '^offset 16: record 0x8000a001 .*length 20$'
    out_has '^  acme: 2 samples, sum 3$'
    expect 0 "$X" verify -c "$T/etc/xlsr.ini" "$T/s"
    err_has '^xlsr: info: acme: 2 samples, sum 3$'
    # The guide's error example, word for word after the file name.
    "$GEN" --rec 0x8000A001:hex:030000000100000000000000 -o "$T/bad"
    expect 1 "$X" verify -c "$T/etc/xlsr.ini" "$T/bad"
    err_has "^xlsr: $T/bad: offset 16 \\(0x10\\): record 0x8000a001 \\(optional\\): handler acme: 3 samples do not fill a body of 12 bytes$"
    "$GEN" --rec 0x8000A001:hex:05000000 -o "$T/big"
    expect 1 "$X" verify -c "$T/etc/xlsr.ini" "$T/big"
    err_has 'handler acme: 5 samples, more than max_samples \(4\)$'
    "$GEN" --rec 0x8000A001:hex:0500 -o "$T/short"
    expect 1 "$X" verify -c "$T/etc/xlsr.ini" "$T/short"
    err_has 'handler acme: body of 2 bytes has no sample count$'
    # The guide's configuration error examples.
    printf 'max_sample = 3\n' >>"$T/etc/xlsr.ini"
    expect 2 "$X" verify -c "$T/etc/xlsr.ini" "$T/s"
    err_has "^xlsr: configuration: $T/etc/xlsr.ini:8: \\[record.0x8000A001\\]: unknown key 'max_sample' \\(plugin acme declares no such key\\)$"
    sed -i 's/^max_sample = 3$/max_samples = many/' "$T/etc/xlsr.ini"
    sed -i '/^max_samples = 4$/d' "$T/etc/xlsr.ini"
    expect 2 "$X" verify -c "$T/etc/xlsr.ini" "$T/s"
    err_has "\\[record.0x8000A001\\]: max_samples = 'many' is not a number$"
}
