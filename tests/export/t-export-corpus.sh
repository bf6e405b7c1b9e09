# tests/export/t-export-corpus.sh - the three real Xen 4.17 save images
# (xl save of PV, PVH and HVM guests) exported in every format and judged
# by independent readers (helpers in lib-export.sh).  ~130 MB per image.
SLOW=1
. "$XLSR_TOP/tests/export/lib-export.sh"

# The three real images (xl save of PV, PVH, HVM by Xen 4.17).
t_real_corpus_export() {
    need_readers
    d=$XLSR_TOP/../shared/corpus/real
    ls "$d"/*.xl.zst >/dev/null 2>&1 || skip "no real corpus at $d"
    command -v zstd >/dev/null || skip "zstd missing (package zstd)"
    for z in "$d"/*.xl.zst; do
        zstd -dq "$z" -o "$T/img"
        export_all "$T/img"
        rm -f "$T/img" "$T"/m.*
    done
}
