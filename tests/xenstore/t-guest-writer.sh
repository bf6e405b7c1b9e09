# tests/xenstore/t-guest-writer.sh - the stream writer inside
# tests/xen/guest-tests/xenstore-plugin.sh (used in dom0 when xlsr-gen is
# not there) writes exactly what xlsr-gen writes, under busybox sh and dash.

GUEST=tests/xen/guest-tests/xenstore-plugin.sh

# writer_matches SHELL
writer_matches() {
    command -v "${1%% *}" >/dev/null || skip "no ${1%% *}"
    big=$(head -c 3000 /dev/zero | tr '\000' v)
    XS_PLUGIN_WRITER_ONLY=1 XS_PLUGIN_TMP=$T DOMID=1 XLSR_GEN= \
        $1 -c ". $GUEST; mkstream \"\$1\" a/b 1 c 'two words' d@x -_@ e \"\$2\"" \
        sh "$T/mine" "$big"
    "$GEN" --rec "emulator_xenstore_data:xs:2:0:a/b=1;c=two words;d@x=-_@;e=$big" -o "$T/gen"
    cmp "$T/mine" "$T/gen" || fail "the guest writer differs from xlsr-gen"
    # And xlsr reads it as the same four pairs.
    expect 0 "$XLSR" dump -c "$(mkconf c.ini <<EOT
[record.end]
plugin = end
[record.emulator_xenstore_data]
plugin = xenstore
EOT
)" "$T/mine"
    out_has '^  emulator 2 index 0: 4 xenstore pairs$'
}

t_guest_writer_busybox() {
    command -v busybox >/dev/null || skip "no busybox"
    writer_matches "busybox sh"
}
t_guest_writer_dash() { writer_matches dash; }
