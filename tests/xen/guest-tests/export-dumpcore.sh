#!/bin/sh
# tests/xen/guest-tests/export-dumpcore.sh - dom0 step of the export test
# (tests/xen/t-xen-export.sh judges it on the host).  For the running PV
# heartbeat guest $DOMID: `xl save -p` (the guest suspends, is saved and
# left paused: it never runs again), then `xl dump-core` of that same
# paused domain, then `xlsr export` of the save here in dom0.  Both images
# go to $OUT for the host to compare page for page.  Facts as "key value"
# lines on stdout, as dom0-tests.sh does; nothing is asserted here.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'; }
res() { echo "$*"; }

cat >/tmp/export.ini <<EOT
[core]
plugin_dir = /usr/lib/xlsr/plugins
[record.end]
plugin = end
[record.libxc_context]
plugin = export
EOT
t0=$(up)
timeout 300 xl save -p "$DOMID" /tmp/exp.xl >/tmp/exp-save.log 2>&1
res export_save_rc $?
res export_save_secs "$(since "$t0")"
res export_paused "$(xl list "$DOMID" 2>/dev/null | awk 'NR == 2 { print $5 }')"
t0=$(up)
timeout 300 xl dump-core "$DOMID" /tmp/exp.core >/tmp/exp-core.log 2>&1
res export_dumpcore_rc $?
res export_dumpcore_secs "$(since "$t0")"
t0=$(up)
timeout 120 xlsr export -c /tmp/export.ini --format elf -o /tmp/exp.elf \
    /tmp/exp.xl >/tmp/exp-export.out 2>&1
res export_rc $?
res export_secs "$(since "$t0")"
res export_elf_bytes "$(stat -c %s /tmp/exp.elf 2>/dev/null || echo 0)"
res export_elf_mode "$(stat -c %a /tmp/exp.elf 2>/dev/null)"
rm -f /tmp/exp.elf
t0=$(up)
cp /tmp/exp.xl /tmp/exp.core "$OUT/" 2>/dev/null
res export_copy_rc $?
res export_copy_secs "$(since "$t0")"
cat /tmp/exp-save.log /tmp/exp-core.log /tmp/exp-export.out >"$OUT/export-dumpcore.log"
rm -f /tmp/exp.xl /tmp/exp.core
