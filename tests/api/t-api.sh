# tests/api/t-api.sh - the embedding API as a toolstack uses it: many
# sessions in one process, overlapping, over different configurations and
# from 16 threads.  Every session must get exactly the plugins its
# configuration names and the verdict `xlsr verify` gives for the stream.

API=$B/tests/api-sessions

# Four configurations binding the same record types to different plugins,
# so that a session handed another session's plugin object gets another
# verdict (and is caught by the binding check before that).
api_configs() {
    mkconf A.ini >/dev/null <<EOT
unknown_records = skip
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.emulator_xenstore_data]
plugin = xenstore
[record.emulator_context]
plugin = emulator
[record.checkpoint_state]
plugin = colo
EOT
    mkconf B.ini >/dev/null <<EOT
unknown_records = fail
[record.emulator_context]
plugin = recorder
log = /dev/null
fail_at = 1
[record.end]
plugin = end
[record.emulator_xenstore_data]
plugin = recorder
log = /dev/null
EOT
    mkconf C.ini >/dev/null <<EOT
[record.emulator_context]
plugin = end
[record.0x8000A001]
plugin = recorder
log = /dev/null
[record.end]
plugin = recorder
log = /dev/null
stop = true
[record.libxc_context]
plugin = recorder
log = /dev/null
EOT
    # D's vendor plugin stays mapped after its last dlclose() (NODELETE).
    mkconf D.ini >/dev/null <<EOT
[record.end]
plugin = end
[record.0x8000B001]
plugin = abi10-nodelete
tag = d
[record.emulator_context]
plugin = emulator
EOT
    BIND_A=end=end,libxc_context=libxc,emulator_xenstore_data=xenstore,emulator_context=emulator,checkpoint_state=colo
    BIND_B=emulator_context=recorder,end=end,emulator_xenstore_data=recorder
    BIND_C=emulator_context=end,0x8000A001=recorder,end=recorder,libxc_context=recorder
    BIND_D=end=end,0x8000B001=abi10,emulator_context=emulator
}

api_streams() {
    emu="--rec emulator_context:emu:2:0:00112233445566778899"
    xs="--rec emulator_xenstore_data:xs:2:0:k=v;k2=v2"
    "$GEN" $emu $xs -o "$T/plain"
    "$GEN" --libxc pv --pages 8 $emu -o "$T/libxc"
    "$GEN" --xl-header $xs $emu -o "$T/xl"
    "$GEN" --rec 0x8000A001:hex:0011223344556677 $xs -o "$T/vendor"
    head -c -5 "$T/plain" >"$T/trunc"
    "$GEN" --rec 0x8000B001:hex:2a000000 $emu -o "$T/b001"
}

# verdict CONF STREAM: what the CLI says, as the driver words it, in $V
# (and its exit status in $RC).
verdict() {
    run "$XLSR" verify -c "$1" "$2"
    if [ "$RC" -eq 0 ]; then
        V=$(sed -n 's/^verify: ok: \([0-9]*\) records, \([0-9]*\) bytes.*/ok \1 \2/p' "$T/out")
    else
        V=$(grep "^xlsr: $2: " "$T/err" | tail -n 1 | sed "s|^xlsr: $2: ||")
    fi
}

# api_jobs: every configuration x every stream, with the CLI's verdicts.
api_jobs() {
    api_configs
    api_streams
    : >"$T/jobs"
    for c in A B C D; do
        eval "bind=\$BIND_$c"
        for s in plain libxc xl vendor trunc b001; do
            verdict "$T/$c.ini" "$T/$s"
            [ -n "$V" ] || fail "no verdict from the CLI for $c on $s"
            printf '%s\t%s\t%s\t%s\t%s\n' "$T/$c.ini" "$T/$s" "$RC" "$V" \
                "$bind" >>"$T/jobs"
        done
    done
    # The mix must really differ by configuration, or a mix-up could hide.
    n=$(cut -f 2,4 "$T/jobs" | sort -u | wc -l)
    [ "$n" -ge 16 ] || fail "only $n distinct (stream, verdict) pairs"
}

