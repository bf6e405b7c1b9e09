# tests/libxc/t-bad.sh - every malformed inline libxc stream is refused:
# exit 1, and a message naming the libxc offset of the fault and why; a
# rule Xen's restore ignores is a warning (exit 0) and an error with --strict.
# Streams come from xlsr-gen --libxc-corrupt; offsets of records from its
# --offsets log, header offsets from the layout (libxl header 16 bytes,
# LIBXC_CONTEXT 8, so the libxc image header starts at 24).

lx_conf() {
    mkconf lx.ini <<EOT
max_record_bytes = ${MAXREC:-512M}
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
EOT
}

# lx_gen CORRUPTION [ARGS...]: a small PV stream with that fault in $T/s.
lx_gen() {
    c=$1; shift
    "$GEN" --libxc pv --pages 8 --batch 4 --libxc-corrupt "$c" \
        --offsets "$T/offs" "$@" -o "$T/s"
}

# rec_off NAME: offset of the first libxc record of that name.
rec_off() {
    awk -v n="$1" '$2 == "libxc" && $3 == n { print $1; exit }' "$T/offs"
}

# lx_bad OFFSET REGEX: verify refuses $T/s with that libxc offset + reason.
lx_bad() {
    expect 1 "$XLSR" verify -c "$(lx_conf)" "$T/s"
    hex=$(printf '0x%x' "$1")
    err_has "handler libxc: libxc offset $1 \\($hex\\), $2"
    hasnt "$T/err" 'AddressSanitizer|runtime error'
}

# lx_warn OFFSET REGEX: a rule Xen's restore does not enforce (reserved
# fields, padding; spec 2.3): verify warns and exits 0 (restorable), and
# --strict refuses it with the same offset and reason.
lx_warn() {
    hex=$(printf '0x%x' "$1")
    expect 0 "$XLSR" verify -c "$(lx_conf)" "$T/s"
    err_has "warning: libxc: libxc offset $1 \\($hex\\), $2 \\(not conformant; Xen's restore ignores it\\)"
    out_has 'not conformant: 1 findings'
    expect 1 "$XLSR" verify --strict -c "$(lx_conf)" "$T/s"
    err_has "handler libxc: libxc offset $1 \\($hex\\), $2 \\(not conformant; --strict\\)"
    hasnt "$T/err" 'AddressSanitizer|runtime error'
}

t_bad_marker() {
    lx_gen bad-marker
    lx_bad 24 'image header: bad marker 0xffffffffffffff00'
}

t_bad_id() {
    lx_gen bad-id
    lx_bad 32 'image header: bad id 0x58454e47, expected 0x58454e46'
}

t_version_1() {
    lx_gen version-1
    lx_bad 36 'image header: version 1, expected 2 or 3'
}

t_version_4() {
    lx_gen version-4
    lx_bad 36 'image header: version 4, expected 2 or 3'
}

t_options_reserved() {
    lx_gen options-reserved
    lx_warn 40 'image header: reserved option bits set: 0x0002'
}

t_ihdr_reserved() {
    lx_gen ihdr-reserved
    lx_warn 42 'image header: reserved fields not zero: 0x0001 0x00000001'
}

t_page_shift() {
    lx_gen page-shift
    lx_bad 52 'domain header: page_shift 13, expected 12'
}

t_domain_type() {
    lx_gen domain-type
    lx_bad 48 'domain header: unknown domain type 0x63'
}

t_dhdr_reserved() {
    lx_gen dhdr-reserved
    lx_warn 54 'domain header: reserved field not zero: 0x0001'
}

# The first PAGE_DATA claims 5 pfns but carries 4 pages: its fifth "pfn"
# is the first word of page data (a NOTAB pfn), so 5 pages are owed.
t_pagedata_count() {
    lx_gen pagedata-count
    lx_bad "$(rec_off PAGE_DATA)" 'record PAGE_DATA \(0x1\): count 5 with 5 pages of data needs length 20528 \(8 \+ 5 \* 8 \+ 5 \* 4096\), record length is 16424'
}

# A count whose pfn array alone overruns the record (HVM, one XTAB entry
# per record, so no page data can hide the excess).
t_pagedata_count_overruns() {
    "$GEN" --libxc hvm --pages 0 --xtab 1 --offsets "$T/offs" -o "$T/s"
    off=$(rec_off PAGE_DATA)
    # count (u32 at body offset 0) 1 -> 3: needs 24 bytes of pfns, has 8.
    printf '\003' | dd of="$T/s" bs=1 seek=$((off + 8)) conv=notrunc 2>/dev/null
    lx_bad $((off + 8)) 'record PAGE_DATA \(0x1\): count 3 needs 24 bytes of pfns, body length is 16'
}

