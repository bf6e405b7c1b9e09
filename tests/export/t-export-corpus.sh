# tests/export/t-export-corpus.sh - the three real Xen 4.17 save images
# (xl save of PV, PVH and HVM guests) exported in every format and judged
# by independent readers (helpers in lib-export.sh), ~130 MB per image;
# an ELF with more runs than e_phnum holds.
SLOW=1
. "$XLSR_TOP/tests/export/lib-export.sh"

# The three real images (xl save of PV, PVH, HVM by Xen 4.17).
t_real_corpus_export() {
    need_readers
    need_corpus
    for z in "$XLSR_CORPUS"/*.xl.zst; do
        zstd -dq "$z" -o "$T/img"
        export_all "$T/img"
        rm -f "$T/img" "$T"/m.*
    done
}

# More runs than e_phnum holds (65535): PN_XNUM, the count in section 0's
# sh_info; readelf and libkdumpfile still see every PT_LOAD.  ~270 MB.
t_elf_pn_xnum() {
    need_readers
    $XGEN --pass '0-131999/2' -o "$T/s"
    expect 0 "$XLSR" export -c "$(econf)" -o "$T/m.elf" "$T/s"
    run readelf -h "$T/m.elf"
    out_has 'Number of program headers: +65535 \(66001\)'
    run $CHECK --samples 100 "$T/s" elf "$T/m.elf"
    [ "$RC" -eq 0 ] || { cat "$T/out"; fail "PN_XNUM output judged wrong"; }
    out_has '66000 PT_LOADs'
}
