# tests/checkpoint/t-cut.sh - a Remus stream cut at every byte offset of
# its last two checkpoints, and at a sample of offsets before them, ends
# in exactly one of: failover after checkpoint N with nothing after
# checkpoint N applied, or an error before the first checkpoint completed
# (cut-remus.c checks the rule and says which for each cut, in $T/cuts).
# The dry run agrees at every cut, and the stand-in restore through the
# helper at a sample of them.
SLOW=1
. tests/libxc/fake-lib.sh

cut_setup() {
    fake_setup "[record.emulator_context]
plugin = recorder
log = $T/log
[record.0x80000009]
plugin = recorder
log = $T/log"
    "$GEN" --libxc hvm --pages 3 --checkpoints 4 --remus \
        --ckpt-rec 'emulator_context:emu:2:0:c{K}' \
        --ckpt-rec '0x80000009:str:ck{K}' --offsets "$T/o" -o "$T/s"
    SIZE=$(stat -c %s "$T/s")
    # The last two checkpoints start at checkpoint 3's first record.
    LAST2=$(awk '$0 ~ / ckpt=3/ { print $1; exit }' "$T/o")
}

cuts() { # MODE FROM TO STEP
    "$B/tests/cut-remus" "$T/fake.ini" "$T/s" "$T/o" "$T/log" 2 "$@"
}

t_cut_remus_at_every_offset() {
    cut_setup
    cuts verify "$LAST2" "$SIZE" 1 >"$T/cuts" || { tail -n 3 "$T/cuts"; fail "a cut broke the rule"; }
    cuts verify 0 "$LAST2" 61 >>"$T/cuts" || { tail -n 3 "$T/cuts"; fail "a cut broke the rule"; }
    tail -n 1 "$T/cuts"
    n=$(grep -c '^cut ' "$T/cuts")
    every=$((SIZE - LAST2 + 1))
    [ "$n" -ge "$every" ] || fail "only $n cuts"
    # Both verdicts occur, and a failover to every checkpoint.
    for k in 1 2 3 4; do
        grep -q "failover after checkpoint $k\$" "$T/cuts" || fail "no cut fails over to checkpoint $k"
    done
    grep -q 'error before the first complete checkpoint' "$T/cuts" || fail "no cut before checkpoint 1"
    echo "NOTE: $n cuts of a $SIZE-byte Remus stream ($every at every byte of its last two checkpoints): $(grep -c 'failover after' "$T/cuts") failovers, $(grep -c 'error before' "$T/cuts") errors before the first checkpoint"
}

t_cut_remus_dry_run_agrees() {
    cut_setup
    cuts verify "$LAST2" "$SIZE" 7 >"$T/v" || fail "verify: a cut broke the rule"
    cuts dry-run "$LAST2" "$SIZE" 7 >"$T/d" || fail "dry run: a cut broke the rule"
    cmp "$T/v" "$T/d" || { diff "$T/v" "$T/d" | head; fail "verify and dry run differ"; }
}

# Through the helper: the stand-in restore's verdict at sampled cuts is
# the one verify gave.
t_cut_remus_stand_in_restore_agrees() {
    cut_setup
    n=0
    for at in $(awk -v s="$SIZE" 'BEGIN { for (i = 0; i <= s; i += 1499) print i }') \
              $(awk '{ print $1; print $1 + 8 }' "$T/o" | sort -n -u | awk 'NR % 3 == 0'); do
        [ "$at" -le "$SIZE" ] || continue
        cuts verify "$at" "$at" 1 >"$T/v" || fail "verify: cut $at broke the rule"
        head -c "$at" "$T/s" >"$T/cut"
        : >"$T/log"
        run xr --domid 5 --store-port 1 --console-port 2 --checkpointed remus "$T/cut"
        want=$(grep "^cut $at: " "$T/v" | sed 's/^cut [0-9]*: //')
        case $want in
        failover*)
            eq "$RC" 0 "cut $at: exit status ($(tail -n 1 "$T/err"))"
            k=${want##* }
            out_has "^restore: ok: failover after checkpoint $k;"
            eq "$(grep -c '^record' "$T/log")" $((2 * k)) "cut $at: records applied" ;;
        *)
            eq "$RC" 1 "cut $at: exit status"
            eq "$(grep -c '^record' "$T/log")" 0 "cut $at: records applied" ;;
        esac
        n=$((n + 1))
    done
    echo "NOTE: the stand-in restore agreed with verify at $n cuts"
    [ "$n" -gt 40 ] || fail "only $n cuts"
}
