#!/bin/sh
# tests/xen/steps/20-hvm.sh - the HVM guest with a real qemu-xen, inside
# dom0 (run by dom0-tests.sh).  One `xl save` image serves every check:
#
#   physmap     before the save, the xenstore keys a pre-4.10 QEMU wrote
#               for the VRAM (Debian's QEMU 7.2 writes none), so that
#               libxl emits a real EMULATOR_XENSTORE_DATA record
#   file        xlsr-toolstack restores it: the xenstore plugin writes the
#               physmap keys under the new domain's device-model path, the
#               emulator plugin's file backend writes qemu-resume.<domid>,
#               the toolstack starts QEMU on it with -incoming, "paused",
#               cont, unpause; the heartbeat continues
#   exec        the same with one INI line changed (backend = exec): the
#               blob goes through a pipe straight into QEMU
#   xl_restore  `xl restore` of the same image, timed beside xlsr's
#   migrate     that guest, `xl migrate -s ""` live into xlsr-toolstack
#   verify-diff mutations of the image, each through `xl restore` and
#               `xlsr verify` (image-tests/verify-diff-hvm.sh)
#   refused     the image with its device state overwritten: QEMU refuses
#               it, the restore fails with QEMU's reason, nothing is left
#
# Facts: hvm_* lines in results.txt.  Bounded everywhere.
. /xlsr/dom0-lib.sh
IMG=/tmp/hvm.xl
EXEC_CONF=/tmp/xlsr-exec.ini
# QEMU's own logs (its reasons) come back whatever happens.
trap 'cp /var/log/xen/qemu-dm-*.log /out/ 2>/dev/null' EXIT

park_log() { [ -f "$CONS/guest-$1.log" ] && mv "$CONS/guest-$1.log" "/out/guest-$1-$2.log"; }
qemu_cmdline() { tr '\0' ' ' </proc/$1/cmdline 2>/dev/null; }
dm_pid() { xenstore-read /local/domain/$1/image/device-model-pid 2>/dev/null; }

# restore_hvm KEY NAME INI: restore the image through xlsr-toolstack,
# tap the serial console, record the heartbeat, the physmap keys, QEMU's
# command line; destroy.
restore_hvm() {
    timed $1 timeout 300 xlsr-toolstack -c $3 --name $2 $IMG \
        >/out/$1.out 2>/out/$1.err
    d=$(ts_domid /out/$1.out)
    res ${1}_domid "${d:-none}"
    [ -n "$d" ] || return 1
    tap_serial "$d" "$2"
    hb_facts $1 $2 120
    p=/local/domain/0/device-model/$d/physmap/$PHYS
    res ${1}_physmap "$PHYS $(xenstore-read $p/start_addr 2>&1) $(xenstore-read $p/size 2>&1) $(xenstore-read $p/name 2>&1)"
    res ${1}_resume_file "$(ls /var/lib/xen/qemu-resume.$d 2>/dev/null | wc -l)"
    qemu_cmdline "$(dm_pid $d)" >/out/$1.qemu-cmdline
    timeout 30 xenstore-ls -f /local/domain/$d >/out/$1.xs.txt 2>&1
    timeout 60 xlsr-toolstack --destroy "$d"
    res ${1}_destroy_rc $?
}

if create_guest /guest/guest-hvm.cfg hbhvm 240; then
    res hvm_created 1
    res hvm_create_secs "$create_secs_"
else
    res hvm_created 0
    exit 1
fi
id=$(domid_of hbhvm)
qemu_cmdline "$(dm_pid $id)" >/out/hvm-xl-qemu-cmdline

# --- physmap keys, then xl save --------------------------------------------------
# The VRAM's RAM address is the guest RAM's end (memory minus video RAM,
# from what libxl wrote); its BAR is where SeaBIOS put stdvga's (QEMU logs
# that mapping on restore: "Replacing a dummy mapcache entry for <ram>
# with <bar>").  QEMU 7.2 ignores the keys; libxl saves and restores them.
kb=$(xenstore-read /local/domain/$id/memory/static-max)
vkb=$(xenstore-read /local/domain/$id/memory/videoram)
PHYS=$(printf '%x' $(( (kb - vkb) * 1024 )))
VSIZE=$(printf '%x' $((vkb * 1024)))
p=/local/domain/0/device-model/$id/physmap/$PHYS
timeout 30 xenstore-write $p/start_addr f1000000 $p/size $VSIZE $p/name vga.vram
res hvm_physmap_written "$PHYS f1000000 $VSIZE vga.vram"
wait_hb hbhvm 3 90
timed hvm_save timeout 300 xl save hbhvm $IMG
hb_saved=$(last_hb hbhvm)
res hvm_hb_saved "$hb_saved"
res hvm_save_bytes "$(stat -c %s $IMG 2>/dev/null || echo 0)"
park_log hbhvm orig
[ -s $IMG ] || exit 1
timeout 120 xlsr dump -c $CONF $IMG >/out/hvm-dump.out 2>&1
res hvm_dump_rc $?
res hvm_dump_xs_pairs "$(grep -c 'physmap/' /out/hvm-dump.out)"
res hvm_dump_emu_bytes "$(sed -n 's/.*index 0: \([0-9]*\) bytes of device model state.*/\1/p' /out/hvm-dump.out | tail -n 1)"

