# tests/checkpoint/t-libxl-rules.sh - restore semantics as libxl's (issue
# 10, cases 1-7): each case is run three ways, `verify`, `restore
# --dry-run` and a restore through the stand-in libxenguest, which must
# agree on the exit status, the verdict and the records their handlers
# saw.  The rules come from Xen 4.17 libxl_stream_read.c and
# xg_sr_restore.c (see core/src/machine.c).
. tests/libxc/fake-lib.sh

rules_setup() { # [CORE-KEYS]
    fake_setup "[record.emulator_context]
plugin = recorder
log = $T/log
[record.0x80000009]
plugin = recorder
log = $T/log
cookie = 9" "${1:-}"
    C=$T/fake.ini
}

# agree STREAM ARGS...: the three runs; $T/v.* $T/d.* $T/r.* keep each
# one's stdout, stderr and recorder log; the exit status ($RC afterwards)
# and the logs must match, and so must the verdict: stdout's "ok:" line
# without its verb on success; on failure, with AGREE_ERR=1 (the core
# found it, not a libxc reader), stderr's last line.
agree() {
    st=$1; shift
    for w in v d r; do
        rm -f "$T/log"; : >"$T/log"
        case $w in
        v) run "$XLSR" verify -c "$C" "$@" "$st" ;;
        d) run "$XLSR" restore --dry-run --domid 5 -c "$C" "$@" "$st" ;;
        r) run env LD_PRELOAD="$T/fake.so" "$XLSR" restore --domid 5 \
               --store-port 1 --console-port 2 -c "$C" "$@" "$st" ;;
        esac
        cp "$T/out" "$T/$w.out"; cp "$T/err" "$T/$w.err"
        grep '^record' "$T/log" >"$T/$w.log" || true
        if [ "$RC" -eq 0 ]; then
            grep -E '^[a-z ()]+: ok: ' "$T/out" | sed 's/^[^:]*: //' >"$T/$w.verdict"
        elif [ -n "${AGREE_ERR:-}" ]; then
            tail -n 1 "$T/err" >"$T/$w.verdict"
        else
            : >"$T/$w.verdict"
        fi
        echo "$RC" >"$T/$w.rc"
    done
    for w in d r; do
        cmp -s "$T/v.rc" "$T/$w.rc" || { cat "$T/v.err" "$T/$w.err"; fail "exit status: verify $(cat "$T/v.rc"), $w $(cat "$T/$w.rc")"; }
        cmp -s "$T/v.log" "$T/$w.log" || { diff "$T/v.log" "$T/$w.log"; fail "verify and $w applied different records"; }
        cmp -s "$T/v.verdict" "$T/$w.verdict" || { cat "$T/v.verdict" "$T/$w.verdict"; fail "verify and $w disagree on the verdict"; }
    done
    RC=$(cat "$T/v.rc")
}