t_pagedata_reserved() {
    lx_gen pagedata-reserved
    lx_warn $(($(rec_off PAGE_DATA) + 12)) 'record PAGE_DATA \(0x1\): reserved field not zero: 0x00000001'
}

t_pfn_reserved() {
    lx_gen pfn-reserved
    lx_warn $(($(rec_off PAGE_DATA) + 16)) 'record PAGE_DATA \(0x1\): pfn\[0\] = 0xc010000000000000: reserved bits 52-59 set'
}

page_type() {
    lx_gen "page-type-$1"
    lx_bad $(($(rec_off PAGE_DATA) + 16)) "record PAGE_DATA \\(0x1\\): pfn\\[0\\] = 0x${1}000000000000000: invalid page type $1"
}
t_page_type_5() { page_type 5; }
t_page_type_6() { page_type 6; }
t_page_type_7() { page_type 7; }
t_page_type_8() { page_type 8; }

t_v3_record_in_v2() {
    lx_gen v3-record-in-v2 --libxc-version 2
    lx_bad "$(rec_off STATIC_DATA_END)" 'record STATIC_DATA_END \(0x10\): v3-only record in a v2 stream'
}

# No libxc END: the stream ends where END should be.
t_no_end() {
    lx_gen no-end
    size=$(stat -c %s "$T/s")
    lx_bad "$size" "record header: stream ends at offset $size, before libxc END"
}

# The stream ends in the middle of a page's contents.
t_truncated_page_data() {
    "$GEN" --libxc hvm --pages 8 --batch 4 --offsets "$T/offs" -o "$T/full"
    off=$(rec_off PAGE_DATA)
    head -c $((off + 100)) "$T/full" >"$T/s"
    lx_bad "$off" "record PAGE_DATA \\(0x1\\): stream ends at offset $((off + 100)), before libxc END"
}

# A header claiming 1 GiB, then EOF: refused by length alone, before any
# read or allocation on its behalf (peak RSS stays small).
t_big_record() {
    lx_gen big-record
    MAXREC=1M lx_bad "$(rec_off PAGE_DATA)" 'record PAGE_DATA \(0x1\): length 1073741824 above max_record_bytes 1048576'
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$T/rss" "$XLSR" verify -c "$(lx_conf)" \
            "$T/s" 2>/dev/null || true
        [ "$(tail -n 1 "$T/rss")" -lt 16384 ] || fail "peak RSS $(cat "$T/rss") KiB"
    fi
}

t_nonzero_pad() {
    lx_gen nonzero-pad
    off=$(rec_off X86_PV_VCPU_EXTENDED)
    # body 72 + 4 bytes: the first pad byte follows header and body
    lx_warn $((off + 8 + 76)) 'record X86_PV_VCPU_EXTENDED \(0x5\): padding byte 0 is 0xaa, not zero'
}

# The same verdicts from a pipe, where nothing can seek.
t_bad_from_pipe() {
    lx_gen page-type-7
    off=$(($(rec_off PAGE_DATA) + 16))
    set +e
    cat "$T/s" | "$XLSR" verify -c "$(lx_conf)" - >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    eq "$RC" 1 "exit status from a pipe"
    err_has "libxc offset $off \\(0x[0-9a-f]+\\), record PAGE_DATA \\(0x1\\): pfn\\[0\\]"
}

# dump and a dry-run restore parse the libxc stream too, and refuse it.
t_dump_and_dry_run_refuse() {
    lx_gen page-type-7
    off=$(($(rec_off PAGE_DATA) + 16))
    expect 1 "$XLSR" dump -v -c "$(lx_conf)" "$T/s"
    err_has "libxc offset $off .*invalid page type 7"
    # records up to the bad one are listed, indented under LIBXC_CONTEXT
    out_has "^  offset $(rec_off PAGE_DATA): libxc record 0x00000001 PAGE_DATA, length 16424$"
    expect 1 "$XLSR" restore --dry-run --domid 3 -c "$(lx_conf)" "$T/s"
    err_has "libxc offset $off .*invalid page type 7"
}

# A LIBXC_CONTEXT record must have an empty body.
t_libxc_context_body() {
    "$GEN" --rec libxc_context:hex:00 -o "$T/s"
    expect 1 "$XLSR" verify -c "$(lx_conf)" "$T/s"
    err_has 'record LIBXC_CONTEXT \(0x1\): handler libxc: LIBXC_CONTEXT body of 1 bytes, must be empty'
}
