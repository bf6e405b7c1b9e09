# tests/core/t-dump.sh - dump and verify of streams without LIBXC_CONTEXT:
# every record listed with offset, type and length, from a file and a pipe.

# The core plus a recorder standing in for the emulator handlers.
core_conf() {
    mkconf core.ini <<EOT
[record.end]
plugin = end
[record.emulator_xenstore_data]
plugin = recorder
log = $T/rec.log
EOT
}

mkstream() {
    "$GEN" --xl-header --rec emulator_xenstore_data:xs:2:0:'a=1;b/c=2' \
        --rec 0x80000001:str:vendor-data --offsets "$T/offsets" -o "$T/s" "$@"
}

t_dump_lists_every_record() {
    mkstream
    c=$(core_conf)
    expect 0 "$XLSR" dump -c "$c" "$T/s"
    out_has '^offset 0: xl header, mandatory flags 0x3, optional flags 0x0, optional data [0-9]+ bytes, config [0-9]+ bytes$'
    out_has '^offset [0-9]+: libxl header, version 2, options 0x0$'
    # Every record the writer wrote, at its offset, with type and length.
    n=0
    while read -r off layer name len rest; do
        [ "$layer" = libxl ] || continue
        n=$((n + 1))
        out_has "^offset $off: record 0x[0-9a-f]{8} [A-Z_()a-z]+, length $len\$"
    done <"$T/offsets"
    [ "$n" -eq 3 ] || fail "writer listed $n libxl records, expected 3"
    eq "$(grep -c ': record 0x' "$T/out")" 3 "records dumped"
    out_has 'record 0x00000002 EMULATOR_XENSTORE_DATA'
    out_has 'record 0x80000001 \(optional\), length 11$'
    out_has '^dump: ok: 3 records'
}

t_dump_pipe_matches_file() {
    mkstream
    c=$(core_conf)
    expect 0 "$XLSR" dump -c "$c" "$T/s"
    mv "$T/out" "$T/file.out"
    run sh -c "cat '$T/s' | '$XLSR' dump -c '$c' -"
    eq "$RC" 0 "dump from a pipe"
    cmp "$T/file.out" "$T/out" || fail "pipe dump differs from file dump"
}

t_verify_valid_streams() {
    c=$(core_conf)
    mkstream
    expect 0 "$XLSR" verify -c "$c" "$T/s"
    out_has '^verify: ok: 3 records'
    "$GEN" -o "$T/bare"             # libxl header + END only
    expect 0 "$XLSR" verify -c "$c" "$T/bare"
    expect 0 "$XLSR" verify -c "$c" --format libxl "$T/bare"
    expect 1 "$XLSR" verify -c "$c" --format xl "$T/bare"
    err_has 'no xl save header'
}

t_trailing_bytes_counted_not_fatal() {
    c=$(core_conf)
    "$GEN" --xl-header --trailing 44 -o "$T/s"
    expect 0 "$XLSR" verify -c "$c" "$T/s"
    out_has '44 bytes after END'
    expect 0 "$XLSR" dump -c "$c" "$T/s"
    out_has '44 bytes after END'
    expect 1 "$XLSR" verify --strict -c "$c" "$T/s"
    err_has 'offset [0-9]+ .*: bytes after the END record \(--strict\)'
}

t_unknown_optional_skipped_or_failed() {
    "$GEN" --rec 0x80000007:str:abc -o "$T/s"
    c=$(mkconf skip.ini <<EOT
unknown_records = skip
[record.end]
plugin = end
EOT
)
    expect 0 "$XLSR" verify -c "$c" "$T/s"
    err_has 'skipping optional record type 0x80000007'
    c=$(mkconf failing.ini <<EOT
unknown_records = fail
[record.end]
plugin = end
EOT
)
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'offset 16 \(0x10\): record 0x80000007 \(optional\): no handler configured for optional record type 0x80000007'
}
