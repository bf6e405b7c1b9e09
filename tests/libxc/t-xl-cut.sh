# tests/libxc/t-xl-cut.sh - a stream cut inside its final libxl END record
# (or right before it) is broken for xlsr, and stock `xl restore` accepts
# it: libxl zero-fills a record header cut by EOF and reads it as END
# (core/src/xlcut.c cites libxl_stream_read.c and libxl_aoutils.c).  Every
# such cut gets the one warning line beside xlsr's error; a cut anywhere
# else, and a whole stream, do not.

cut_conf() {
    bindconf cut.ini end=end libxc_context=libxc emulator_context=emulator
}

XL_ACCEPTS='stock xl restore would accept this stream and the guest would run'

# cut_at N: $T/s is the first N bytes of $T/full.
cut_at() { head -c "$1" "$T/full" >"$T/s"; }

# accepted CMD: exit 1 (broken for xlsr), and the line that xl accepts it.
accepted() {
    expect 1 "$XLSR" "$1" -c "$(cut_conf)" "$T/s"
    err_has "$XL_ACCEPTS"
    err_has 'truncated record header|stream ended without an END record'
    hasnt "$T/err" 'AddressSanitizer|runtime error'
}

# refused_quietly: exit 1, without the line.
refused_quietly() {
    expect 1 "$XLSR" verify -c "$(cut_conf)" "$T/s"
    hasnt "$T/err" "$XL_ACCEPTS"
    err_has 'offset [0-9]+'
    hasnt "$T/err" 'AddressSanitizer|runtime error'
}

# Kept bytes 0..7 of the 8-byte END: all eight cuts, for verify and dump.
t_pv_cut_at_every_byte_of_end() {
    "$GEN" --libxc pv --pages 8 -o "$T/full"
    n=$(stat -c %s "$T/full")
    for k in 0 1 2 3 4 5 6 7; do
        cut_at $((n - 8 + k))
        accepted verify
        accepted dump
    done
    has "$T/err" "\\($k of 8 bytes came, all zero\\)"
    cp "$T/full" "$T/s"
    expect 0 "$XLSR" verify -c "$(cut_conf)" "$T/s"
    hasnt "$T/err" "$XL_ACCEPTS"
}

# An HVM guest's END follows its EMULATOR_CONTEXT: a cut in that END is
# accepted; a cut before the EMULATOR_CONTEXT leaves qemu without state.
t_hvm_cut_in_end_only_after_the_emulator() {
    "$GEN" --libxc hvm --pages 8 --rec emulator_context:emu:2:0:0011223344 \
        -o "$T/full"
    n=$(stat -c %s "$T/full")
    for k in 0 3 7; do
        cut_at $((n - 8 + k))
        accepted verify
    done
    emu=$((n - 8 - 24))         # 8 header + 13 body + 3 padding
    cut_at "$emu"
    expect 1 "$XLSR" verify -c "$(cut_conf)" "$T/s"
    err_has "offset $emu .*stream ended without an END record"
    hasnt "$T/err" "$XL_ACCEPTS"
}

# Cuts elsewhere: in the libxl header, in the libxc stream, in a record
# header whose bytes are not zero (libxl would read another type), in a
# record body.
t_cuts_elsewhere_have_no_line() {
    "$GEN" --libxc pv --pages 8 --rec emulator_context:emu:2:0:0011223344 \
        -o "$T/full"
    n=$(stat -c %s "$T/full")
    emu=$((n - 8 - 24))
    for at in 0 10 16 20 40 $((emu - 9)) $((emu - 1)) $((emu + 1)) \
              $((emu + 4)) $((emu + 12)) $((emu + 23)); do
        cut_at "$at"
        refused_quietly
    done
}

# --json: the line is the result's "xl_restore" (docs/xlsr-json.schema.json);
# a whole stream has none.
t_json_result_names_xl_restore() {
    "$GEN" --libxc pv --pages 8 -o "$T/full"
    cut_at $(($(stat -c %s "$T/full") - 5))
    expect 1 "$XLSR" verify --json -c "$(cut_conf)" "$T/s"
    python3 - "$T/out" <<'EOT'
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert r["event"] == "result" and not r["ok"], r
assert r["xl_restore"].startswith("stock xl restore would accept this stream"), r
assert r["error"]["kind"] == "truncated stream", r
EOT
    cp "$T/full" "$T/s"
    expect 0 "$XLSR" verify --json -c "$(cut_conf)" "$T/s"
    hasnt "$T/out" '"xl_restore"'
}
