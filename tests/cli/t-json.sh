# tests/cli/t-json.sh - --json: every line an object that python's json
# parses and docs/xlsr-json.schema.json accepts (tests/cli/check-json.py,
# python3-jsonschema), for dump (one object per record, as framed),
# verify, restore --dry-run and plugins, in success and in failure.

json_check() {
    python3 -c 'import jsonschema' 2>/dev/null || fail "python3-jsonschema missing (tests/deps.sh)"
    python3 "$XLSR_TOP/tests/cli/check-json.py" "$XLSR_TOP/docs/xlsr-json.schema.json" "$@"
}

t_json_dump_streams_records() {
    "$GEN" --xl-header --libxc hvm --rec emulator_xenstore_data:xs:0:0:a=1 \
        --rec emulator_context:emu:0:0:00112233 --rec 0x80000005:str:x \
        --offsets "$T/offsets" -o "$T/s"
    expect 0 "$XLSR" dump -v --json -c "$CONF" "$T/s"
    json_check dump "$T/out" >"$T/sum"
    has "$T/sum" '1 libxl_header, [0-9]+ output, 5 record, 1 result, 1 xl_header; ok true'
    # The records' offsets and types are those the writer put there.
    python3 - "$T/out" "$T/offsets" <<'EOT'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
recs = [(r["offset"], r["name"] or hex(r["type"])) for r in recs if r["event"] == "record"]
want = []
for l in open(sys.argv[2]):
    f = l.split()
    if len(f) >= 3 and f[0].isdigit() and f[1] == "libxl":
        want.append((int(f[0]), f[2].lower()))
got = [(o, n.lower()) for o, n in recs]
assert got == want, (got, want)
EOT
    # Nothing but JSON on stdout; logs stay on stderr.
    err_has 'skipping optional record type 0x80000005'
    # A plugin's text (libxc -v) is carried, as "output" objects.
    grep -q '"event":"output","text":"  libxc: ' "$T/out" || fail "no libxc output object"
}

t_json_failure_is_a_result() {
    "$GEN" --rec emulator_context:emu:0:0:00 --no-end -o "$T/s"
    head -c 30 "$T/s" >"$T/trunc"
    expect 1 "$XLSR" verify --json -c "$CONF" "$T/trunc"
    json_check verify "$T/out" >/dev/null
    python3 - "$T/out" <<'EOT'
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert r["ok"] is False and r["exit_status"] == 1, r
e = r["error"]
assert e["offset"] == 16 and e["record_type"] == 3 and e["kind"] == "truncated stream", e
assert e["message"].startswith("offset 16 (0x10): record EMULATOR_CONTEXT (0x3): "), e
EOT
    err_has 'offset 16 \(0x10\): record EMULATOR_CONTEXT'
    # A configuration error: exit 2, still one result object.
    printf '[core]\nbogus = 1\n' >"$T/bad.ini"
    expect 2 "$XLSR" verify --json -c "$T/bad.ini" "$T/trunc"
    json_check verify "$T/out" >/dev/null
    grep -q '"exit_status":2' "$T/out" || fail "no exit_status 2"
    grep -q '"where":"[^"]*bad.ini:2"' "$T/out" || fail "no where file:line"
    # Unreadable input.
    expect 1 "$XLSR" dump --json -c "$CONF" "$T/nothing"
    json_check dump "$T/out" >/dev/null
    # Bytes that are not UTF-8 in a path still give valid JSON.
    cp "$T/trunc" "$T/$(printf 'x\377y')"
    expect 1 "$XLSR" verify --json -c "$CONF" "$T/$(printf 'x\377y')"
    json_check verify "$T/out" >/dev/null
}

t_json_verify_restore_plugins() {
    "$GEN" --example -o "$T/s" 2>/dev/null || "$GEN" --libxc hvm -o "$T/s"
    expect 0 "$XLSR" verify --json -c "$CONF" "$T/s"
    json_check verify "$T/out" >"$T/sum"
    has "$T/sum" '1 result; ok true$'
    tail -n 1 "$T/out" >"$T/last"
    has "$T/last" '"event":"result","command":"verify","ok":true,"exit_status":0'
    expect 0 "$XLSR" restore --json --dry-run --domid 7 -c "$CONF" "$T/s"
    json_check restore "$T/out" >/dev/null
    tail -n 1 "$T/out" | grep -q '"domid":7,"dry_run":true' || fail "no domid in the result"
    expect 0 "$XLSR" plugins --json -c "$CONF"
    json_check plugins "$T/out" >"$T/sum"
    has "$T/sum" '^[0-9]+ lines: 5 binding, 1 result; ok true$'
    grep -q '"plugin":"libxc".*"keys":\[{"key":"mode"' "$T/out" || fail "no libxc keys"
}
