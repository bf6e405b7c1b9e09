# tests/containers/t-restore-fake.sh - restore mode (exact reads, the fd
# handed to libxenguest) through each container, with the stand-in
# libxenguest of tests/libxc (LD_PRELOADed): the bytes detection peeked
# are never lost, the fd is handed over at the libxc stream's first byte,
# and framing resumes after libxenguest's last one, from a pipe too.
NO_SAN="LD_PRELOAD of a non-sanitized stand-in into a sanitized xlsr"

WRAP=$B/tests/xlsr-wrap

fake_setup() {
    preload_build fake tests/libxc/fake-xenguest.c
    mkdir -p "$T/d"
    mkconf fake.ini >/dev/null <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
[record.emulator_context]
plugin = emulator
dir = $T/d
EOT
    export FAKE_XENGUEST_LOG=$T/fake.log FAKE_HVM=1
    "$GEN" --xl-header --libxc hvm --pages 12 --batch 5 \
        --rec emulator_context:emublob:2:0:3000 -o "$T/ex.xl"
}

# xr INPUT ARGS...: restore from a pipe (INPUT - reads $PIPE) or a file.
xr() {
    set +e
    if [ "$1" = - ]; then
        shift
        cat "$PIPE" | LD_PRELOAD=$T/fake.so "$XLSR" restore -c "$T/fake.ini" \
            --domid 6 --store-port 1 --console-port 2 "$@" - >"$T/out" 2>"$T/err"
    else
        LD_PRELOAD=$T/fake.so "$XLSR" restore -c "$T/fake.ini" --domid 6 \
            --store-port 1 --console-port 2 "$@" >"$T/out" 2>"$T/err"
    fi
    RC=$?
    set -e
}

t_fake_restore_through_libvirt_from_a_pipe() {
    fake_setup
    "$WRAP" libvirt -i "$T/ex.xl" -o "$T/lv"
    PIPE=$T/lv xr -
    [ "$RC" -eq 0 ] || { cat "$T/err"; fail "exit $RC"; }
    out_has '^  libxc: restored x86 HVM guest into domain 6'
    out_has '^restore: ok: 3 records, (.* )?END reached'
    same_blob_as_xl
}

# The QEMU state written from the container is the xl image's, byte for
# byte (restored from the xl image itself into domain 7 to compare).
same_blob_as_xl() {
    eq "$(stat -c %s "$T/d/qemu-resume.6")" 3000 "QEMU state size"
    LD_PRELOAD=$T/fake.so "$XLSR" restore -c "$T/fake.ini" --domid 7 \
        --store-port 1 --console-port 2 "$T/ex.xl" >/dev/null 2>&1 ||
        fail "restore of the xl image"
    cmp "$T/d/qemu-resume.6" "$T/d/qemu-resume.7" || fail "QEMU state differs"
}

t_fake_restore_through_xenopsd_from_a_pipe() {
    fake_setup
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/xo"
    PIPE=$T/xo xr -
    [ "$RC" -eq 0 ] || { cat "$T/err"; fail "exit $RC"; }
    out_has '^  libxc: restored x86 HVM guest into domain 6'
    out_has '^restore: ok: 4 records, (.* )?END reached'
    same_blob_as_xl
}

t_fake_restore_bare_libxc() {
    fake_setup
    "$WRAP" libxc -i "$T/ex.xl" -o "$T/lxc"
    # A file: the 8 bytes detection read are given back before the hand-over.
    xr "$T/lxc"
    [ "$RC" -eq 0 ] || { cat "$T/err"; fail "file: exit $RC"; }
    out_has '^  libxc: restored x86 HVM guest into domain 6'
    has "$T/fake.log" "bytes=$(stat -c %s "$T/lxc") rc=0$"
    # A pipe cannot give them back: --format libxc reads nothing first.
    PIPE=$T/lxc xr -
    eq "$RC" 1 "auto-detected bare libxc on a pipe"
    err_has 'bare libxc stream on a pipe: the 8 bytes read to detect it cannot be handed to libxenguest; restore it with --format libxc'
    PIPE=$T/lxc xr - --format libxc
    [ "$RC" -eq 0 ] || { cat "$T/err"; fail "--format libxc from a pipe: exit $RC"; }
    out_has '^  libxc: restored x86 HVM guest into domain 6'
}
