# tests/core/t-recorder.sh - the routing contract, observed by a recording
# plugin: handlers are called in stream order with the right type, length,
# offset and body; init state reaches record and fini; a substream handler
# consumes an inline sub-stream and framing resumes right after it, from a
# file and from a pipe fed one byte at a time.

rec_conf() {
    mkconf rec.ini <<EOT
[record.end]
plugin = end
[record.emulator_xenstore_data]
plugin = recorder
log = $T/log
cookie = 4242
[record.emulator_context]
plugin = recorder
log = $T/log
cookie = 4343
[record.0x80000009]
plugin = recorder
log = $T/log
cookie = 4444
[record.libxc_context]
plugin = recorder
log = $T/log
cookie = 4545
EOT
}

# The offsets the writer reports for libxl records of TYPE name.
offsets_of() { awk -v n="$1" '$2 == "libxl" && $3 == n { print $1 }' "$T/offsets"; }

t_handlers_in_stream_order() {
    "$GEN" --rec emulator_xenstore_data:xs:2:0:'k=v' \
        --rec emulator_context:emu:2:0:deadbeef \
        --rec 0x80000009:str:hello \
        --rec emulator_context:emu:1:1:00 \
        --offsets "$T/offsets" -o "$T/s"
    expect 0 "$XLSR" verify -c "$(rec_conf)" "$T/s"
    grep '^record' "$T/log" >"$T/records"
    eq "$(wc -l <"$T/records")" 4 "records seen"
    # type, length and offset, in the writer's order
    awk '$2 == "libxl" && $3 != "END" { print $1, $4 }' "$T/offsets" >"$T/want"
    sed 's/.* len=\([0-9]*\) offset=\([0-9]*\) .*/\2 \1/' "$T/records" >"$T/got"
    diff "$T/want" "$T/got" || fail "offsets/lengths differ from the writer's"
    sed -n 1p "$T/records" | grep -q 'cookie=4242 type=0x2 ' || fail "1st is not xenstore"
    sed -n 2p "$T/records" | grep -q 'cookie=4343 type=0x3 ' || fail "2nd is not emulator"
    sed -n 3p "$T/records" | grep -q 'cookie=4444 type=0x80000009 ' || fail "3rd is not vendor"
    sed -n 4p "$T/records" | grep -q 'cookie=4343 type=0x3 ' || fail "4th is not emulator"
    # The body: FNV-1a of "hello" is a known value.
    grep -q 'type=0x80000009 len=5 .* fnv=a430d84680aabd0b' "$T/records" || fail "vendor body differs"
}

t_init_state_reaches_record_and_fini() {
    "$GEN" --rec emulator_context:emu:2:0:00 --rec emulator_context:emu:2:1:00 -o "$T/s"
    expect 0 "$XLSR" verify -c "$(rec_conf)" "$T/s"
    has "$T/log" '^init cookie=4343$'
    eq "$(grep -c '^record cookie=4343 ' "$T/log")" 2 "records with the init cookie"
    has "$T/log" '^fini cookie=4343 records=2 rc=0$'
    # bindings that saw nothing are still finalised
    has "$T/log" '^fini cookie=4242 records=0 rc=0$'
}

t_handler_error_names_everything() {
    "$GEN" --rec emulator_context:emu:2:0:00 --rec emulator_context:emu:2:1:00 -o "$T/s"
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = recorder
log = $T/log
fail_at = 2
EOT
)
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'offset 40 \(0x28\): record EMULATOR_CONTEXT \(0x3\): handler recorder: recorder told to fail record 2'
    has "$T/log" '^fini cookie=0 records=2 rc=-5$'
}

t_declined_mandatory_record_fails() {
    "$GEN" --rec emulator_context:emu:2:0:00 -o "$T/s"
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = recorder
log = $T/log
decline = true
EOT
)
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'handler declined mandatory record type 0x3'
}

substream_case() { # FEED: "file" or "drip"
    "$GEN" --rec emulator_context:emu:2:0:aa --libxc pv --pages 3 \
        --rec 0x80000009:str:after-libxc --rec emulator_context:emu:2:1:bb \
        --offsets "$T/offsets" -o "$T/s"
    c=$(rec_conf)
    if [ "$1" = file ]; then
        expect 0 "$XLSR" verify -c "$c" "$T/s"
    else
        # dd bs=1 writes one byte per write(2): every read is short.
        run sh -c "dd if='$T/s' bs=1 status=none | '$XLSR' verify -c '$c' -"
        eq "$RC" 0 "verify from a one-byte pipe"
    fi
    lx=$(offsets_of LIBXC_CONTEXT)
    nxt=$(awk -v o="$lx" '$2 == "libxl" && $1 > o { print $1; exit }' "$T/offsets")
    # The sub-stream starts right after the LIBXC_CONTEXT header and ends
    # exactly where the writer put the next libxl record.
    has "$T/log" "^substream cookie=4545 start=$((lx + 8)) end=$nxt records=[0-9]+\$"
    has "$T/log" "type=0x80000009 len=11 offset=$nxt "
    eq "$(grep -c '^record cookie=4343' "$T/log")" 2 "emulator records around the sub-stream"
    out_has '^verify: ok: 5 records'
}

t_substream_from_file() { substream_case file; }
t_substream_from_one_byte_pipe() { substream_case drip; }

t_undefined_result_code_is_an_error() {
    "$GEN" --rec emulator_context:emu:2:0:00 --rec 0x80000001:str:later -o "$T/s"
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = recorder
log = $T/log
return_code = 7
EOT
)
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'offset 16 \(0x10\): record EMULATOR_CONTEXT \(0x3\): handler recorder: handler returned 7, which it may not return here'
}
