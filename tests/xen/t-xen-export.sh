# tests/xen/t-xen-export.sh - xlsr export against `xl dump-core` on a real
# Xen 4.17 (the boot of t-xen.sh, shared within one test run): the PV
# heartbeat guest is saved with `xl save -p` (suspended, saved, left
# paused), dumped with `xl dump-core` as it stays paused, and the export of
# the save must hold every page the dump-core holds, byte for byte (page
# tables compared as the saver normalises them).  dom0 step:
# tests/xen/guest-tests/export-dumpcore.sh.
SLOW=1
NO_SAN=1

# The boot machinery of t-xen.sh, without its tests.
. "$XLSR_TOP/tests/xen/t-xen.sh"
unset -f $(declare -F | awk '{ print $3 }' | grep '^t_')

t_xen_export_dumpcore() {
    xen_need
    S=$XR/run/share
    want export_save_rc 0
    want export_paused '.*p.*'
    want export_dumpcore_rc 0
    want export_rc 0
    want export_elf_mode 600
    want export_copy_rc 0
    [ -s "$S/exp.core" ] && [ -s "$S/exp.xl" ] || fail "images not copied"
    c=$(mkconf export.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = export
EOT
)
    expect 0 "$XLSR" export -c "$c" --format raw -o "$T/exp.raw" "$S/exp.xl"
    run /usr/bin/python3 "$XLSR_TOP/tests/export/cmp-dumpcore.py" \
        "$S/exp.core" "$S/exp.xl" "$T/exp.raw"
    cat "$T/out"
    [ "$RC" = 0 ] || fail "export and dump-core differ"
    echo "NOTE: xl save -p $(xen_result export_save_secs) s, xl dump-core $(xen_result export_dumpcore_secs) s, xlsr export in dom0 $(xen_result export_secs) s; $(cat "$T/out")"
    rm -f "$S/exp.core" "$S/exp.xl"   # 200 MB the other tests do not need
}
