# tests/containers/t-real-containers.sh - the three real Xen 4.17 save
# images (PV, PVH, HVM with QEMU state) wrapped by xlsr-wrap in a libvirt
# save header and in a xenopsd suspend image (and cut down to their bare
# libxc stream) verify, dump and export like the originals: the same
# libxc records by type, pfns by page type and page data byte counts, for
# HVM the same 7596-byte QEMU state, and the same exported memory.  The
# corpus lives outside the checkout ($XLSR_CORPUS, tests/lib.sh); the
# test skips when it is absent.
SLOW=1

WRAP=$B/tests/xlsr-wrap

# One image: the original's libxc report is what every wrapper must give.
one_image() {
    name=$1 guest=$2
    corpus_image "$name" "$T/orig"
    c=$(real_conf)
    expect 0 "$XLSR" dump -c "$c" "$T/orig"
    grep -E '^  (libxc:|emulator )' "$T/out" >"$T/want"
    [ -s "$T/want" ] || fail "no libxc report for the original"
    "$WRAP" libvirt -i "$T/orig" -o "$T/lv"
    "$WRAP" xenopsd -i "$T/orig" -o "$T/xo"
    "$WRAP" libxc -i "$T/orig" -o "$T/lxc"
    for w in lv xo lxc; do
        expect 0 "$XLSR" dump -c "$c" "$T/$w"
        out_has "^dump: ok: .* END reached"
        grep -E '^  (libxc:|emulator )' "$T/out" | sed 's/emulator 0 (unknown)/emulator 2 (qemu-xen)/' >"$T/got"
        # xenopsd carries no EMULATOR_XENSTORE_DATA: the physmap keys go
        # through xenstore on a XenServer host, not through the image.
        # A bare libxc stream has no emulator records at all.
        case $w in
        lv) cp "$T/want" "$T/want.$w" ;;
        xo) grep -v 'xenstore pairs' "$T/want" >"$T/want.$w" || true ;;
        lxc) grep '^  libxc:' "$T/want" >"$T/want.$w" ;;
        esac
        diff "$T/want.$w" "$T/got" || fail "$name in $w: report differs from the original"
        case $w in
        lv) out_has "^layers: libvirt save header \\(version 2, XML [0-9]+ bytes\\) → libxl v2 → libxc v3 $guest$" ;;
        xo) out_has "^layers: xenopsd suspend image → libxc v3 $guest$" ;;
        lxc) out_has "^layers: libxc v3 $guest$" ;;
        esac
    done
    # Export (issue 16's plugin on LIBXC_CONTEXT) gives the same guest
    # memory from every wrapper: LiME, the compact layout, byte for byte.
    ec=$(real_conf export)
    expect 0 "$XLSR" export -c "$ec" --format lime -o "$T/m.orig" "$T/orig"
    for w in lv xo lxc; do
        expect 0 "$XLSR" export -c "$ec" --format lime -o "$T/m.$w" "$T/$w"
        cmp -s "$T/m.orig" "$T/m.$w" ||
            fail "$name in $w: exported memory differs from the original's"
    done
    echo "NOTE: $name: export (LiME, $(stat -c %s "$T/m.orig") bytes) identical from the xl original, libvirt, xenopsd and bare libxc"
    # From a pipe too (no seeking anywhere).
    run sh -c "cat '$T/xo' | '$XLSR' verify -c '$c' -"
    eq "$RC" 0 "$name in xenopsd from a pipe"
    run sh -c "cat '$T/lv' | '$XLSR' verify -c '$c' -"
    eq "$RC" 0 "$name in libvirt from a pipe"
}

t_real_pv_in_every_container() { one_image hb-pv-save.xl 'x86 PV'; }
t_real_pvh_in_every_container() { one_image hb-pvh-save.xl 'x86 HVM'; }

t_real_hvm_in_every_container() {
    one_image hvm-xsphysmap-save.xl 'x86 HVM'
    # The QEMU blob reaches the emulator backend byte for byte, from the
    # xl image and from the xenopsd one (restore: libxc only verified).
    expect 0 "$XLSR" restore -c "$T/real.ini" --domid 5 --dry-run "$T/xo"
    out_has "^emulator: would write 7596 bytes \\(emulator 0 index 0\\) to $T/d/qemu-resume.5$"
}
