# tests/core/t-bad-stream.sh - hostile libxl framing: each case exits 1
# with the byte offset and the reason, never crashes (the sanitizer pass
# runs these too) and never allocates what a length claims.

bad_conf() {
    mkconf bad.ini <<EOT
max_record_bytes = ${MAXREC:-1M}
[record.end]
plugin = end
[record.emulator_context]
plugin = recorder
log = $T/rec.log
EOT
}

# bad EXPECTED_ERR_REGEX: verify $T/s, expect exit 1 and the message.
bad() {
    expect 1 "$XLSR" verify -c "$(bad_conf)" "$T/s"
    err_has "$1"
    hasnt "$T/err" 'AddressSanitizer|runtime error'
}

t_empty_file() {
    : >"$T/s"
    bad 'offset 0 \(0x0\): empty stream'
}

t_truncated_libxl_header() {
    "$GEN" -o "$T/full"; head -c 10 "$T/full" >"$T/s"
    bad 'offset 0 \(0x0\): truncated libxl header: stream ended after 10 of 16 bytes'
}

t_truncated_xl_header() {
    "$GEN" --xl-header -o "$T/full"; head -c 40 "$T/full" >"$T/s"
    bad 'offset 0 \(0x0\): truncated xl save header: stream ended after 40 of 48 bytes'
}

t_truncated_record_header() {
    "$GEN" --rec emulator_context:emu:2:0:00112233 -o "$T/full"
    head -c 19 "$T/full" >"$T/s"
    bad 'offset 16 \(0x10\): truncated record header: stream ended after 3 of 8 bytes'
}

t_truncated_body() {
    "$GEN" --rec emulator_context:emu:2:0:0011223344 -o "$T/full"
    head -c 30 "$T/full" >"$T/s"
    bad 'offset 16 \(0x10\): record EMULATOR_CONTEXT \(0x3\): truncated record body: stream ended after 6 of 13 bytes'
}

t_truncated_padding() {
    "$GEN" --rec emulator_context:emu:2:0:0011223344 -o "$T/full"
    head -c 38 "$T/full" >"$T/s"      # 16 + 8 + 13 = 37: 1 of 3 pad bytes
    bad 'offset 16 \(0x10\): record EMULATOR_CONTEXT \(0x3\): truncated record padding: stream ended after 1 of 3 bytes'
    head -c 37 "$T/full" >"$T/s"
    bad 'truncated record padding: stream ended after 0 of 3 bytes'
}

t_wrong_ident() {
    "$GEN" --ident 0x4c6962786c466d75 -o "$T/s"
    bad 'offset 0 \(0x0\): not a libxl migration stream: ident 0x4c6962786c466d75'
}

t_version_1_and_3() {
    for v in 1 3; do
        "$GEN" --libxl-version $v -o "$T/s"
        bad "offset 8 \\(0x8\\): libxl stream version $v is not supported"
    done
}

t_big_endian_refused() {
    "$GEN" --libxl-options 1 -o "$T/s"
    bad 'offset 12 \(0xc\): big-endian libxl streams are not supported'
}

t_reserved_option_bits() {
    "$GEN" --libxl-options 4 -o "$T/s"
    bad 'offset 12 \(0xc\): reserved libxl option bits set: 0x4'
}

# libxl reads past a record's padding (libxl_stream_read.c): not
# conformant, a warning; an error with --strict.  Zero padding: silent.
t_nonzero_padding() {
    "$GEN" --rec emulator_context:emu:2:0:00,pad=ff -o "$T/s"
    expect 0 "$XLSR" verify -c "$(bad_conf)" "$T/s"
    err_has 'warning: offset 16: record EMULATOR_CONTEXT: non-zero padding byte 0xff at offset 33 \(not conformant; libxl ignores it\)'
    expect 1 "$XLSR" verify --strict -c "$(bad_conf)" "$T/s"
    err_has 'offset 16 \(0x10\): record EMULATOR_CONTEXT \(0x3\): non-zero padding byte 0xff at offset 33 \(not conformant; --strict\)'
    "$GEN" --rec emulator_context:emu:2:0:00 -o "$T/s"
    expect 0 "$XLSR" verify --strict -c "$(bad_conf)" "$T/s"
    hasnt "$T/err" padding
}

t_huge_length_refused_by_limit() {
    "$GEN" --rec 0x80000001:zero:1000,len=0xFFFFFFF8 -o "$T/s"
    bad 'offset 16 \(0x10\): record 0x80000001 \(optional\): body length 4294967288 exceeds max_record_bytes \(1048576\)'
}

t_huge_length_never_allocated() {
    # Even when the limit lets it through, only what arrives is held.
    "$GEN" --rec 0x80000001:zero:1000,len=0xFFFFFFF8 -o "$T/s"
    [ "$(stat -c %s "$T/s")" -lt 1100 ] || fail "stream is not about 1 KiB"
    MAXREC=4G
    expect 1 /usr/bin/time -f 'maxrss %M' "$XLSR" verify -c "$(bad_conf)" "$T/s"
    err_has 'truncated record body: stream ended after [0-9]+ of 4294967288 bytes'
    rss=$(sed -n 's/^maxrss //p' "$T/err")
    # A sanitizer build has a larger base; both are far below 4 GiB.
    [ "$rss" -lt 200000 ] || fail "peak RSS $rss KiB: the claimed length was allocated"
}

t_unknown_mandatory_type() {
    "$GEN" --rec 0x42:str:x -o "$T/s"
    bad 'offset 16 \(0x10\): record 0x42 \(unknown mandatory\): no handler configured for mandatory record type 0x42'
}

t_xl_unknown_mandatory_flag() {
    "$GEN" --xl-header --xl-mandatory 7 -o "$T/s"
    bad 'offset 36 \(0x24\): xl header has unknown mandatory flags 0x4'
    "$GEN" --xl-header --xl-optional 1 -o "$T/s"
    bad 'offset 40 \(0x28\): xl header has unknown optional flags 0x1'
}

t_missing_end() {
    "$GEN" --rec emulator_context:emu:2:0:00 --no-end -o "$T/s"
    bad 'offset 40 \(0x28\): stream ended without an END record'
}

t_end_with_body() {
    "$GEN" --rec end:str:x --no-end -o "$T/s"
    bad 'offset 16 \(0x10\): record END \(0x0\): handler end: END record must have an empty body'
}

t_checkpoint_end_outside_checkpoint() {
    "$GEN" --rec checkpoint_end -o "$T/s"
    bad 'offset 16 \(0x10\): record CHECKPOINT_END \(0x4\): not allowed here \(stream state NORMAL\): libxl accepts it only inside a checkpoint, as its last record'
}

t_xl_config_length_never_allocated() {
    # A 100-byte config claiming 500 MB: the claim is not allocated.
    "$GEN" --xl-header -o "$T/full"
    head -c 200 "$T/full" >"$T/s"
    printf '\000\145\315\035' | dd of="$T/s" bs=1 seek=44 conv=notrunc status=none  # optional data 500M
    printf '\374\144\315\035' | dd of="$T/s" bs=1 seek=48 conv=notrunc status=none  # config 500M - 4
    MAXREC=1G
    expect 1 /usr/bin/time -f 'maxrss %M' "$XLSR" verify -c "$(bad_conf)" "$T/s"
    err_has 'offset 52 \(0x34\): truncated xl config: stream ended after 148 of 499999996 bytes'
    rss=$(sed -n 's/^maxrss //p' "$T/err")
    [ "$rss" -lt 200000 ] || fail "peak RSS $rss KiB: the claimed length was allocated"
}
