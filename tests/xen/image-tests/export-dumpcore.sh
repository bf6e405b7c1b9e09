#!/bin/sh
# tests/xen/image-tests/export-dumpcore.sh - dom0 step of the export test
# (tests/xen/t-xen-export.sh judges it on the host).  A fresh heartbeat
# guest "hbx" (created by xl: `xl save` needs libxl's stored domain
# configuration) is saved with `xl save -p` (it suspends, is saved and is
# left paused: it never runs again) into a FIFO that `xlsr export --format
# raw` reads, then dumped with `xl dump-core` as it stays paused.  The
# dump-core's .xen_pages are compared with the raw export by cmp here;
# only the pages that differ (a PV dump-core holds page tables with
# machine frames, the save with pfns) and the dump-core's .xen_p2m go to
# $OUT for the host to check (9p under TCG moves ~2 MB/s, the images are
# ~100 MB).  Facts as "key value" lines on stdout; nothing asserted here.
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
cat >/tmp/export.ini <<EOT
[core]
plugin_dir = /usr/lib/xlsr/plugins
[record.end]
plugin = end
[record.libxc_context]
plugin = export
EOT

t0=$(up)
timeout 120 xl create -e /guest/guest.cfg 'name="hbx"' >/tmp/exp-create.log 2>&1
res export_create_rc $?
i=0
while ! grep -q '^heartbeat 1' $CONS/guest-hbx.log 2>/dev/null && [ $i -lt 90 ]; do
    sleep 1; i=$((i + 1))
done
res export_create_secs "$(since "$t0")"
# The save goes straight into xlsr through a FIFO (dom0's tmpfs holds two
# ~100 MB images beside the suite's own, not three; xl opens a file name,
# and nothing reached a /dev/stdout pipe).
t0=$(up)
rm -f /tmp/exp.fifo; mkfifo /tmp/exp.fifo
timeout 120 xlsr export -c /tmp/export.ini --format raw -o /tmp/exp.raw \
    /tmp/exp.fifo >/tmp/exp-export.out 2>&1 &
xp=$!
timeout 100 xl save -p hbx /tmp/exp.fifo >/tmp/exp-save.log 2>&1
r=$?
echo $r >/tmp/exp-save.rc
[ $r = 0 ] || kill $xp      # xlsr may still wait for a writer
wait $xp
echo $? >/tmp/exp-export.rc
rm -f /tmp/exp.fifo
res export_save_rc "$(cat /tmp/exp-save.rc 2>/dev/null)"
res export_rc "$(cat /tmp/exp-export.rc 2>/dev/null)"
res export_secs "$(since "$t0")"
res export_mode "$(stat -c %a /tmp/exp.raw 2>/dev/null)"
res export_raw_bytes "$(stat -c %s /tmp/exp.raw 2>/dev/null || echo 0)"
res export_state "$(xl list hbx 2>/dev/null | awk 'NR == 2 { print $5 }')"
t0=$(up)
timeout 300 xl dump-core hbx /tmp/exp.core >/tmp/exp-core.log 2>&1
res export_dumpcore_rc $?
res export_dumpcore_secs "$(since "$t0")"
timeout 60 xl destroy hbx
t0=$(up)
set -- $(sec /tmp/exp.core .xen_pages); toff=$1 tsize=$2
res export_pages_theirs "$tsize"
set -- $(sec /tmp/exp.core .xen_p2m)
dd if=/tmp/exp.core of="$OUT/theirs.p2m" bs=4096 skip=$(($1 / 4096)) \
    count=$((($2 + 4095) / 4096)) 2>/dev/null
res export_p2m_theirs "$1 $2"
# Page i of .xen_pages against the raw export at offset i * 4096: the
# host checks that the dump-core's pfns are exactly 0 .. N-1.
cmp -l /tmp/exp.core /tmp/exp.raw "$toff" 0 2>/dev/null |
    awk '{ print int(($1 - 1) / 4096) }' | uniq | head -n 4000 \
    >"$OUT/diff-idx.txt"
res export_diff_pages "$(grep -c . "$OUT/diff-idx.txt")"
: >"$OUT/diff-theirs.bin"; : >"$OUT/diff-ours.bin"
while read -r i; do
    dd if=/tmp/exp.core bs=4096 skip=$((toff / 4096 + i)) count=1 \
        2>/dev/null >>"$OUT/diff-theirs.bin"
    dd if=/tmp/exp.raw bs=4096 skip="$i" count=1 2>/dev/null \
        >>"$OUT/diff-ours.bin"
done <"$OUT/diff-idx.txt"
rm -f /tmp/exp.core /tmp/exp.raw
res export_compare_secs "$(since "$t0")"
cat /tmp/exp-create.log /tmp/exp-save.log /tmp/exp-core.log \
    /tmp/exp-export.out >"$OUT/export-dumpcore.log"
