# tests/libxc/t-restore.sh - restore mode without a hypervisor: the libxc
# plugin refuses at init, before the core reads a byte of the stream (a
# migration socket is one-shot), and says what is missing.  With --dry-run
# or `mode = verify` the same stream is checked instead, no Xen needed.

no_xen() {
    [ ! -e /dev/xen/privcmd ] || skip "a Xen hypervisor is present"
}

t_restore_without_xen_fails_at_init() {
    no_xen
    "$GEN" --libxc hvm --pages 4 -o "$T/s"
    size=$(stat -c %s "$T/s")
    # The writer's data stays in the pipe for the next reader: xlsr read
    # none of it.
    set +e
    cat "$T/s" | {
        "$XLSR" restore --domid 7 -c "$CONF" - >"$T/out" 2>"$T/err"
        echo $? >"$T/rc"
        cat >"$T/rest"
    }
    set -e
    eq "$(cat "$T/rc")" 2 "exit status"
    err_has 'handler libxc: init failed: restore needs a Xen hypervisor: /dev/xen/privcmd: No such file or directory'
    err_has 'use --dry-run or mode = verify'
    eq "$(stat -c %s "$T/rest")" "$size" "bytes left unread in the pipe"
    cmp -s "$T/s" "$T/rest" || fail "the pipe's data changed"
    hasnt "$T/out" 'libxc:'
}

# The same from a file given by name: refused before it is even opened.
t_restore_without_xen_file() {
    no_xen
    "$GEN" --libxc pv --pages 2 -o "$T/s"
    expect 2 "$XLSR" restore --domid 7 -c "$CONF" "$T/s"
    err_has 'restore needs a Xen hypervisor'
    expect 2 "$XLSR" restore --domid 7 -c "$CONF" "$T/does-not-exist"
    err_has 'restore needs a Xen hypervisor'
}

t_dry_run_needs_no_xen() {
    "$GEN" --xl-header --libxc hvm --pages 4 -o "$T/s"
    expect 0 "$XLSR" restore --dry-run --domid 7 -c "$CONF" "$T/s"
    out_has '^  libxc: x86 HVM guest, saved by Xen 4\.17, stream version 3'
    out_has '^restore \(dry run\): ok:'
    hasnt "$T/out" 'store_mfn'
}

t_mode_verify_in_restore() {
    c=$(mkconf v.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
EOT
)
    "$GEN" --libxc pv --pages 4 -o "$T/s"
    expect 0 "$XLSR" restore --domid 7 -c "$c" "$T/s"
    out_has '^  libxc: x86 PV guest'
    out_has '^restore: ok:'
    hasnt "$T/out" 'store_mfn'
}

t_mode_key_checked() {
    c=$(mkconf m.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = apply
EOT
)
    "$GEN" --libxc pv --pages 1 -o "$T/s"
    expect 2 "$XLSR" verify -c "$c" "$T/s"
    err_has 'mode = apply: expected restore or verify'
}
