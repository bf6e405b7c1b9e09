#!/bin/sh
# tests/xen/image-tests/verify-diff-hvm.sh - the verify differential for
# the PVH and HVM (qemu-xen) images, in dom0 (busybox sh; run by
# steps/10-pvh.sh and steps/20-hvm.sh on the image each `xl save` wrote):
# mutations of the real image, each restored with stock `xl restore`,
# judged by the guest's heartbeat, and checked with `xlsr verify` on the
# same bytes (diff-lib.sh).  tests/xen/t-xen-verify.sh compares the
# verdicts on the host.
#
# PVH (no device model): the HVM_CONTEXT framing Xen's hvm_load() checks,
# HVM_PARAMS, TSC mode, a pfn beyond the configured memory (Xen populates
# it: verify must pass it), a reserved field (a warning only).
# HVM: the real EMULATOR_XENSTORE_DATA record (Xen's verify-stream-v2
# refuses it), a pfn in the MMIO hole, the qemu-xen blob without QEVM
# magic, absent, cut short of its header, cut in half; padding.
#
# Environment: KIND (pvh or hvm), IMG, CONF, CONS, NAME (the saved
# guest's name), HB_SAVED, OUT (default /out); DRY=1 runs verify only
# (the host's self-check of the mutations, tests/xen/t-xen-verify.sh).
: "${KIND:?}" "${IMG:?}" "${CONF:?}" "${CONS:?}" "${NAME:?}"
OUT=${OUT:-/out}
DR=$OUT/verify-diff-$KIND.txt
: >"$DR"
LOG=$CONS/guest-$NAME.log
XL_OPTS=-e
# dom0: tap_serial (TAP) and the PATH of the other steps
[ -f /xlsr/dom0-lib.sh ] && . /xlsr/dom0-lib.sh
. "$(dirname "$0")/diff-lib.sh"
vd_offsets
# case names carry the guest type: the verify outputs share $OUT
c() { echo "$KIND-$1"; }

tsc=$(rec X86_TSC_INFO) ctx=$(rec HVM_CONTEXT) par=$(rec HVM_PARAMS)
pd=$(rec PAGE_DATA)
# HVM_CONTEXT: record header (8), HEADER's descriptor (8) and body (24),
# then the first vCPU's CPU descriptor; END's descriptor is the last 8.
ctx_len=$(u32 $((ctx + 4)))
cpu=$((ctx + 8 + 32))
cpu_len=$(u32 $((cpu + 4)))

if [ "$KIND" = pvh ]; then
    run "$(c baseline)" 0 "$(get 0 1)"
    run "$(c ctx-magic)" $((ctx + 16)) "$(le32 0x12345678)"
    run "$(c ctx-typecode)" "$cpu" 1500
    run "$(c ctx-vcpu-instance)" $((cpu + 2)) 0300
    run "$(c ctx-cpu-longer)" $((cpu + 4)) "$(le32 $((cpu_len + 8)))"
    # the 8-byte entry before END swallows END's descriptor
    run "$(c ctx-no-end)" $((ctx + 8 + ctx_len - 24)) "10000000$(le32 16)"
    run "$(c param-index)" $((par + 16)) "$(le64 200)"
    # STORE_PFN's value: a pfn the stream never populated
    n=$(u32 $((par + 8))) i=0
    while [ $i -lt "$n" ] && [ "$(od -An -tu8 -j $((par + 16 + 16 * i)) -N 8 "$IMG" | tr -d ' ')" != 1 ]; do
        i=$((i + 1))
    done
    [ $i -lt "$n" ] && run "$(c store-pfn-range)" $((par + 16 + 16 * i + 8)) "$(le64 0x7fffff)"
    run "$(c tsc-mode-3)" $((tsc + 8)) "$(le32 3)"
    # pfn 0 (the first page sent; Linux keeps the first pages reserved)
    # moved beyond the 128 MiB the guest was configured with
    run "$(c pfn-beyond-memory)" $((pd + 16)) "$(le64 0x9000)"
    run "$(c params-reserved)" $((par + 12)) "$(le32 5)"
else
    emu=$(librec EMULATOR_CONTEXT) xs=$(librec EMULATOR_XENSTORE_DATA)
    emu_len=$(u32 $((emu + 4)))
    # emu_tail LEN: EMULATOR_CONTEXT with only LEN bytes of the blob
    # (padded to 8), then libxl END, into /tmp/vd-new
    emu_tail() {
        { hexbytes "03000000$(le32 $((8 + $1)))$(get $((emu + 8)) 8)"
          tail -c +$((emu + 17)) "$IMG" | head -c "$1"
          p=$(( (8 - $1 % 8) % 8 ))
          [ $p -gt 0 ] && head -c $p /dev/zero
          head -c 8 /dev/zero; } >/tmp/vd-new
    }
    run "$(c baseline-xenstore-data)" 0 "$(get 0 1)"
    run "$(c pfn-mmio-hole)" $((pd + 16)) "$(le64 0xfc000)"
    run "$(c qevm-magic)" $((emu + 16)) 51455658
    head -c 8 /dev/zero >/tmp/vd-new
    run_tail "$(c qemu-blob-absent)" "$emu" /tmp/vd-new
    emu_tail 4
    run_tail "$(c qemu-blob-cut-header)" "$emu" /tmp/vd-new
    emu_tail $(( (emu_len - 8) / 2 ))
    run_tail "$(c qemu-blob-cut-half)" "$emu" /tmp/vd-new
    rm -f /tmp/vd-new
    # EMULATOR_XENSTORE_DATA's padding (libxl reads past it)
    xs_len=$(u32 $((xs + 4)))
    [ $((xs_len % 8)) != 0 ] && run "$(c xsdata-padding)" $((xs + 8 + xs_len)) ff
fi
echo "done" >>"$DR"