t_api_overlapping_sessions_sequence() {
    api_jobs
    # Jobs 1-6 are A on each stream, 7-12 B, 13-18 C, 19-24 D.  Job 1 is
    # (A, plain), job 7 (B, plain): the issue's sequence, S1(A) S2(A),
    # close S1, S3(B), then the same with B and A swapped.
    sed -n '1p;7p' "$T/jobs" >"$T/seq"
    expect 0 "$API" sequence "$T/seq"
    out_has '^sessions run 4, wrong plugins 0, wrong verdicts 0$'
    # Every pair of configurations, both ways, then a third afresh.  D's
    # NODELETE plugin stays mapped after its last session, so the loader
    # keeps its descriptor and so its name (without that, the 16-thread
    # run below gets wrong plugins: 125 of 800 when tried).
    for p in '1p;13p;19p' '7p;13p;1p' '3p;9p;15p' '16p;4p;10p' \
             '19p;7p;1p' '24p;1p;13p' '12p;24p;3p' '18p;20p;8p'; do
        sed -n "$p" "$T/jobs" >"$T/seq"
        expect 0 "$API" sequence "$T/seq"
        out_has '^sessions run 5, wrong plugins 0, wrong verdicts 0$'
    done
}

t_api_sixteen_threads() {
    api_jobs
    expect 0 "$API" threads 16 50 "$T/jobs"
    out_has '^sessions run 800, wrong plugins 0, wrong verdicts 0$'
}

# --- ABI: exports, old callers, old plugins, the restore context -------

t_api_exports_only_the_public_api() {
    lib=$B/lib/libxlsr.so.0
    # What xlsr.h declares...
    sed -n 's/^[a-z].*[ *]\(xlsr_[a-z_]*\)(.*/\1/p' \
        core/include/xlsr/xlsr.h | sort -u >"$T/declared"
    [ "$(wc -l <"$T/declared")" -ge 15 ] || fail "too few declarations found"
    # ...is all the library exports (defined, dynamic), and nothing else.
    nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' |
        sed 's/@.*//' | sort -u >"$T/exported"
    diff "$T/declared" "$T/exported" || fail "exports differ from xlsr.h"
    if nm -D --defined-only "$lib" | grep -q 'xlsr__'; then
        fail "an internal symbol is exported"
    fi
    # Every export has a version; the four whose structures grew have
    # their 1.0 entry points too.
    objdump -T "$lib" | grep -q 'Base .*xlsr_' && fail "unversioned export"
    for f in xlsr_config_load xlsr_session_open xlsr_session_run \
             xlsr_error_format; do
        objdump -T "$lib" | grep -Eq " XLSR_1\.1 +$f\$" || fail "$f@@XLSR_1.1"
        objdump -T "$lib" | grep -Eq "\(XLSR_1\.0\) +$f\$" || fail "$f@XLSR_1.0"
    done
}

t_api_old_caller_keeps_working() {
    api_jobs
    # Its references are unversioned, as in a binary built before 1.1.
    objdump -T "$B/tests/old-caller" | grep -Eq 'Base +xlsr_session_run$' ||
        fail "old-caller was not linked unversioned"
    # (expect() owns $want: the verdict is $said)
    while IFS="$(printf '\t')" read -r conf stream status said bind; do
        expect "$status" "$B/tests/old-caller" "$conf" "$stream"
        eq "$(head -n 1 "$T/out")" "$said" "old caller, $conf on $stream"
        out_has '^layout ok$'
    done <"$T/jobs"
}

t_api_restore_ctx_size_checked() {
    api_configs
    api_streams
    expect 2 "$B/tests/old-caller" "$T/A.ini" "$T/plain" 8
    out_has "restore context of 8 bytes is smaller than ABI 1\\.0's [0-9]+ \\(set ctx->size = sizeof\\(struct xlsr_restore_ctx\\)\\)"
    expect 2 "$B/tests/old-caller" "$T/A.ini" "$T/plain" 0
    out_has 'restore context of 0 bytes'
}

t_api_plugin_built_against_abi_1_0() {
    c=$(mkconf v10.ini <<EOT
[record.end]
plugin = end
[record.0x8000B001]
plugin = abi10
tag = frozen
EOT
)
    "$GEN" --rec 0x8000B001:hex:2a000000 -o "$T/s"
    expect 0 "$XLSR" plugins -c "$c"
    out_has 'abi10.*ABI 1\.0'
    expect 0 "$XLSR" dump -c "$c" "$T/s"
    # The old plugin sees today's host table, which starts as 1.0's did.
    out_has '^  abi10: value 42, tag frozen, host table [0-9]+ bytes, ABI 1\.[0-9]+$'
    "$GEN" --rec 0x8000B001:hex:2a0000 -o "$T/bad"
    expect 1 "$XLSR" verify -c "$c" "$T/bad"
    err_has 'record 0x8000b001 \(optional\): handler abi10: body of 3 bytes, expected 4$'
}

