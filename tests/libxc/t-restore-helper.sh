# tests/libxc/t-restore-helper.sh - libxenguest out of process: the libxc
# plugin runs xc_domain_restore() in a forked helper (plugins/libxc/
# helper.h).  Through the stand-in libxenguest: the restore happens in
# another process on the same open file description; a helper that
# crashes, is killed or overruns restore_timeout gives a clear error and
# a session that closes cleanly; stream offsets stay exact on a file and
# are "unknown" on a pipe.
. tests/libxc/fake-lib.sh

helper_setup() { # [LIBXC-KEYS]
    fake_setup "${1:-}
[record.emulator_context]
plugin = recorder
log = $T/log"
    export FAKE_XENGUEST_PIDLOG=$T/pids
}

remus3() {
    "$GEN" --libxc hvm --pages 4 --checkpoints 3 --remus \
        --ckpt-rec 'emulator_context:emu:2:0:c{K}' -o "$T/s"
}

xr_remus() { xr --domid 5 --store-port 1 --console-port 2 --checkpointed remus "$@"; }

t_helper_is_another_process() {
    helper_setup
    "$GEN" --libxc pv --pages 4 -o "$T/s"
    expect 0 xr --domid 9 --store-port 1 --console-port 2 "$T/s"
    out_has '^restore: ok'
    read -r p q <"$T/pids"
    [ "${p#pid=}" != "${q#ppid=}" ] || fail "restored in the xlsr process itself: $p $q"
    # The helper is gone once the restore is done.
    ! kill -0 "${p#pid=}" 2>/dev/null || fail "helper ${p#pid=} still runs"
}

t_helper_crash_is_an_error() {
    helper_setup
    remus3
    # A sanitizer in the helper would catch the signal itself.
    export ASAN_OPTIONS="${ASAN_OPTIONS:-}:handle_segv=0"
    FAKE_XENGUEST_DIE_AT=2 FAKE_XENGUEST_SIGNAL=11 expect 1 xr_remus "$T/s"
    err_has "record LIBXC_CONTEXT \\(0x1\\): handler libxc: libxenguest's helper ended with signal 11 \\(Segmentation fault\\) before reporting a result \\(after checkpoint 1\\)"
    # Checkpoint 1 was applied, nothing after it; xlsr itself survived to
    # report (and, in the sanitizer pass, closed without a leak).
    eq "$(grep -c 'ckpt=1 ' "$T/log")" 1 "checkpoint 1 records"
    hasnt "$T/log" 'ckpt=[23] '
    hasnt "$T/out" 'ok:'
}

t_helper_killed_from_outside() {
    helper_setup
    remus3
    export FAKE_XENGUEST_HANG_AT=2 FAKE_XENGUEST_PIDFILE=$T/hang.pid
    set +e
    xr_remus "$T/s" >"$T/out" 2>"$T/err" &
    x=$!
    set -e
    i=0
    while [ ! -s "$T/hang.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -s "$T/hang.pid" ] || { kill $x; fail "the helper never hung"; }
    kill -9 "$(cat "$T/hang.pid")"
    set +e; wait $x; RC=$?; set -e
    eq "$RC" 1 "exit status"
    err_has "libxenguest's helper ended with signal 9 \\(Killed\\) before reporting a result \\(after checkpoint 1\\)"
}

t_helper_timeout_kills_and_reaps() {
    helper_setup "restore_timeout = 1"
    remus3
    export FAKE_XENGUEST_HANG_AT=1 FAKE_XENGUEST_PIDFILE=$T/hang.pid
    start=$(date +%s)
    expect 1 xr_remus "$T/s"
    took=$(( $(date +%s) - start ))
    echo "NOTE: restore_timeout = 1 ended the run after ${took} s"
    [ "$took" -lt 30 ] || fail "took $took s"
    err_has "restore_timeout \\(1 s\\) exceeded after checkpoint 0: libxenguest's helper killed \\(signal 9 \\(Killed\\)\\)"
    p=$(cat "$T/hang.pid")
    ! kill -0 "$p" 2>/dev/null || fail "helper $p still runs"
    # Not reaped would show as a zombie child of a dead parent: gone.
    [ ! -e "/proc/$p" ] || fail "helper $p left behind"
}

# After libxenguest, on a file the core knows the exact offset (the same
# open file description); on a pipe it says it does not.
t_helper_offsets_exact_on_files_unknown_on_pipes() {
    helper_setup
    "$GEN" --libxc pv --pages 4 --rec 0x7:hex:00 --offsets "$T/o" -o "$T/s"
    at=$(awk '$3 == "0x00000007" { print $1 }' "$T/o")
    expect 1 xr --domid 9 --store-port 1 --console-port 2 "$T/s"
    err_has "offset $at \\(0x[0-9a-f]+\\): record 0x7 \\(unknown mandatory\\)"
    set +e
    cat "$T/s" | xr --domid 9 --store-port 1 --console-port 2 - >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    eq "$RC" 1 "exit status on a pipe"
    err_has 'stdin: offset unknown \(libxenguest read the stream from a pipe\): record 0x7'
    # A Remus failover on a pipe does not invent an offset either.
    remus3
    set +e
    cat "$T/s" | xr_remus - >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    eq "$RC" 0 "remus on a pipe"
    out_has '^restore: ok: failover after checkpoint 3; stream offsets after libxenguest.s reads are unknown \(a pipe\)$'
    out_has '^restore: store_mfn 0x1005 console_mfn 0x2005$'
}
