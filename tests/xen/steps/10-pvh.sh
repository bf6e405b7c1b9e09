#!/bin/sh
# tests/xen/steps/10-pvh.sh - the PVH guest, inside dom0 (run by
# dom0-tests.sh).  One `xl save` image serves every PVH check:
#
#   restore     xlsr-toolstack restores it into a domain it creates as
#               PVH (from c_info.type); the heartbeat continues
#   xl_restore  `xl restore` of the same image in the same boot, timed
#               beside xlsr's restore (the comparison)
#   migrate     that xl-restored guest, `xl migrate -s ""` live into
#               `xlsr-toolstack --migrate-receive`; xl destroys its copy
#   remus       the image restored by xl once more, `xl remus` into
#               `xlsr-toolstack --migrate-receive --remus`; after at least
#               five checkpoints the primary is destroyed and the
#               secondary must fail over and carry on
#   verify-diff mutations of the image, each through `xl restore` and
#               `xlsr verify` (image-tests/verify-diff-hvm.sh)
#   export      the image restored by xl again, `xl save -p` into xlsr
#               export beside `xl dump-core` of the same paused domain
#
# Facts: pvh_* lines in results.txt.  Bounded everywhere.
. /xlsr/dom0-lib.sh
IMG=/tmp/pvh.xl

# The next xl restore reuses the name: keep the previous logs apart.
park_log() { [ -f "$CONS/guest-$1.log" ] && mv "$CONS/guest-$1.log" "/out/guest-$1-$2.log"; }

if create_guest /guest/guest-pvh.cfg hbpvh 180; then
    res pvh_created 1
    res pvh_create_secs "$create_secs_"
else
    res pvh_created 0
    exit 1
fi

# --- xl save, xlsr verify -----------------------------------------------------
wait_hb hbpvh 3 60
timed pvh_save timeout 300 xl save hbpvh $IMG
hb_saved=$(last_hb hbpvh)
res pvh_hb_saved "$hb_saved"
res pvh_save_bytes "$(stat -c %s $IMG 2>/dev/null || echo 0)"
park_log hbpvh orig
[ -s $IMG ] || exit 1
timeout 120 xlsr verify -c $CONF $IMG >/out/pvh-verify.out 2>&1
res pvh_verify_rc $?

# --- restore through libxlsr -----------------------------------------------------
timed pvh_restore timeout 300 xlsr-toolstack -c $CONF --name hbpvh-xlsr $IMG \
    >/out/pvh-restore.out 2>/out/pvh-restore.err
d=$(ts_domid /out/pvh-restore.out)
res pvh_restore_domid "${d:-none}"
if [ -n "$d" ]; then
    hb_facts pvh_restored hbpvh-xlsr 90
    res pvh_restored_type "$(xenstore-read /libxl/$d/type 2>&1)"
    timeout 30 xl list -l "$d" >/out/pvh-xl-list-l.txt 2>&1
    timeout 30 xenstore-ls -f /local/domain/$d >/out/pvh-xs-restored.txt 2>&1
    timeout 60 xlsr-toolstack --destroy "$d"
    res pvh_destroy_rc $?
fi
clean pvh_clean_after_restore

# --- the same image through xl, timed in the same boot ----------------------------
timed pvh_xl_restore timeout 300 xl restore -e $IMG >/out/pvh-xl-restore.log 2>&1
hb_facts pvh_xl_restored hbpvh 90

# --- xl migrate (live) of that guest into xlsr-toolstack --------------------------
# xenconsoled named the received guest's log when we introduced it,
# still under its incoming name.
migrate_in pvh_migrate hbpvh hbpvh--incoming
park_log hbpvh xl-restored
park_log hbpvh--incoming migrated
clean pvh_clean_after_migrate