# poke FILE OFFSET HEX: overwrite bytes in place.
poke() {
    printf "$(echo "$3" | sed 's/../\\x&/g')" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# remus2: a 2-checkpoint Remus stream $T/full with an emulator record per
# checkpoint; $AT is the offset of checkpoint 2's first libxc record.
remus2() {
    "$GEN" --libxc hvm --pages 4 --checkpoints 2 --remus \
        --ckpt-rec 'emulator_context:emu:2:0:c{K}' --offsets "$T/o" -o "$T/full"
    AT=$(awk '$3 == "PAGE_DATA" && $5 == "ckpt=2" { print $1 }' "$T/o")
}

# ckpts LOG: the checkpoint numbers of the records the recorder saw.
ckpts() {
    sed 's/.* ckpt=\([0-9]*\) .*/\1/' "$1" | tr '\n' ' ' | sed 's/ $//'
}

# Case 1: records after the libxc stream of a Remus stream are never
# applied: libxl completes when libxenguest returns.
t_case1_nothing_after_libxc_in_remus() {
    rules_setup
    "$GEN" --libxc hvm --pages 4 --checkpoints 2 --remus --ckpt-final-end \
        --ckpt-rec 'emulator_context:emu:2:0:c{K}' \
        --rec 'emulator_context:emu:2:1:ee' -o "$T/s"
    agree "$T/s" --checkpointed remus
    eq "$RC" 0 "exit status"
    has "$T/v.verdict" '^ok: failover after checkpoint 2'
    eq "$(ckpts "$T/v.log")" "1 2" "checkpoints applied"
    hasnt "$T/d.out" 'index 1'
    has "$T/fake.log" 'stream_type=1 .*checkpoints=2 .*rc=0$'
}

# Case 2: libxenguest fails over on its own (a record over its
# REC_LENGTH_MAX while buffering) with bytes still to come: the core must
# not frame them, even when they look like libxl records.
t_case2_failover_decided_by_libxenguest() {
    rules_setup
    remus2
    head -c "$AT" "$T/full" >"$T/s"
    printf '\001\000\000\000\000\000\000\020' >>"$T/s"   # 256 MiB claim
    "$GEN" --rec 'emulator_context:emu:2:0:bad0' --rec checkpoint_end \
        --no-end -o "$T/piece"
    tail -c +17 "$T/piece" >>"$T/s"
    agree "$T/s" --checkpointed remus
    eq "$RC" 0 "exit status"
    has "$T/v.verdict" '^ok: failover after checkpoint 1'
    eq "$(ckpts "$T/v.log")" "1" "checkpoints applied"
    has "$T/r.err" "exceeds max"
}

# Case 3: a bad libxc record after checkpoint 1 is buffered by libxc: when
# the stream then ends, that is failover to checkpoint 1; when its
# CHECKPOINT comes, the checkpoint's libxl part is applied first and then
# the restore fails, blamed on the libxc handler.
t_case3_bad_record_while_libxc_buffers() {
    rules_setup
    remus2
    poke "$T/full" $((AT + 16 + 7)) 50                     # pfn[0] type 5
    tsc=$(awk '$3 == "X86_TSC_INFO" && $5 == "ckpt=2" { print $1 }' "$T/o")
    head -c "$tsc" "$T/full" >"$T/cut"
    agree "$T/cut" --checkpointed remus
    eq "$RC" 0 "exit status (cut after the bad record)"
    has "$T/v.verdict" '^ok: failover after checkpoint 1'
    eq "$(ckpts "$T/v.log")" "1" "checkpoints applied"
    agree "$T/full" --checkpointed remus
    eq "$RC" 1 "exit status (checkpoint 2 complete)"
    eq "$(ckpts "$T/v.log")" "1 2" "checkpoints applied"
    for w in v d r; do
        has "$T/$w.err" 'record LIBXC_CONTEXT \(0x1\): handler libxc: .*[Ii]nvalid page type'
        hasnt "$T/$w.err" 'handler (emulator|recorder)'
    done
}

# Case 4: any error while BUFFERING is a failover to the last complete
# checkpoint (the first one has none: an error); an error while
# UNBUFFERING is an error.
t_case4_errors_while_buffering_fail_over() {
    rules_setup "checkpoint_buffer_bytes = 16K"
    # (a) a framing error: non-zero padding in checkpoint 2's libxl part
    # (an error under --strict; libxl itself reads past padding).
    "$GEN" --libxc hvm --pages 4 --checkpoints 2 --remus \
        --ckpt-rec '0x80000009:str:ck{K}' --offsets "$T/o" -o "$T/s"
    at=$(awk '$3 == "0x80000009" && $5 == "ckpt=2" { print $1 }' "$T/o")
    poke "$T/s" $((at + 8 + 3)) ff
    agree "$T/s" --checkpointed remus --strict
    eq "$RC" 0 "framing error"
    has "$T/v.verdict" '^ok: failover after checkpoint 1'
    has "$T/v.err" 'checkpoint 2 broken while buffering .*non-zero padding'
    # (b) the buffer limit, reached in checkpoint 2 only.
    "$GEN" --libxc hvm --pages 4 --checkpoints 2 --remus \
        --ckpt-rec '0x80000009:zero:{K}0000' -o "$T/s"
    agree "$T/s" --checkpointed remus
    eq "$RC" 0 "buffer limit"
    has "$T/v.verdict" '^ok: failover after checkpoint 1'
    eq "$(ckpts "$T/v.log")" "1" "checkpoints applied"
    has "$T/v.err" 'checkpoint 2 holds more than checkpoint_buffer_bytes \(16384\)'
    # (c) ... in checkpoint 1: libxenguest has no consistent state.
    "$GEN" --libxc hvm --pages 4 --checkpoints 2 --remus \
        --ckpt-rec '0x80000009:zero:20000' -o "$T/s"
    agree "$T/s" --checkpointed remus
    eq "$RC" 1 "limit in checkpoint 1"
    has "$T/v.err" 'stream broke before the first complete checkpoint'
    has "$T/r.err" 'checkpoint 1 holds more than checkpoint_buffer_bytes'
    eq "$(wc -l <"$T/v.log")" 0 "records applied"
}

# Case 4, the limit is checked on the header: a 100 MiB record against a
# 16 MiB limit is refused before its body is read (the old reader peaked
# at 270 MB).
t_case4_limit_checked_before_the_body() {
    command -v /usr/bin/time >/dev/null || skip "no /usr/bin/time (package time)"
    rules_setup "checkpoint_buffer_bytes = 16M"
    "$GEN" --libxc hvm --pages 4 --checkpoints 1 --remus \
        --ckpt-rec '0x80000009:zero:100M' -o "$T/s"
    set +e
    /usr/bin/time -f '%M' -o "$T/rss" "$XLSR" verify --checkpointed remus \
        -c "$C" "$T/s" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    eq "$RC" 1 "exit status (the first checkpoint cannot fail over)"
    err_has 'checkpoint 1 holds more than checkpoint_buffer_bytes \(16777216\) with this 104857600-byte record'
    kb=$(tail -n 1 "$T/rss")
    echo "NOTE: peak RSS refusing a 100 MiB record against a 16 MiB checkpoint limit: $((kb / 1024)) MiB"
    [ "$kb" -lt 65536 ] || fail "peak RSS $kb KiB: the body was read"
}

# Case 5: a second LIBXC_CONTEXT is refused; libxenguest runs once.
t_case5_second_libxc_context_refused() {
    rules_setup
    "$GEN" --libxc pv --pages 2 --libxc pv --offsets "$T/o" -o "$T/s"
    second=$(awk '$3 == "LIBXC_CONTEXT" { n++; if (n == 2) print $1 }' "$T/o")
    AGREE_ERR=1 agree "$T/s"
    eq "$RC" 1 "exit status"
    for w in v d r; do
        has "$T/$w.err" "offset $second \\(0x[0-9a-f]+\\): record LIBXC_CONTEXT \\(0x1\\): a second LIBXC_CONTEXT"
    done
    eq "$(wc -l <"$T/fake.log")" 1 "xc_domain_restore calls"
}

# Case 6: an O_NONBLOCK fd (libvirt's) is made blocking for the run and
# given back non-blocking, as libxl does around a restore.
nonblock_run() { # CMD...: feeds $T/s slowly through a non-blocking pipe
    python3 - "$T/s" "$@" <<'EOF'
import os, sys, time
data = open(sys.argv[1], 'rb').read()
r, w = os.pipe()
os.set_blocking(r, False)
pid = os.fork()
if pid == 0:
    os.close(w)
    os.dup2(r, 0)
    os.execvp(sys.argv[2], sys.argv[2:])
time.sleep(0.3)                 # the first read finds the pipe empty
for i in range(0, len(data), 4096):
    os.write(w, data[i:i + 4096])
    if i % 65536 == 0:
        time.sleep(0.05)
os.close(w)
_, st = os.waitpid(pid, 0)
print("blocking-after=%s" % os.get_blocking(r))
sys.exit(os.waitstatus_to_exitcode(st))
EOF
}

t_case6_nonblocking_fd() {
    rules_setup
    "$GEN" --libxc pv --pages 40 --rec 0x80000009:str:x -o "$T/s"
    run nonblock_run "$XLSR" verify -c "$C" -
    eq "$RC" 0 "verify through a non-blocking pipe ($(cat "$T/err"))"
    out_has '^verify: ok'
    out_has '^blocking-after=False$'
    run nonblock_run env LD_PRELOAD="$T/fake.so" "$XLSR" restore --domid 3 \
        --store-port 1 --console-port 2 -c "$C" -
    eq "$RC" 0 "stand-in restore through a non-blocking pipe ($(cat "$T/err"))"
    out_has '^restore: ok'
    out_has '^blocking-after=False$'
}

# Case 7: records libxl refuses are refused, naming record, offset, rule.
t_case7_emulator_records_in_pv_streams() {
    rules_setup
    "$GEN" --xl-header --libxc pv --pages 2 --rec 'emulator_context:emu:2:0:aa' \
        --offsets "$T/o" -o "$T/s"
    at=$(awk '$3 == "EMULATOR_CONTEXT" { print $1 }' "$T/o")
    AGREE_ERR=1 agree "$T/s"
    eq "$RC" 1 "xl config says pv"
    has "$T/v.err" "offset $at \\(0x[0-9a-f]+\\): record EMULATOR_CONTEXT \\(0x3\\): emulator record in the stream of a PV guest \\(the xl config's c_info.type says so\\)"
    eq "$(wc -l <"$T/v.log")" 0 "records applied"
    # No xl header: the libxc domain header (or, restoring, the domain
    # libxenguest restored into) says PV.
    "$GEN" --libxc pv --pages 2 --rec 'emulator_context:emu:2:0:aa' -o "$T/s"
    AGREE_ERR=1 agree "$T/s"
    eq "$RC" 1 "libxc header says pv"
    has "$T/v.err" 'emulator record in the stream of a PV guest'
}

t_case7_reserved_emulator_id() {
    rules_setup
    "$GEN" --libxc hvm --pages 2 --rec 'emulator_context:emu:3:0:aa' \
        --offsets "$T/o" -o "$T/s"
    at=$(awk '$3 == "EMULATOR_CONTEXT" { print $1 }' "$T/o")
    FAKE_HVM=1 AGREE_ERR=1 agree "$T/s"
    eq "$RC" 1 "exit status"
    has "$T/v.err" "offset $at \\(0x[0-9a-f]+\\): record EMULATOR_CONTEXT \\(0x3\\): emulator id 3 is reserved"
    eq "$(wc -l <"$T/v.log")" 0 "records applied"
}
