# tests/libxc/t-restore-fake.sh - the libxc plugin's restore mode without
# a hypervisor: a stand-in libxenguest (fake-xenguest.c, LD_PRELOADed)
# reads the libxc stream from the fd the plugin hands it.  Checks the
# hand-over (the core resumes libxl framing after libxenguest's END), the
# parameters passed to xc_domain_restore(), the results in the restore
# context, and the Remus checkpoint callback and failover.  The real thing
# runs in tests/xen (QEMU + Xen).
. tests/libxc/fake-lib.sh

libxc_bytes() { # offsets-file: bytes from libxc image header to libxc END
    awk '$3 == "LIBXC_CONTEXT" { start = $1 + 8 }
         $2 == "libxc" && $3 == "END" { print $1 + 8 - start }' "$1"
}

t_fake_restore_plain() {
    fake_setup
    "$GEN" --xl-header --libxc pv --pages 20 --batch 8 --offsets "$T/offs" \
        -o "$T/s"
    expect 0 xr --domid 9 --store-port 3 --console-port 4 --store-domid 1 \
        --console-domid 2 "$T/s"
    out_has '^  libxc: restored x86 PV guest into domain 9: store mfn 0x1009, console mfn 0x2009$'
    out_has '^restore: ok: 2 records, .* END reached'
    out_has '^restore: store_mfn 0x1009 console_mfn 0x2009$'
    err_has 'libxc: xc: fake xenctrl opened'
    has "$T/fake.log" "^restore dom=9 store_evtchn=3 store_domid=1 console_evtchn=4 console_domid=2 stream_type=0 send_back_fd=-1 checkpoints=0 bytes=$(libxc_bytes "$T/offs") rc=0$"
}

# From a pipe: the plugin takes the fd with nothing read ahead, and the
# core frames the libxl END after libxenguest's last byte.
t_fake_restore_pipe() {
    fake_setup
    "$GEN" --libxc hvm --pages 5 --rec 0x80000002:hex:0102 -o "$T/s"
    set +e
    cat "$T/s" | FAKE_HVM=1 xr --domid 4 --store-port 1 --console-port 2 - \
        >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    eq "$RC" 0 "exit status"
    out_has '^  libxc: restored x86 HVM guest into domain 4'
    out_has '^restore: ok: 3 records'
}

t_fake_restore_needs_ports() {
    fake_setup
    "$GEN" --libxc pv --pages 1 -o "$T/s"
    expect 2 xr --domid 9 "$T/s"
    err_has 'restore needs the store and console event channels \(store_port -1, console_port -1\)'
    expect 2 xr --domid 9 --store-port 1 --console-port 2 --checkpointed colo \
        "$T/s"
    err_has 'COLO restore needs a back channel'
}

t_fake_restore_broken_stream() {
    fake_setup
    "$GEN" --libxc pv --pages 8 -o "$T/full"
    head -c 5000 "$T/full" >"$T/s"
    expect 1 xr --domid 6 --store-port 1 --console-port 2 "$T/s"
    err_has 'error: libxc: xc: Failed to read record body'
    err_has 'record LIBXC_CONTEXT \(0x1\): handler libxc: xc_domain_restore failed for domain 6: Failed to read record body'
    hasnt "$T/out" 'store_mfn'
}

# A CHECKPOINT in a stream not declared checkpointed fails in libxenguest.
t_fake_restore_undeclared_checkpoint() {
    fake_setup
    "$GEN" --libxc hvm --pages 2 --checkpoints 1 --remus --ckpt-final-end \
        -o "$T/s"
    expect 1 xr --domid 6 --store-port 1 --console-port 2 "$T/s"
    err_has 'Found checkpoint in non-checkpointed stream'
}

# Remus: each CHECKPOINT calls back into the core for the libxl part; the
# sender never ends, libxenguest fails over on the read error, and xlsr
# reports the failover to the last complete checkpoint.
t_fake_restore_remus_failover() {
    fake_setup
    "$GEN" --libxc pv --pages 4 --checkpoints 3 --remus -o "$T/s"
    expect 0 xr --domid 5 --store-port 1 --console-port 2 \
        --checkpointed remus "$T/s"
    has "$T/fake.log" 'stream_type=1 .*checkpoints=3 .*rc=0$'
    out_has '^restore: ok: failover after checkpoint 3'
}

t_fake_restore_remus_end() {
    fake_setup
    "$GEN" --libxc hvm --pages 4 --checkpoints 2 --remus --ckpt-final-end \
        -o "$T/s"
    expect 0 xr --domid 5 --store-port 1 --console-port 2 \
        --checkpointed remus "$T/s"
    has "$T/fake.log" 'stream_type=1 .*checkpoints=2 .*rc=0$'
    # libxenguest returned at its END: the stream is complete there, the
    # libxl END after it is not read (libxl__xc_domain_restore_done).
    out_has '^restore: ok: failover after checkpoint 2'
}
