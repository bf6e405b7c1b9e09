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

# xlsr-dumpcmp (tests/xen/dumpcmp.c), the real-Xen suite's judge of
# PVH/HVM exports against xl dump-core, finds what it must: equal pages,
# a page that differs, a pfn only one side holds (and whether xl
# dump-core skips that range on purpose).  Xen's type query (-d) needs a
# live domain: the real-Xen suite only.
t_dumpcmp_judges_pages() {
    need_corpus
    . "$XLSR_TOP/tests/tools/mutate.sh"
    zstd -dq "$XLSR_CORPUS/hb-pvh-save.xl.zst" -o "$T/img"
    expect 0 "$XLSR" export -c "$(econf)" --format dump-core -o "$T/a" "$T/img"
    sec() { readelf -S -W "$T/a" |
                awk -v n="$1" '{ for (i = 1; i < NF; i++) if ($i == n) print "0x" $(i + 3) }'; }
    pages=$(sec .xen_pages) pfn=$(sec .xen_pfn)
    [ -n "$pages" ] && [ -n "$pfn" ] || fail "no .xen_pages/.xen_pfn in the export"
    cmp_() { run "$XLSR_BUILD/tests/xlsr-dumpcmp" "$T/$1" "$T/$2"; eq "$RC" 0 "xlsr-dumpcmp status"; }
    cp "$T/a" "$T/b"
    cmp_ a b
    out_has '^pages_differ 0$'
    out_has '^missing 0$'
    out_has '^ours_extra_other 0$'
    n=$(sed -n 's/^theirs_pfns //p' "$T/out")
    out_has "^pages_equal $n\$"
    # page 5 of ours changed: one page differs, named by its pfn
    poke "$T/b" $((pages + 5 * 4096 + 100)) 5a
    cmp_ a b
    out_has '^pages_differ 1$'
    out_has "^pages_differ_pfns 0x$(printf %x "$(od -An -tu8 -j $((pfn + 40)) -N8 "$T/a" | tr -d ' ')")\$"
    # theirs pads its last entry: ours's last pfn (0xfefff, a special
    # page) is then one xl dump-core skips on purpose
    cp "$T/a" "$T/b"; cp "$T/a" "$T/c"
    last=$((pfn + 8 * (n - 1)))
    poke "$T/c" $last ffffffffffffffff
    cmp_ c b
    out_has '^theirs_padding 1$'
    out_has '^ours_extra_dumpcore_skips 1$'
    out_has '^ours_extra_other 0$'
    # ours's last pfn renamed 0x100000: theirs's 0xfefff is missing, and
    # ours holds a pfn xl dump-core would have held
    poke "$T/b" $last "$(le64 0x100000)"
    cmp_ a b
    out_has '^missing 1$'
    out_has '^missing_pfns 0xfefff$'
    out_has '^ours_extra_other 1$'
    out_has '^ours_extra_other_pfns 0x100000$'
    # an unsorted .xen_pfn of ours is refused, not misjudged
    poke "$T/b" $((pfn)) "$(le64 0x9f)"
    run "$XLSR_BUILD/tests/xlsr-dumpcmp" "$T/a" "$T/b"
    eq "$RC" 1 "xlsr-dumpcmp on an unsorted .xen_pfn"
    err_has 'our .xen_pfn does not ascend'
}
