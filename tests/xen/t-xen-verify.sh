# tests/xen/t-xen-verify.sh - `xlsr verify` against a real Xen 4.17: the
# verdicts dom0 collected in image-tests/verify-diff.sh (mutations of the
# image `xl save` wrote, each restored with stock `xl restore` and judged
# by the heartbeat, each verified by xlsr on the same bytes), read from the
# same boot as tests/xen/t-xen.sh (one boot per test runner).
SLOW=1
NO_SAN=1

# The boot helpers of t-xen.sh, without its tests.
. <(sed '/^t_[a-z0-9_]*() {/,/^}/d' "$XLSR_TOP/tests/xen/t-xen.sh")

# Cases the file cannot decide, with why: the test notes them and does not
# count them as disagreements.
undetectable() {
    case $1 in
    # Every pfn in range and typed right: xlsr passes it; Xen restores it
    # and what the guest makes of its p2m is up to the guest (in the
    # measured run the heartbeat went on).
    p2m-frames-swapped) echo "two valid p2m frame entries swapped: nothing in the file is out of place" ;;
    # QEMU's device sections carry no length: where one device's state
    # ends is known only to that device's VMState description in QEMU, so
    # a blob cut between two sections' bytes reads as well-formed up to
    # the cut; QEMU then fails reading past the end.
    hvm-qemu-blob-cut-half) echo "qemu-xen state cut in half: QEMU's sections carry no lengths, only QEMU's device descriptions know where the blob should end" ;;
    *) return 1 ;;
    esac
}

# judge FILE MIN: the verdicts of one differential (dom0's
# verify-diff*.txt); sets n_, agree_, und_; fails on a disagreement.
judge() {
    f=$XR/run/share/$1
    [ -f "$f" ] || fail "dom0 wrote no $1; see $XR/run/share/ (verify-diff*.log, results.txt)"
    cat "$f"
    grep -qx done "$f" || fail "the differential stopped early ($1)"
    n_=0 agree_=0 und_=0
    bad=
    while read -r w name xen x rest; do
        [ "$w" = case ] || continue
        n_=$((n_ + 1))
        xen=${xen#xen=} x=${x#xlsr=}
        if [ "$xen" = "$x" ]; then
            agree_=$((agree_ + 1))
        elif why=$(undetectable "$name"); then
            und_=$((und_ + 1))
            echo "NOTE: $name: Xen $xen, xlsr $x: undetectable from the file: $why"
        else
            bad="$bad
  $name: Xen $xen, xlsr $x ($(grep -v ': debug:' "$XR/run/share/vd-$name.verify" 2>/dev/null | tail -n 1))"
        fi
    done <"$f"
    [ "$n_" -ge "$2" ] || fail "only $n_ cases ran ($1)"
    grep -q '^case [a-z]*-*baseline[a-z-]* xen=ok' "$f" || fail "the unmutated image did not restore ($1): the run says nothing"
    [ -z "$bad" ] || fail "verdicts differ:$bad"
}

t_xen_verify_differential() {
    xen_need
    [ -f "$XR/run/share/verify-diff.txt" ] || fail "dom0 wrote no verify-diff.txt (verify_diff_rc=$(xen_result verify_diff_rc)); see $XR/run/share/verify-diff.log"
    judge verify-diff.txt 12
    echo "NOTE: PV: xlsr verify agreed with xl restore on $agree_ of $n_ mutations ($und_ named undetectable)"
}

# PVH and HVM (image-tests/verify-diff-hvm.sh, run by steps/10-pvh.sh and
# steps/20-hvm.sh): HVM_CONTEXT framing, HVM_PARAMS, TSC mode, pfns Xen
# populates, the qemu-xen blob, reserved fields and padding.
t_xen_verify_differential_pvh() {
    xen_need
    [ "$(xen_result pvh_created)" = 1 ] || fail "no PVH guest (pvh_created=$(xen_result pvh_created))"
    judge verify-diff-pvh.txt 10
    echo "NOTE: PVH: xlsr verify agreed with xl restore on $agree_ of $n_ mutations ($und_ named undetectable); the differential took $(xen_result pvh_verify_diff_secs) s of the PVH step"
}

t_xen_verify_differential_hvm() {
    xen_need
    [ "$(xen_result hvm_created)" = 1 ] || fail "no HVM guest (hvm_created=$(xen_result hvm_created))"
    judge verify-diff-hvm.txt 6
    echo "NOTE: HVM: xlsr verify agreed with xl restore on $agree_ of $n_ mutations ($und_ named undetectable); the differential took $(xen_result hvm_verify_diff_secs) s of the HVM step"
}
