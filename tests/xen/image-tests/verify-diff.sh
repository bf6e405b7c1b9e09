#!/bin/sh
# tests/xen/guest-tests/verify-diff.sh - the verify differential, in dom0
# of the real-Xen suite (busybox sh): mutations of the real image `xl save`
# just wrote, each restored with stock `xl restore` and judged by the
# guest's heartbeat, and each checked with `xlsr verify` on the same bytes.
# tests/xen/t-xen-verify.sh compares the two verdicts on the host.
#
# The image is mutated in place and put back after each case (a copy of
# ~100 MB costs seconds under TCG).  One line per case in $OUT/verify-diff.txt:
#   case NAME xen=ok|fail xlsr=ok|fail secs=S
# "xen=ok": xl restore exited 0 and the guest printed a heartbeat newer
# than the saved one within $HB_WAIT s; anything else is "fail".
#
# Environment: IMG (the saved image), CONF (xlsr.ini), CONS (console log
# directory; the guest's log is guest-$NAME.log), NAME (the saved guest's
# name, default hb), OUT (default /out).
: "${IMG:?}" "${CONF:?}" "${CONS:?}"
NAME=${NAME:-hb}
OUT=${OUT:-/out}
HB_WAIT=${HB_WAIT:-40}
R=$OUT/verify-diff.txt
: >"$R"
LOG=$CONS/guest-$NAME.log
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'; }

# --- offsets and bytes ----------------------------------------------------
xlsr dump -v -c "$CONF" "$IMG" 2>/dev/null |
    sed -n 's/^  offset \([0-9]*\): libxc record 0x[0-9a-f]* \([A-Z0-9_]*\),.*/\2 \1/p' \
    >/tmp/vd-offs
rec() { awk -v n="$1" '$1 == n { print $2; exit }' /tmp/vd-offs; }
# get OFFSET N: N bytes at OFFSET as hex
get() { od -An -tx1 -j "$1" -N "$2" "$IMG" | tr -d ' \n'; }
# put OFFSET HEX: write the bytes
put() {
    h=$2 s=
    while [ -n "$h" ]; do
        s="$s\\$(printf '%03o' "0x$(echo "$h" | cut -c1-2)")"
        h=$(echo "$h" | cut -c3-)
    done
    printf "$s" | dd of="$IMG" bs=1 seek="$1" conv=notrunc 2>/dev/null
}
le32() { printf '%08x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/'; }
le64() { echo "$(le32 $(($1 & 0xffffffff)))$(le32 $((($1 >> 32) & 0xffffffff)))"; }
u32() { od -An -tu4 -j "$1" -N 4 "$IMG" | tr -d ' '; }

# Offset of the first page of data of page type TYPE (hex digit) in the
# first PAGE_DATA records, and of its pfn entry: "ENTRY PAGE PFN".
page_of() {
    for off in $(awk '$1 == "PAGE_DATA" { print $2 }' /tmp/vd-offs); do
        n=$(u32 $((off + 8)))
        r=$(od -An -v -tx8 -j $((off + 16)) -N $((8 * n)) "$IMG" |
            awk -v t="$1" -v base=$((off + 16)) -v data=$((off + 16 + 8 * n)) '
            { for (f = 1; f <= NF; f++) {
                  c = substr($f, 1, 1)
                  if (c == t) { print base + 8 * i, data, $f; exit }
                  if (c ~ /^[01234abc9]$/) data += 4096
                  i++ } }')
        if [ -n "$r" ]; then
            set -- $r
            echo "$1 $2 $((0x$(echo "$3" | cut -c2-)))"
            return
        fi
    done
}

# new_heartbeat SIZE: the console log has a heartbeat line past its first
# SIZE bytes (all of it if xenconsoled started it afresh).
new_heartbeat() {
    s=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
    if [ "$s" -lt "$1" ]; then cat "$LOG"; else tail -c +$(($1 + 1)) "$LOG"; fi |
        grep -q '^heartbeat'
}

# --- one case --------------------------------------------------------------
# run NAME OFFSET HEX: poke, verify, xl restore, judge, destroy, restore.
run() {
    old=$(get "$2" $((${#3} / 2)))
    put "$2" "$3"
    t0=$(up)
    if timeout 120 xlsr verify -c "$CONF" "$IMG" >"$OUT/vd-$1.verify" 2>&1
    then x=ok; else x=fail; fi
    s0=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
    timeout 120 xl restore "$IMG" >"$OUT/vd-$1.xl" 2>&1
    rc=$? xen=fail i=0
    if [ $rc = 0 ]; then
        while [ $i -lt "$HB_WAIT" ]; do
            if new_heartbeat "$s0"; then xen=ok; break; fi
            sleep 1; i=$((i + 1))
        done
    fi
    timeout 60 xl destroy "$NAME" >/dev/null 2>&1
    sleep 1
    put "$2" "$old"
    echo "case $1 xen=$xen xlsr=$x secs=$(since "$t0") xl_rc=$rc" >>"$R"
}

tsc=$(rec X86_TSC_INFO) cpuid=$(rec X86_CPUID_POLICY) msr=$(rec X86_MSR_POLICY)
p2m=$(rec X86_PV_P2M_FRAMES) basic=$(rec X86_PV_VCPU_BASIC)
pd=$(rec PAGE_DATA)
# the image header (24 bytes) and domain header (16) precede the first record
lxc=$(awk 'NR == 1 { print $2 - 40 }' /tmp/vd-offs)
end=$(u32 $((p2m + 12)))
set -- $(page_of c)         # a pinned L4
l4_page=${2:-}
set -- $(page_of 0)         # a data page
data_ent=${1:-} data_pfn=${3:-}

run baseline 0 "$(get 0 1)"
run tsc-reserved $((tsc + 8 + 20)) "$(le32 7)"
run ihdr-reserved $((lxc + 20)) 00000001
run tsc-mode-3 $((tsc + 8)) "$(le32 3)"
run cpuid-leaf $((cpuid + 8)) "$(le32 0x12345)"
run msr-flags $((msr + 12)) "$(le32 1)"
run p2m-frame-range $((p2m + 16)) "$(le64 0xfffff)"
run vcpu-id $((basic + 8)) "$(le32 1)"
run pfn-beyond-p2m $((pd + 16)) "$(le64 $((end + 1)))"
run config-not-json 52 5b
[ -n "$l4_page" ] && run l4-entry-range "$l4_page" "$(le64 0x00000fff00000067)"
[ -n "$data_ent" ] && run data-page-pinned-l1 "$data_ent" "$(le64 $((data_pfn | 9 << 60)))"
# Undetectable from the file: two valid p2m frames swapped
f0=$(get $((p2m + 16)) 8) f1=$(get $((p2m + 24)) 8)
run p2m-frames-swapped $((p2m + 16)) "$f1$f0"
echo "done" >>"$R"
