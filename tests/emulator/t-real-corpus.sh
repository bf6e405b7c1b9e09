# tests/emulator/t-real-corpus.sh - both emulator plugins on a real
# Xen 4.17 save image (HVM, qemu-xen) that carries EMULATOR_XENSTORE_DATA
# (physmap keys) and EMULATOR_CONTEXT (7596 bytes of QEMU state).  The
# image lives outside the checkout: $XLSR_CORPUS (tests/lib.sh), else
# ../shared/corpus/real beside it; the test skips when it is absent.
SLOW=1

real_image() { corpus_image hvm-xsphysmap-save.xl "$T/hvm.xl"; }

t_real_dump() {
    real_image
    expect 0 "$XLSR" dump -c "$(real_conf)" "$T/hvm.xl"
    out_has '^  emulator 2 index 0: 3 xenstore pairs$'
    out_has '^    physmap/7000000/start_addr = "f1000000"$'
    out_has '^    physmap/7000000/size = "1000000"$'
    out_has '^    physmap/7000000/name = "vga.vram"$'
    out_has '^  emulator 2 \(qemu-xen\) index 0: 7596 bytes of device model state$'
}

t_real_dry_run() {
    real_image
    expect 0 "$XLSR" restore -c "$(real_conf)" --domid 12 --dm-domid 0 --dry-run "$T/hvm.xl"
    out_has '^xenstore: would write /local/domain/0/device-model/12/physmap/7000000/start_addr = "f1000000"$'
    out_has '^xenstore: would write /local/domain/0/device-model/12/physmap/7000000/name = "vga.vram"$'
    out_has "^emulator: would write 7596 bytes \(emulator 2 index 0\) to $T/d/qemu-resume.12$"
    eq "$(ls -A "$T/d")" "" "files written by a dry run"
}
