# tests/checkpoint/t-checkpoint.sh - checkpointed (Remus/COLO) streams:
# records are applied only once their checkpoint's CHECKPOINT_END has
# arrived; a stream cut anywhere fails over to the last complete
# checkpoint, and no handler ever sees a byte of the broken one.

# make check runs it, make test leaves it out (tests/run.sh):
# a cut loop of over 100 runs.
SLOW_TESTS=t_cut_at_every_boundary_and_inside

ck_conf() {
    mkconf ck.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.emulator_context]
plugin = recorder
log = $T/log
[record.0x80000009]
plugin = recorder
log = $T/log
cookie = 9
EOT
}

# A 5-checkpoint Remus-shaped HVM stream; each checkpoint's libxl part
# carries an emulator record and a vendor record naming the checkpoint.
mk5() {
    "$GEN" --libxc hvm --pages 4 --checkpoints 5 --remus \
        --ckpt-rec 'emulator_context:emu:2:0:c{K}' \
        --ckpt-rec '0x80000009:str:checkpoint-{K}' \
        --offsets "$T/offsets" -o "$T/s" "$@"
}

# check_cut AT: verify the first AT bytes; the recorder must have seen the
# records of exactly the checkpoints whose CHECKPOINT_END ends by AT.
check_cut() {
    at=$1
    head -c "$at" "$T/s" >"$T/cut"
    rm -f "$T/log"
    done_n=$(awk -v at="$at" '$2 == "libxl" && $3 == "CHECKPOINT_END" && $1 + 8 <= at { n++ } END { print n + 0 }' "$T/offsets")
    run "$XLSR" verify -c "$C" "$T/cut"
    if [ "$done_n" -eq 0 ]; then
        [ "$RC" -eq 1 ] || fail "cut at $at: exit $RC before any complete checkpoint, wanted 1"
    else
        [ "$RC" -eq 0 ] || { cat "$T/err"; fail "cut at $at: exit $RC after $done_n checkpoints, wanted 0"; }
        grep -q "failover after checkpoint $done_n;" "$T/out" || { cat "$T/out"; fail "cut at $at: not 'failover after checkpoint $done_n'"; }
    fi
    # Exactly checkpoints 1..done_n, in order, each complete.
    want=""
    k=1
    while [ "$k" -le "$done_n" ]; do want="$want $k $k"; k=$((k + 1)); done
    got=$(grep '^record' "$T/log" 2>/dev/null | sed 's/.* ckpt=\([0-9]*\) .*/\1/' | tr '\n' ' ')
    [ "$(echo $got)" = "$(echo $want)" ] || fail "cut at $at: handlers saw checkpoints '$got', wanted '$want'"
}

t_cut_at_every_boundary_and_inside() {
    mk5
    C=$(ck_conf)
    size=$(stat -c %s "$T/s")
    cuts=$(awk '{ print $1; print $1 + 3; print $1 + 9 }' "$T/offsets" | sort -n -u)
    n=0
    for at in $cuts $size; do
        [ "$at" -le "$size" ] || continue
        check_cut "$at"
        n=$((n + 1))
    done
    echo "checked $n cuts"
    [ "$n" -gt 100 ] || fail "only $n cuts checked"
}

t_complete_stream_reports_every_checkpoint() {
    mk5
    C=$(ck_conf)
    expect 0 "$XLSR" verify -c "$C" "$T/s"
    out_has 'failover after checkpoint 5; the stream ended at offset [0-9]+, right after it'
    # Contents arrive in checkpoint order: the vendor bodies differ.
    eq "$(grep -c 'cookie=9 type=0x80000009' "$T/log")" 5 "vendor records applied"
}

# Issue 10, case 1: after a libxc END in a checkpointed stream libxl
# completes (libxl__xc_domain_restore_done): the records after it are
# never applied, whether the stream was declared Remus or not.
t_final_end_after_checkpoints() {
    mk5 --ckpt-final-end --rec 'emulator_context:emu:2:1:ee' \
        --rec '0x80000009:str:after-libxc'
    C=$(ck_conf)
    for how in "" "--checkpointed remus"; do
        rm -f "$T/log"
        expect 0 "$XLSR" verify $how -c "$C" "$T/s"
        out_has '^verify: ok: failover after checkpoint 5'
        hasnt "$T/log" 'after-libxc|ckpt=0 '
        eq "$(grep -c '^record' "$T/log")" 10 "records applied"
    done
    # The dry run agrees, and writes nothing for the record after it.
    expect 0 "$XLSR" restore --dry-run --checkpointed remus --domid 5 -c "$C" "$T/s"
    out_has '^restore \(dry run\): ok: failover after checkpoint 5'
}