t_api_sixteen_threads_tsan() {
    [ -z "$XLSR_SAN" ] || skip "ThreadSanitizer cannot share a process with AddressSanitizer: this runs in the plain pass"
    [ -x "$B/tests/api-sessions-tsan" ] || fail "no TSan build of the driver"
    # TSan needs a memory layout some kernels refuse (high mmap ASLR).
    run "$B/tests/api-sessions-tsan"
    if grep -q 'FATAL: ThreadSanitizer' "$T/err"; then
        skip "ThreadSanitizer cannot run here: $(grep -m1 FATAL "$T/err")"
    fi
    api_jobs
    # The core compiled in under TSan; any report fails the run.
    export TSAN_OPTIONS=exitcode=66:halt_on_error=1
    expect 0 "$B/tests/api-sessions-tsan" threads 16 50 "$T/jobs"
    out_has '^sessions run 800, wrong plugins 0, wrong verdicts 0$'
    hasnt "$T/err" 'ThreadSanitizer'
}

# --- plugin files that change while a session holds them ---------------

# reload_conf DIR: $T/DIR.ini binds a vendor type to plugin x from DIR.
reload_conf() {
    cat >"$T/$1.ini" <<EOT
[core]
plugin_dir = $T/$1:$B/plugins
[record.end]
plugin = end
[record.0x8000B001]
plugin = x
EOT
}

# reload_setup: $T/p/x.so a copy of end.so, $T/q/x.so one of colo.so, and
# a stream with one record of the vendor type.
reload_setup() {
    mkdir -p "$T/p" "$T/q"
    install -m 0755 "$B/plugins/end.so" "$T/p/x.so"
    install -m 0755 "$B/plugins/colo.so" "$T/q/x.so"
    reload_conf p
    reload_conf q
    "$GEN" --rec 0x8000B001:hex:2a000000 -o "$T/s"
}

# reload_job CONF DESC: a jobs line for p.ini (the one the driver loads)
# with the CLI's verdict under CONF and the plugin named DESC.
reload_job() {
    verdict "$T/$1.ini" "$T/s"
    printf '%s\t%s\t%s\t%s\t%s\n' "$T/p.ini" "$T/s" "$RC" "$V" \
        "end=end,0x8000B001=$2"
}

# reload_run CHANGE...: the driver holds a session on p/x.so while CHANGE
# runs, then opens a second one; its output in $T/out, status in $RC.
reload_run() {
    mkfifo "$T/go"
    "$API" reload "$T/jobs" <"$T/go" >"$T/out" 2>"$T/err" &
    pid=$!
    exec 3>"$T/go"
    for i in $(seq 100); do grep -q '^held$' "$T/out" && break; sleep 0.1; done
    grep -q '^held$' "$T/out" || fail "the driver never held its session"
    "$@"
    echo go >&3
    exec 3>&-
    set +e; wait $pid; RC=$?; set -e
}

t_api_plugin_replaced_while_held() {
    reload_setup
    { reload_job p end; reload_job q colo; } >"$T/jobs"
    hasnt "$T/jobs" 'no verdict'
    # An upgrade as install(1) does it: a new file renamed over the old.
    # The held session keeps the old object, the next one gets the new.
    reload_run install -m 0755 "$B/plugins/colo.so" "$T/p/x.so"
    eq "$RC" 0 "driver status"
    out_has '^sessions run 2, wrong plugins 0, wrong verdicts 0$'
}

t_api_plugin_rewritten_in_place_refused() {
    reload_setup
    { reload_job p end; reload_job p end; } >"$T/jobs"
    # Same inode, new mtime: glibc would hand out the old mapping.
    reload_run touch -d '+1 minute' "$T/p/x.so"
    eq "$RC" 1 "driver status"
    err_has "p\.ini:.*handler x: refusing plugin: the file was rewritten in place since this process loaded it"
    out_has '^sessions run 1, wrong plugins 0, wrong verdicts 1$'
}

t_api_foreign_stale_fd_name_caught() {
    api_configs
    api_streams
    # Job: A on plain.  The embedder itself leaves "/proc/self/fd/N"
    # naming colo.so; the loader's first plugin (end) then opens on fd N.
    verdict "$T/A.ini" "$T/plain"
    printf '%s\t%s\t%s\t%s\t%s\n' "$T/A.ini" "$T/plain" "$RC" "$V" \
        "$BIND_A" >"$T/jobs"
    expect 1 "$API" stale "$B/plugins/colo.so" "$T/jobs"
    out_has '^stale name /proc/self/fd/[0-9]+$'
    # Caught before any code of the foreign object runs as a plugin.
    err_has "end\.so: .*refusing plugin: the dynamic linker handed out an object mapped from another file for /proc/self/fd/[0-9]+"
    out_has 'wrong plugins 0, wrong verdicts 1$'
}
