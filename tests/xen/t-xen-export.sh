# tests/xen/t-xen-export.sh - xlsr export against `xl dump-core` on a real
# Xen 4.17 (the boot of t-xen.sh, shared within one test run): the PV
# heartbeat guest is saved with `xl save -p` (suspended, saved, left
# paused) into a pipe that xlsr exports from, dumped with `xl dump-core`
# as it stays paused, and the export must hold every page the dump-core holds,
# byte for byte (page tables compared as the saver normalises them).  dom0
# step: tests/xen/image-tests/export-dumpcore.sh; judge:
# tests/export/cmp-dumpcore.py.  PVH and HVM likewise (steps/10-pvh.sh,
# 20-hvm.sh restore their image with xl once more for it): dump-core's
# .xen_pfn form against xlsr's dump-core export, every page it holds.
SLOW=1
NO_SAN=1

# The boot machinery of t-xen.sh, without its tests.
. "$XLSR_TOP/tests/xen/t-xen.sh"
unset -f $(declare -F | awk '{ print $3 }' | grep '^t_')

t_xen_export_dumpcore() {
    xen_need
    S=$XR/run/share
    want export_create_rc 0
    want export_save_rc 0
    want export_state '.*p.*'
    want export_dumpcore_rc 0
    want export_rc 0
    want export_mode 600
    # the whole of memory, on both sides
    want export_pages_theirs '[1-9][0-9]{7,}'
    [ "$(xen_result export_pages_theirs)" = "$(xen_result export_raw_bytes)" ] ||
        fail "dump-core .xen_pages $(xen_result export_pages_theirs) bytes, export $(xen_result export_raw_bytes)"
    run /usr/bin/python3 "$XLSR_TOP/tests/export/cmp-dumpcore.py" "$S"
    cat "$T/out"
    [ "$RC" = 0 ] || fail "export and dump-core differ"
    echo "NOTE: xl save -p into xlsr export (FIFO) $(xen_result export_secs) s, xl dump-core $(xen_result export_dumpcore_secs) s, compare in dom0 $(xen_result export_compare_secs) s; $(cat "$T/out")"
}

# PVH/HVM: PREFIX, what the step recorded.  Opt-in (boot.sh, README).
xen_export_auto() {
    [ "${XLSR_XEN_HVM_DUMPCORE:-0}" = 1 ] ||
        skip "PVH/HVM export against xl dump-core is opt-in (XLSR_XEN_HVM_DUMPCORE=1): xl dump-core of an auto-translated guest maps each of ~1M pfns below its max gpfn one by one (xg_core.c), over 300 s per guest under TCG, beyond make check's budget"
    xen_need
    S=$XR/run/share
    want ${1}restore_rc 0
    want ${1}save_rc 0
    want ${1}state '.*p.*'
    want ${1}dumpcore_rc 0
    want ${1}rc 0
    want ${1}mode 600
    want ${1}pages_theirs '[1-9][0-9]{6,}'
    run /usr/bin/python3 "$XLSR_TOP/tests/export/cmp-dumpcore.py" --pfn "$1" "$S"
    cat "$T/out"
    [ "$RC" = 0 ] || fail "export and dump-core differ"
    echo "NOTE: restore by xl + heartbeat + save -p + dump-core + compare $(xen_result ${1}step_secs) s (xl save -p into xlsr export $(xen_result ${1}secs) s, xl dump-core $(xen_result ${1}dumpcore_secs) s, compare $(xen_result ${1}compare_secs) s); $(cat "$T/out")"
}

t_xen_pvh_export_dumpcore() { xen_export_auto pvh_export_; }
t_xen_hvm_export_dumpcore() { xen_export_auto hvm_export_; }
