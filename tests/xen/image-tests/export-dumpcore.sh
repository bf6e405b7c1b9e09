#!/bin/sh
# tests/xen/image-tests/export-dumpcore.sh - dom0 step of the export test
# (tests/xen/t-xen-export.sh judges it on the host).
#
# PV (no G): a fresh heartbeat guest "hbx" (created by xl: `xl save` needs
# libxl's stored domain configuration) is saved with `xl save -p` (it
# suspends, is saved and is left paused: it never runs again) into a FIFO
# that `xlsr export --format raw` reads, then dumped with `xl dump-core` as
# it stays paused.  The dump-core's .xen_pages are compared with the raw
# export by cmp here; only the pages that differ (a PV dump-core holds page
# tables with machine frames, the save with pfns) and the dump-core's
# .xen_p2m go to $OUT for the host to check (9p under TCG moves ~2 MB/s,
# the images are ~100 MB).
#
# PVH/HVM (G=guest P=key prefix, run by steps/10-pvh.sh, 20-hvm.sh on a
# guest they restored with xl): the same save -p / dump-core of one paused
# domain, but xlsr exports in dump-core form, whose .xen_pfn lists exactly
# the pfns the stream carried; `xl dump-core` writes the .xen_pfn form for
# auto-translated guests (tools/libs/guest/xg_core.c).  xlsr-dumpcmp
# (tests/xen/dumpcmp.c) compares the two by pfn while the domain still
# exists, and asks Xen the type of the pfns only the dump-core holds.
# Files are named after P: the PVH run goes on in the background while
# the HVM step runs.  Facts as "key value" lines on stdout; nothing
# asserted here.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
CONS=/var/log/xen/console
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'; }
res() { echo "$*"; }
u64() { od -A n -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
u32() { od -A n -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
# sec FILE NAME: "offset size" of an ELF64 section, by name.
sec() {
    shoff=$(u64 "$1" 40)
    n=$(od -A n -t u2 -j 60 -N 2 "$1" | tr -d ' ')
    si=$(od -A n -t u2 -j 62 -N 2 "$1" | tr -d ' ')
    str=$(u64 "$1" $((shoff + 64 * si + 24)))
    i=0
    while [ $i -lt "$n" ]; do
        h=$((shoff + 64 * i))
        nm=$(dd if="$1" bs=1 skip=$((str + $(u32 "$1" $h))) count=24 \
             2>/dev/null | tr '\0' '\n' | head -n 1)
        if [ "$nm" = "$2" ]; then
            echo "$(u64 "$1" $((h + 24))) $(u64 "$1" $((h + 32)))"
            return 0
        fi
        i=$((i + 1))
    done
    echo "0 0"
}
[ -n "$G" ] || P=export_
W=/tmp/$P
cat >${W}export.ini <<EOT
[core]
plugin_dir = /usr/lib/xlsr/plugins
[record.end]
plugin = end
[record.libxc_context]
plugin = export
# HVM streams carry mandatory emulator records: bound as conf/export.ini
# does (export runs in verify mode, they only get checked).
[record.emulator_xenstore_data]
plugin = xenstore
[record.emulator_context]
plugin = emulator
EOT

t0=$(up)
if [ -z "$G" ]; then
G=hbx FMT=raw
timeout 120 xl create -e /guest/guest.cfg 'name="hbx"' >${W}exp-create.log 2>&1
res export_create_rc $?
i=0
while ! grep -q '^heartbeat 1' $CONS/guest-hbx.log 2>/dev/null && [ $i -lt 90 ]; do
    sleep 1; i=$((i + 1))
done
res export_create_secs "$(since "$t0")"
else
FMT=dump-core
: >${W}exp-create.log
fi
# The save goes straight into xlsr through a FIFO (dom0's tmpfs holds two
# ~100 MB images beside the suite's own, not three; xl opens a file name,
# and nothing reached a /dev/stdout pipe).
t0=$(up)
rm -f ${W}exp.fifo; mkfifo ${W}exp.fifo
timeout 300 xlsr export -c ${W}export.ini --format $FMT -o ${W}exp.raw \
    ${W}exp.fifo >${W}exp-export.out 2>&1 &
xp=$!
timeout 300 xl save -p $G ${W}exp.fifo >${W}exp-save.log 2>&1
r=$?
echo $r >${W}exp-save.rc
[ $r = 0 ] || kill $xp      # xlsr may still wait for a writer
wait $xp
echo $? >${W}exp-export.rc
rm -f ${W}exp.fifo
res ${P}save_rc "$(cat ${W}exp-save.rc 2>/dev/null)"
res ${P}rc "$(cat ${W}exp-export.rc 2>/dev/null)"
res ${P}secs "$(since "$t0")"
res ${P}mode "$(stat -c %a ${W}exp.raw 2>/dev/null)"
res ${P}raw_bytes "$(stat -c %s ${W}exp.raw 2>/dev/null || echo 0)"
res ${P}state "$(xl list $G 2>/dev/null | awk 'NR == 2 { print $5 }')"
t0=$(up)
# PVH/HVM: xg_core.c tries a foreign mapping of every pfn below max gpfn
# + 1 (~0xff000 here: the special pages sit below 4 GiB), one at a time;
# under TCG that took more than 300 s in the first run.
timeout $([ "$FMT" = raw ] && echo 300 || echo 600) xl dump-core $G ${W}exp.core >${W}exp-core.log 2>&1
res ${P}dumpcore_rc $?
res ${P}dumpcore_secs "$(since "$t0")"
t0=$(up)
if [ "$FMT" = dump-core ]; then
    set -- $(sec ${W}exp.core .xen_pages)
    res ${P}pages_theirs "$2"
    set -- $(sec ${W}exp.raw .xen_pages)
    res ${P}pages_ours "$2"
    domid=$(xl domid $G 2>/dev/null)
    timeout 300 xlsr-dumpcmp ${domid:+-d $domid} ${W}exp.core ${W}exp.raw \
        >${W}cmp.txt 2>${W}cmp.err
    res ${P}cmp_rc $?
    sed "s/^/${P}/" ${W}cmp.txt
    timeout 60 xl destroy $G
    res ${P}compare_secs "$(since "$t0")"
    rm -f ${W}exp.core ${W}exp.raw
    cat ${W}exp-save.log ${W}exp-core.log ${W}exp-export.out ${W}cmp.err \
        >"$OUT/${P}dumpcore.log"
    exit 0
fi
timeout 60 xl destroy $G
set -- $(sec ${W}exp.core .xen_pages); toff=$1 tsize=$2
res export_pages_theirs "$tsize"
set -- $(sec ${W}exp.core .xen_p2m)
dd if=${W}exp.core of="$OUT/theirs.p2m" bs=4096 skip=$(($1 / 4096)) \
    count=$((($2 + 4095) / 4096)) 2>/dev/null
res export_p2m_theirs "$1 $2"
# Page i of .xen_pages against the raw export at offset i * 4096: the
# host checks that the dump-core's pfns are exactly 0 .. N-1.
cmp -l ${W}exp.core ${W}exp.raw "$toff" 0 2>/dev/null |
    awk '{ print int(($1 - 1) / 4096) }' | uniq | head -n 4000 \
    >"$OUT/diff-idx.txt"
res export_diff_pages "$(grep -c . "$OUT/diff-idx.txt")"
: >"$OUT/diff-theirs.bin"; : >"$OUT/diff-ours.bin"
while read -r i; do
    dd if=${W}exp.core bs=4096 skip=$((toff / 4096 + i)) count=1 \
        2>/dev/null >>"$OUT/diff-theirs.bin"
    dd if=${W}exp.raw bs=4096 skip="$i" count=1 2>/dev/null \
        >>"$OUT/diff-ours.bin"
done <"$OUT/diff-idx.txt"
rm -f ${W}exp.core ${W}exp.raw
res export_compare_secs "$(since "$t0")"
cat ${W}exp-create.log ${W}exp-save.log ${W}exp-core.log \
    ${W}exp-export.out >"$OUT/export-dumpcore.log"