# --- restore, file backend (the default INI) ----------------------------------------
restore_hvm hvm_file hbhvm-file $CONF
clean hvm_clean_after_file

# --- restore, exec backend: one INI line changed ---------------------------------------
sed 's/^backend = file$/backend = exec/' $CONF >$EXEC_CONF
res hvm_exec_ini_lines_changed "$(diff $CONF $EXEC_CONF | grep -c '^+[^+]')"
restore_hvm hvm_exec hbhvm-exec $EXEC_CONF
clean hvm_clean_after_exec

# --- the same image through xl, timed in the same boot ----------------------------------
timed hvm_xl_restore timeout 300 xl restore -e $IMG >/out/hvm-xl-restore.log 2>&1
tap_serial "$(domid_of hbhvm)" hbhvm
hb_facts hvm_xl_restored hbhvm 120

# --- xl migrate (live) of that guest into xlsr-toolstack ----------------------------------
migrate_in hvm_migrate hbhvm hbhvm-migrated serial
park_log hbhvm xl-restored
clean hvm_clean_after_migrate

# --- xlsr verify against stock xl restore on mutations (issue 14) ---------------------
# image-tests/verify-diff-hvm.sh (each restored guest's serial port tapped
# into its log); the verdicts go to verify-diff-hvm.txt.
park_log hbhvm before-diff
timed hvm_verify_diff env KIND=hvm IMG=$IMG CONF=$CONF CONS=$CONS NAME=hbhvm \
    HB_SAVED="$hb_saved" TAP=tap_serial timeout 900 \
    sh /xlsr/image-tests/verify-diff-hvm.sh >/out/verify-diff-hvm.log 2>&1
park_log hbhvm verify-diff
clean hvm_clean_after_diff
# --- xlsr export against xl dump-core of the same paused domain (issue 16) -------
# The PVH one (steps/10-pvh.sh) first: it ran in the background so far,
# and two dump-cores at once would hold four ~130 MB files in dom0's
# tmpfs.  Then, before the refused case mutates the image: xl restores it
# once more (QEMU included; no fresh boot), and image-tests/
# export-dumpcore.sh: `xl save -p` into xlsr export, `xl dump-core` of the
# paused domain (~6 min under TCG, see 10-pvh.sh), compared, destroyed.
bg_wait pvh_export 900
if [ -f /xlsr/image-tests/export-dumpcore.sh ]; then
    t0=$(up)
    timeout 300 xl restore -e $IMG >/out/hvm-export-xl-restore.log 2>&1
    res hvm_export_restore_rc $?
    tap_serial "$(domid_of hbhvm)" hbhvm-export
    wait_hb hbhvm-export 0 120
    res hvm_export_hb "$(last_hb hbhvm-export)"
    G=hbhvm P=hvm_export_ OUT=/out timeout 900 sh /xlsr/image-tests/export-dumpcore.sh >>$R 2>/out/hvm-export-dumpcore.err
    res hvm_export_step_secs "$(since "$t0")"
    clean hvm_clean_after_export
fi

# --- QEMU refuses the state ---------------------------------------------------
# EMULATOR_CONTEXT's offset from `xlsr dump`; its blob starts after the
# record header (8 bytes) and the emulator id/index (8).  Its magic is
# overwritten: QEMU must refuse it.  (Zeroing bytes in the middle is not
# enough: QEMU 7.2 reads a zero section type as QEMU_VM_EOF and takes the
# blob as complete, seen here.)
off=$(sed -n 's/^offset \([0-9]*\): record 0x00000003 EMULATOR_CONTEXT.*/\1/p' /out/hvm-dump.out | tail -n 1)
if [ -n "$off" ]; then
    printf 'XLSR' | dd of=$IMG bs=1 seek=$((off + 16)) conv=notrunc 2>/dev/null
    timed hvm_refused timeout 300 xlsr-toolstack -c $CONF --name hbhvm-bad $IMG \
        >/out/hvm-refused.out 2>/out/hvm-refused.err
fi
rm -f $IMG
clean hvm_clean_after_refused
res hvm_xs_domains "$(xenstore-list /local/domain 2>/dev/null | tr '\n' ' ')"
