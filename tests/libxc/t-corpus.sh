# tests/libxc/t-corpus.sh - real Xen 4.17 save images (`xl save` of PV,
# PVH and HVM guests, zstd-compressed beside a .walk.txt written by an
# independent walker): xlsr verify accepts each, and dump -v lists the same
# libxl and libxc record counts as the walk.  ~130 MB per image.
SLOW=1

# The walk's names ("Libxc Record: Page Data") in our spelling.
walk_counts() {
    sed -n 's/^ *\([0-9][0-9]*\)  \(Libx[lc]\) Record: \(.*\)$/\2 \3 \1/p' "$1" |
    while read -r layer rest; do
        n=${rest##* }
        name=$(echo "${rest% *}" | tr 'a-z ' 'A-Z_' |
            sed 's/^TSC_INFO$/X86_TSC_INFO/')
        echo "$layer $name $n"
    done | sort
}

# The same from dump -v output.
dump_counts() {
    {
        sed -n 's/^offset [0-9]*: record 0x[0-9a-f]* \([A-Z_]*\),.*/Libxl \1/p' "$1"
        sed -n 's/^  offset [0-9]*: libxc record 0x[0-9a-f]* \([A-Z0-9_]*\),.*/Libxc \1/p' "$1"
    } | sort | uniq -c | awk '{ print $2, $3, $1 }' | sort
}

t_real_corpus() {
    need_corpus
    d=$XLSR_CORPUS
    for z in "$d"/*.xl.zst; do
        base=$(basename "$z" .zst)
        zstd -dq "$z" -o "$T/$base"
        expect 0 "$XLSR" verify -c "$CONF" "$T/$base"
        out_has '^  libxc: x86 (PV|HVM) guest, saved by Xen 4\.17, stream version 3'
        out_has '^verify: ok: .* END reached'
        # dump -v from a pipe: nothing can seek, every byte flows through
        zstd -dcq "$z" | "$XLSR" dump -v -c "$CONF" - >"$T/dump" 2>"$T/err" ||
            { tail "$T/err"; fail "dump -v of $base"; }
        walk_counts "$d/$base.walk.txt" >"$T/want"
        dump_counts "$T/dump" >"$T/got"
        diff "$T/want" "$T/got" || fail "$base: record counts differ from the walk"
        end=$(sed -n 's/^RESULT: complete stream, libxl END at offset \([0-9]*\)$/\1/p' \
            "$d/$base.walk.txt")
        # the walk's END offset is where the stream ends, after END
        has "$T/dump" "^offset $((end - 8)): record 0x00000000 END, length 0$"
        has "$T/dump" "^dump: ok: [0-9]+ records, $end bytes, END reached"
        rm -f "$T/$base"
    done
}