t_dump_shows_checkpoint_numbers() {
    mk5
    C=$(ck_conf)
    expect 0 "$XLSR" dump -v -c "$C" "$T/s"
    for k in 1 2 3 4 5; do
        out_has "record 0x00000004 CHECKPOINT_END, length 0, checkpoint $k\$"
        out_has "record 0x80000009 \\(optional\\), length 12, checkpoint $k\$"
    done
    # Declared, every record inside the libxc stream is numbered too.
    expect 0 "$XLSR" dump -v --checkpointed remus -c "$C" "$T/s"
    grep ' libxc record ' "$T/out" >"$T/lx"
    hasnt "$T/lx" 'length [0-9]+$'
    has "$T/lx" 'PAGE_DATA, length [0-9]+, checkpoint 1$'
    has "$T/lx" 'CHECKPOINT, length 0, checkpoint 5$'
}

t_handler_error_while_unbuffering_is_fatal() {
    mk5
    c=$(mkconf f.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.emulator_context]
plugin = recorder
log = $T/log
fail_at = 3
EOT
)
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'record EMULATOR_CONTEXT \(0x3\): handler recorder: recorder told to fail record 3'
    hasnt "$T/out" 'failover'
}

t_checkpoint_over_buffer_limit() {
    "$GEN" --libxc hvm --pages 2 --checkpoints 2 --remus \
        --ckpt-rec 'emulator_context:emublob:2:0:40000' -o "$T/s"
    c=$(mkconf l.ini <<EOT
checkpoint_buffer_bytes = 32K
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.emulator_context]
plugin = recorder
log = $T/log
EOT
)
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'offset [0-9]+ .*checkpoint 1 holds more than checkpoint_buffer_bytes \(32768\)'
    hasnt "$T/log" '^record'
}

t_colo_stream_states_routed() {
    "$GEN" --libxc hvm --pages 2 --checkpoints 3 --colo \
        --ckpt-rec 'emulator_context:emu:2:0:00' --offsets "$T/offsets" -o "$T/s"
    grep -q 'CHECKPOINT_STATE' "$T/offsets" || skip "writer made no CHECKPOINT_STATE records"
    c=$(mkconf colo.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.emulator_context]
plugin = recorder
log = $T/log
[record.checkpoint_state]
plugin = recorder
log = $T/log
cookie = 5
EOT
)
    # Declared COLO: the core frames each CHECKPOINT_STATE between
    # checkpoints and routes it like any record.
    expect 0 "$XLSR" verify --checkpointed colo -c "$c" "$T/s"
    out_has 'failover after checkpoint 3'
    want=$(grep -c 'CHECKPOINT_STATE' "$T/offsets")
    eq "$(grep -c 'cookie=5 type=0x5 len=4' "$T/log")" "$want" "CHECKPOINT_STATE records routed"
    # Each one at the offset the writer put it.
    for off in $(awk '$3 == "CHECKPOINT_STATE" { print $1 }' "$T/offsets"); do
        has "$T/log" "cookie=5 type=0x5 len=4 offset=$off "
    done
}

t_many_empty_records_count_against_the_limit() {
    set --
    i=0
    while [ $i -lt 40 ]; do set -- "$@" --ckpt-rec 0x80000009; i=$((i + 1)); done
    "$GEN" --libxc hvm --pages 2 --checkpoints 1 --remus "$@" -o "$T/s"
    c=$(mkconf e.ini <<EOT
checkpoint_buffer_bytes = 1K
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.0x80000009]
plugin = recorder
log = $T/log
EOT
)
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'record 0x80000009 \(optional\): checkpoint 1 holds more than checkpoint_buffer_bytes \(1024\)'
    hasnt "$T/log" '^record'
}
