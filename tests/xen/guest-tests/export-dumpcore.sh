#!/bin/sh
# tests/xen/guest-tests/export-dumpcore.sh - dom0 step of the export test
# (tests/xen/t-xen-export.sh judges it on the host).  A fresh heartbeat
# guest "hbx" (created by xl: `xl save` needs libxl's stored domain
# configuration) is saved with `xl save -p` (it suspends, is saved and is
# left paused: it never runs again), then dumped with `xl dump-core` as it
# stays paused.  xlsr exports the save in dump-core form here, so both
# files have the same layout: their .xen_pages are compared with cmp, and
# only the pages that differ (a PV dump-core holds page tables with
# machine frames, the save with pfns) and both .xen_p2m tables go to $OUT
# for the host to check; 9p under TCG moves ~2 MB/s, the images are
# ~100 MB.  Facts as "key value" lines on stdout; nothing asserted here.
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
t0=$(up)
timeout 300 xl save -p hbx /tmp/exp.xl >/tmp/exp-save.log 2>&1
res export_save_rc $?
res export_save_secs "$(since "$t0")"
res export_state "$(xl list hbx 2>/dev/null | awk 'NR == 2 { print $5 }')"
t0=$(up)
timeout 300 xl dump-core hbx /tmp/exp.core >/tmp/exp-core.log 2>&1
res export_dumpcore_rc $?
res export_dumpcore_secs "$(since "$t0")"
timeout 60 xl destroy hbx
t0=$(up)
timeout 120 xlsr export -c /tmp/export.ini --format dump-core \
    -o /tmp/ours.core /tmp/exp.xl >/tmp/exp-export.out 2>&1
res export_rc $?
res export_secs "$(since "$t0")"
res export_mode "$(stat -c %a /tmp/ours.core 2>/dev/null)"
rm -f /tmp/exp.xl
t0=$(up)
set -- $(sec /tmp/exp.core .xen_pages); toff=$1 tsize=$2
set -- $(sec /tmp/ours.core .xen_pages); ooff=$1 osize=$2
res export_pages_theirs "$tsize"
res export_pages_ours "$osize"
for w in exp:theirs ours:ours; do
    set -- $(sec /tmp/${w%%:*}.core .xen_p2m)
    dd if=/tmp/${w%%:*}.core of="$OUT/${w#*:}.p2m" bs=4096 \
        skip=$(($1 / 4096)) count=$((($2 + 4095) / 4096)) 2>/dev/null
    res export_p2m_${w#*:} "$1 $2"
done
dd if=/tmp/exp.core of=/tmp/a bs=4096 skip=$((toff / 4096)) \
    count=$((tsize / 4096)) 2>/dev/null
rm -f /tmp/exp.core
dd if=/tmp/ours.core of=/tmp/b bs=4096 skip=$((ooff / 4096)) \
    count=$((osize / 4096)) 2>/dev/null
rm -f /tmp/ours.core
cmp -l /tmp/a /tmp/b 2>/dev/null | awk '{ print int(($1 - 1) / 4096) }' |
    uniq | head -n 4000 >"$OUT/diff-idx.txt"
res export_diff_pages "$(grep -c . "$OUT/diff-idx.txt")"
: >"$OUT/diff-theirs.bin"; : >"$OUT/diff-ours.bin"
while read -r i; do
    dd if=/tmp/a bs=4096 skip="$i" count=1 2>/dev/null >>"$OUT/diff-theirs.bin"
    dd if=/tmp/b bs=4096 skip="$i" count=1 2>/dev/null >>"$OUT/diff-ours.bin"
done <"$OUT/diff-idx.txt"
rm -f /tmp/a /tmp/b
res export_compare_secs "$(since "$t0")"
cat /tmp/exp-create.log /tmp/exp-save.log /tmp/exp-core.log \
    /tmp/exp-export.out >"$OUT/export-dumpcore.log"