# --- xl remus into xlsr-toolstack, primary destroyed, failover ----------------------
# Checkpoints start once the first full copy of the memory is through
# (tens of seconds under TCG), then come about every second.  The
# receiver prints a line per libxl record it frames (one per checkpoint
# for PVH, after the first, LIBXC_CONTEXT): the primary is destroyed
# after at least 7 such lines.
remus_once() {
    rm -f /out/pvh-remus.log
    timeout 300 xl restore -e $IMG >/out/pvh-remus-xl-restore.log 2>&1 || return 1
    wait_hb hbpvh 0 90 || return 1
    t0=$(up)
    timeout 600 xl remus -F -n -d -e -i 1000 -s "" hbpvh "xlsr-toolstack -c $CONF --migrate-receive --remus" \
        >/out/pvh-remus.log 2>&1 &
    rpid=$!
    i=0
    while [ $i -lt 300 ]; do
        n=$(grep -c 'remus: libxl record' /out/pvh-remus.log)
        [ "$n" -ge 7 ] && break
        kill -0 $rpid 2>/dev/null || break
        sleep 1
        i=$((i + 1))
    done
    res pvh_remus_records_seen "$n"
    res pvh_remus_run_secs "$(since "$t0")"
    res pvh_remus_primary_last "$(last_hb hbpvh)"
    # The primary dies: the sender fails, the stream ends, failover.
    # Its console log goes aside first: xenconsoled opens the
    # secondary's under whichever name it has by its first output
    # (hbpvh--incoming, or hbpvh once renamed).
    prim=$(domid_of hbpvh)
    timeout 60 xl destroy hbpvh
    # The primary ran on while it was being destroyed (seconds under
    # TCG), and Remus kept checkpointing it: the last heartbeat it ever
    # printed, read once it is gone, bounds where the secondary resumes.
    prim_final=$(last_hb hbpvh)
    res pvh_remus_primary_final "$prim_final"
    park_log hbpvh remus-primary
    i=0
    while kill -0 $rpid 2>/dev/null && [ $i -lt 120 ]; do
        sleep 1
        i=$((i + 1))
    done
    kill $rpid 2>/dev/null
    wait $rpid
    res pvh_remus_xl_rc $?
    # xl remus returns once its primary is gone; the receiver fails over
    # after that, on its own time (seconds under TCG): its "domid N" line
    # comes later, or it has ended without one.
    i=0
    while [ -z "$(ts_domid /out/pvh-remus.log)" ] && [ $i -lt 90 ] &&
          [ "$(ps | grep -v grep | grep -c -e '--migrate-receive --remus')" != 0 ]; do
        sleep 1
        i=$((i + 1))
    done
    res pvh_remus_receiver_wait_secs "$i"
    # xl remus, suspending the primary when it died, cancels its request
    # in the dead domain's control/shutdown (libxl_dom_suspend.c), which
    # recreates /local/domain/<primary> in xenstore: stock xl's leftover,
    # not the receiver's; reported and removed so that later "nothing is
    # left" checks judge xlsr alone.
    if [ -n "$prim" ] && xenstore-exists /local/domain/$prim 2>/dev/null &&
       ! timeout 30 xl list "$prim" >/dev/null 2>&1; then
        res pvh_remus_xl_leftover "/local/domain/$prim: $(xenstore-ls -f /local/domain/$prim 2>&1 | tr '\n' ' ')"
        xenstore-rm /local/domain/$prim
    fi
    [ "$n" -ge 7 ]
}
if ! remus_once; then
    # A guest that triple-faults while log-dirty is on (nested SVM under
    # TCG) ends Remus early: one more try, reported.
    res hiccup "xl remus of hbpvh ended before 6 checkpoints ($(tail -n 1 /out/pvh-remus.log)); retried once"
    cp /out/pvh-remus.log /out/pvh-remus-attempt1.log
    for x in $(timeout 30 xl list | awk 'NR > 1 && $1 != "Domain-0" {print $2}'); do
        timeout 60 xlsr-toolstack --destroy "$x"
    done
    park_log hbpvh remus-attempt1
    park_log hbpvh--incoming remus-attempt1
    remus_once
fi
d=$(ts_domid /out/pvh-remus.log)
res pvh_remus_domid "${d:-none}"
res pvh_remus_checkpoints "$(sed -n 's/^checkpoints //p' /out/pvh-remus.log | tail -n 1)"
res pvh_remus_failover "$(sed -n 's/^failover //p' /out/pvh-remus.log | tail -n 1)"
res pvh_remus_partial_offset "$(sed -n 's/^partial_offset //p' /out/pvh-remus.log | tail -n 1)"
if [ -n "$d" ]; then
    res pvh_remus_name "$(xenstore-read /local/domain/$d/name 2>&1)"
    sec=hbpvh
    i=0
    while [ $i -lt 60 ]; do
        [ -f "$CONS/guest-hbpvh--incoming.log" ] && sec=hbpvh--incoming && break
        [ -f "$CONS/guest-hbpvh.log" ] && break
        sleep 1
        i=$((i + 1))
    done
    hb_facts pvh_remus $sec 90
    # Carried on past the primary's end, given the time.
    wait_hb $sec $((prim_final + 1)) 60 &&
        res pvh_remus_last "$(last_hb $sec)"
    timeout 60 xlsr-toolstack --destroy "$d"
else
    # No domid reported (a failed test): whatever the receiver left is
    # destroyed, so that the steps after this one start clean.
    for x in hbpvh hbpvh--incoming; do
        x=$(domid_of $x) && [ -n "$x" ] && timeout 60 xlsr-toolstack --destroy "$x"
    done
fi
park_log hbpvh remus-secondary
park_log hbpvh--incoming remus-secondary
clean pvh_clean_after_remus

# --- xlsr verify against stock xl restore on mutations (issue 14) -------------------
# image-tests/verify-diff-hvm.sh; the verdicts go to verify-diff-pvh.txt.
park_log hbpvh before-diff
timed pvh_verify_diff env KIND=pvh IMG=$IMG CONF=$CONF CONS=$CONS NAME=hbpvh \
    HB_SAVED="$hb_saved" timeout 900 sh /xlsr/image-tests/verify-diff-hvm.sh \
    >/out/verify-diff-pvh.log 2>&1
park_log hbpvh verify-diff
clean pvh_clean_after_diff
# --- xlsr export against xl dump-core of the same paused domain (issue 16) -------
# The image restored by xl once more (3-4 s, no fresh boot), then
# image-tests/export-dumpcore.sh: `xl save -p` into xlsr export, `xl
# dump-core` of the domain the save left paused, compared, destroyed.  xl
# dump-core of a PVH/HVM guest tries every pfn below its max gpfn (~1M:
# the special pages sit below 4 GiB) one by one (tools/libs/guest/
# xg_core.c), ~6 min under TCG: it runs in the background while the HVM
# step does, and 20-hvm.sh collects it (bg_wait) before its own.
if [ -f /xlsr/image-tests/export-dumpcore.sh ]; then
    t0=$(up)
    timeout 300 xl restore -e $IMG >/out/pvh-export-xl-restore.log 2>&1
    res pvh_export_restore_rc $?
    wait_hb hbpvh 0 90
    res pvh_export_hb "$(last_hb hbpvh)"
    res pvh_export_dom0_free_kib "$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)"
    bg_start pvh_export hbpvh env G=hbpvh P=pvh_export_ OUT=/out \
        timeout 900 sh /xlsr/image-tests/export-dumpcore.sh
fi
rm -f $IMG
