#!/bin/bash
# tests/xen/boot.sh - boots Xen + dom0 under QEMU (TCG) once and runs the
# dom0 side of the real-Xen suite (dom0-tests.sh).
#
#   bash tests/xen/boot.sh BUNDLE RUNDIR
#
# BUNDLE is what bundle.sh printed.  Into RUNDIR go: overlay.cpio.gz (this
# checkout's xlsr from $XLSR_BUILD, /init and the test scripts), the
# combined dom0 initramfs, serial.log (Xen's and dom0's console), and
# share/ (the 9p folder dom0 writes results.txt and its logs into).
# Environment: XLSR_BUILD (default build), XEN_TIMEOUT (seconds QEMU may
# run, default 420), XEN_QEMU_MEM (MiB, default 2048), XEN_SMP (default 2),
# XEN_CPU (QEMU -cpu), XEN_ACCEL (QEMU -accel), XEN_EXTRA (more Xen
# command line).
# Exit status: QEMU's (124 when the timeout stopped it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bundle=$1
run=$2
b=${XLSR_BUILD:-build}
case $b in /*) ;; *) b=$top/$b ;; esac

rm -rf "$run/overlay" "$run/share"
mkdir -p "$run/overlay" "$run/share"
o=$run/overlay

# --- the per-run overlay ------------------------------------------------------
mkdir -p "$o/xlsr" "$o/guest" "$o/etc/xlsr" "$o/usr/bin" "$o/usr/lib/xlsr/plugins"
install -m 755 "$here/dom0-init" "$o/init"
install -m 644 "$here/dom0-tests.sh" "$o/xlsr/dom0-tests.sh"
install -m 644 "$here/dom0-lib.sh" "$o/xlsr/dom0-lib.sh"
install -m 644 "$here/others.awk" "$o/xlsr/others.awk"
for c in guest.cfg guest-pvh.cfg guest-hvm.cfg; do
    install -m 644 "$here/$c" "$o/guest/$c"
done
install -m 644 "$here/dom0.ini" "$o/etc/xlsr/xlsr.ini"
for d in guest-tests image-tests steps; do
    [ -d "$here/$d" ] && cp -r "$here/$d" "$o/xlsr/"
done
# This checkout's build; whatever is missing shows up as a failed step in
# dom0, not here.
elfs=()
if [ -x "$b/bin/xlsr" ]; then
    cp "$b/bin/xlsr" "$o/usr/bin/"; elfs+=("$b/bin/xlsr")
fi
# The embedding toolstack, the stream writer for synthetic records, and
# the dump-core comparer of the export test.
for t in xlsr-toolstack xlsr-gen xlsr-dumpcmp; do
    if [ -x "$b/tests/$t" ]; then
        cp "$b/tests/$t" "$o/usr/bin/"; elfs+=("$b/tests/$t")
    fi
done
for f in "$b"/lib/libxlsr.so*; do
    [ -e "$f" ] && cp -P "$f" "$o/usr/lib/"
done
for f in "$b"/plugins/*.so; do
    [ -e "$f" ] && { cp "$f" "$o/usr/lib/xlsr/plugins/"; elfs+=("$f"); }
done
# The shared libraries these need (libinih, libxen*, ...).  Libraries the
# base already has are copied again; the later archive wins, same bytes.
if [ ${#elfs[@]} -gt 0 ]; then
    for l in $(for e in "${elfs[@]}"; do
                   LD_LIBRARY_PATH=$b/lib ldd "$e" 2>/dev/null |
                       awk '/=> \// {print $3}'
               done | sort -u | grep -v "^$b/"); do
        mkdir -p "$o$(dirname "$l")"
        cp -L "$l" "$o$l"
    done
fi
(cd "$o" && find . | cpio -o -H newc --quiet | gzip -1) >"$run/overlay.cpio.gz"
# Linux unpacks concatenated compressed cpio archives one after the other.
cat "$bundle/dom0-base.cpio.gz" "$run/overlay.cpio.gz" >"$run/dom0-initrd.gz"

# --- boot ----------------------------------------------------------------------
# TCG only: Xen needs to run PV dom0 on emulated hardware.
#  smep=0 smap=0  dom0 dies on its first page fault otherwise under TCG
#                 (QEMU's SMEP/SMAP emulation vs. Xen's PV entry path).
#  -rdtscp        QEMU's SVM reports RDTSCP exits as RDTSC; harmless for PV,
#                 kept so the same machine line also runs PVH/HVM guests.
#  -xsave ...     with QEMU's XSAVE emulation visible (and the AVX state
#                 that needs it), about one process in ten crashed in dom0
#                 at its first thread-local access once a guest ran (seen
#                 as "segfault at ..." in busybox, xl); with the XSAVE
#                 family hidden, none did in the same stress test.  Neither
#                 hiding AVX, FSGSBASE, SVM, PCID nor XSAVEOPT alone helped.
cpu=max,-rdtscp,-xsave,-xsaveopt,-xgetbv1,-avx,-avx2,-fma,-f16c,-vaes
xen_args="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all"
xen_args+=" guest_loglvl=all console_timestamps=boot smep=0 smap=0"
xen_args+=" ${XEN_EXTRA:-}"
dom0_args="console=hvc0 earlyprintk=xen"
start=$(date +%s.%N)
rc=0
timeout "${XEN_TIMEOUT:-420}" qemu-system-x86_64 \
    -accel "${XEN_ACCEL:-tcg,thread=multi}" -cpu "${XEN_CPU:-$cpu}" \
    -smp "${XEN_SMP:-2}" -m "${XEN_QEMU_MEM:-2048}" \
    -nographic -no-reboot -monitor none -net none \
    -serial "file:$run/serial.log" \
    -kernel "$bundle/xen.elf" -append "$xen_args" \
    -initrd "$bundle/vmlinux $dom0_args,$run/dom0-initrd.gz" \
    -virtfs "local,path=$run/share,mount_tag=xlsr,security_model=none,id=xlsr" \
    </dev/null >"$run/qemu.out" 2>&1 || rc=$?
end=$(date +%s.%N)
echo "qemu_rc $rc" >"$run/qemu.txt"
echo "qemu_wall $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')" >>"$run/qemu.txt"
exit $rc
