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
    *) return 1 ;;
    esac
}

t_xen_verify_differential() {
    xen_need
    f=$XR/run/share/verify-diff.txt
    [ -f "$f" ] || fail "dom0 wrote no verify-diff.txt (verify_diff_rc=$(xen_result verify_diff_rc)); see $XR/run/share/verify-diff.log"
    cat "$f"
    grep -qx done "$f" || fail "the differential stopped early"
    n=0 agree=0 bad= und=0
    while read -r w name xen x rest; do
        [ "$w" = case ] || continue
        n=$((n + 1))
        xen=${xen#xen=} x=${x#xlsr=}
        if [ "$xen" = "$x" ]; then
            agree=$((agree + 1))
        elif why=$(undetectable "$name"); then
            und=$((und + 1))
            echo "NOTE: $name: Xen $xen, xlsr $x: undetectable from the file: $why"
        else
            bad="$bad
  $name: Xen $xen, xlsr $x ($(tail -n 1 "$XR/run/share/vd-$name.verify" 2>/dev/null))"
        fi
    done <"$f"
    echo "NOTE: xlsr verify agreed with xl restore on $agree of $n mutations ($und named undetectable)"
    [ "$n" -ge 12 ] || fail "only $n cases ran"
    grep -q '^case baseline xen=ok' "$f" || fail "the unmutated image did not restore: the run says nothing"
    [ -z "$bad" ] || fail "verdicts differ:$bad"
}
