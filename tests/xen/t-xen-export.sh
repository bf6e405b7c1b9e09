# tests/xen/t-xen-export.sh - xlsr export against `xl dump-core` on a real
# Xen 4.17 (the boot of t-xen.sh, shared within one test run): the PV
# heartbeat guest is saved with `xl save -p` (suspended, saved, left
# paused) into a pipe that xlsr exports from, dumped with `xl dump-core`
# as it stays paused, and the export must hold every page the dump-core holds,
# byte for byte (page tables compared as the saver normalises them).  dom0
# step: tests/xen/image-tests/export-dumpcore.sh; judge:
# tests/export/cmp-dumpcore.py.  PVH and HVM likewise (steps/10-pvh.sh,
# 20-hvm.sh restore their image with xl once more for it): dump-core's
# .xen_pfn form against xlsr's dump-core export, every page it holds,
# compared by pfn in dom0 (xlsr-dumpcmp, tests/xen/dumpcmp.c); the PVH one
# runs in dom0's background during the HVM step (~6 min of xl dump-core
# under TCG each).
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

# PVH/HVM: PREFIX, what the step recorded (image-tests/export-dumpcore.sh
# and xlsr-dumpcmp, tests/xen/dumpcmp.c, in dom0).  Every page of the
# dump-core equals the export's page of the same pfn; the only pfns the
# dump-core holds and the export lacks are those Xen itself types XTAB
# (its own pages in the guest's physmap: shared info, grant table frames;
# xen/arch/x86/domctl.c getpageframeinfo3, is_special_page), which the
# saver never sends (xg_sr_save.c write_batch); the only pfns the export
# holds beyond the dump-core are those xl dump-core leaves out
# (xg_core_x86.c xc_core_arch_gpfn_may_present).
xen_export_auto() {
    xen_need
    want ${1}restore_rc 0
    want ${1}save_rc 0
    want ${1}state '.*p.*'
    want ${1}dumpcore_rc 0
    want ${1}rc 0
    want ${1}mode 600
    want ${1}cmp_rc 0
    want ${1}theirs_pfns '[1-9][0-9]{3,}'
    want ${1}theirs_out_of_order 0
    want ${1}pages_differ 0
    want ${1}ours_extra_other 0
    local miss eq all
    miss=$(xen_result ${1}missing) eq=$(xen_result ${1}pages_equal)
    all=$(xen_result ${1}theirs_pfns)
    # Xen 4.17's default max_grant_frames is 64, and one shared info page.
    [ "$miss" -le 65 ] || fail "${1}: $miss dump-core pfns are not in the export"
    if [ "$miss" -gt 0 ]; then
        want ${1}missing_type_query_rc 0
        want ${1}missing_xtab "$miss"
    fi
    [ $((eq + miss)) = "$all" ] ||
        fail "${1}: $eq equal + $miss missing != $all dump-core pfns"
    echo "NOTE: $eq of $all dump-core pages equal the export byte for byte; $miss pfns only in the dump-core, each typed XTAB by Xen ($(xen_result ${1}missing_pfns | tr ' ' ',')); $(xen_result ${1}ours_extra_dumpcore_skips) export pages in ranges xl dump-core skips; xl save -p into xlsr export $(xen_result ${1}secs) s, xl dump-core $(xen_result ${1}dumpcore_secs) s, compare $(xen_result ${1}compare_secs) s"
}

t_xen_pvh_export_dumpcore() {
    xen_export_auto pvh_export_
    want pvh_export_bg_rc 0
    want pvh_export_guest_gone yes
    echo "NOTE: the PVH comparison ran in the background for $(xen_result pvh_export_bg_secs) s beside the HVM step, which waited $(xen_result pvh_export_bg_waited_secs) s for it"
}
t_xen_hvm_export_dumpcore() {
    xen_export_auto hvm_export_
    want hvm_clean_after_export yes
}
