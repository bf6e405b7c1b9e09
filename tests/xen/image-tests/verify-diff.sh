#!/bin/sh
# tests/xen/image-tests/verify-diff.sh - the verify differential, in dom0
# of the real-Xen suite (busybox sh): mutations of the real image `xl save`
# just wrote, each restored with stock `xl restore` and judged by the
# guest's heartbeat, and each checked with `xlsr verify` on the same bytes.
# tests/xen/t-xen-verify.sh compares the two verdicts on the host.
#
# The image is mutated in place and put back after each case (a copy of
# ~100 MB costs seconds under TCG; diff-lib.sh).  One line per case in
# $OUT/verify-diff.txt:
#   case NAME xen=ok|fail xlsr=ok|fail secs=S
# "xen=ok": xl restore exited 0 and the guest printed a heartbeat within
# $HB_WAIT s; anything else is "fail".
#
# Environment: IMG (the saved image), CONF (xlsr.ini), CONS (console log
# directory; the guest's log is guest-$NAME.log), NAME (the saved guest's
# name, default hb), OUT (default /out).
: "${IMG:?}" "${CONF:?}" "${CONS:?}"
NAME=${NAME:-hb}
OUT=${OUT:-/out}
HB_WAIT=${HB_WAIT:-40}
DR=$OUT/verify-diff.txt
: >"$DR"
LOG=$CONS/guest-$NAME.log
. "$(dirname "$0")/diff-lib.sh"
vd_offsets

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
echo "done" >>"$DR"
