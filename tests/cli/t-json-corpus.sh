# tests/cli/t-json-corpus.sh - `dump -v --json` and `verify --json` of
# every real Xen 4.17 image in the corpus ($XLSR_CORPUS, tests/lib.sh),
# each line checked by python's json and the schema, and the records the
# same as the text dump lists.
SLOW=1

t_json_real_corpus() {
    need_corpus
    python3 -c 'import jsonschema' 2>/dev/null || fail "python3-jsonschema missing (tests/deps.sh)"
    n=0
    for z in "$XLSR_CORPUS"/*.xl.zst; do
        img=$T/$(basename "$z" .zst)
        zstd -dqf "$z" -o "$img"
        for cmd in dump verify; do
            expect 0 "$XLSR" "$cmd" -v --json -c "$CONF" "$img"
            python3 "$XLSR_TOP/tests/cli/check-json.py" \
                "$XLSR_TOP/docs/xlsr-json.schema.json" "$cmd" "$T/out" >"$T/sum" ||
                fail "$(basename "$img") $cmd --json: $(cat "$T/sum")"
            echo "NOTE: $(basename "$img") $cmd --json: $(cat "$T/sum")"
        done
        # The same records as the text dump, offset for offset.
        expect 0 "$XLSR" dump -c "$CONF" "$img"
        sed -n 's/^offset \([0-9]*\): record 0x\([0-9a-f]*\) .*/\1 \2/p' "$T/out" >"$T/text"
        "$XLSR" dump --json -c "$CONF" "$img" | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o["event"] == "record":
        print(o["offset"], "%08x" % o["type"])' >"$T/json"
        cmp "$T/text" "$T/json" || fail "$(basename "$img"): JSON and text dumps differ"
        [ -s "$T/json" ] || fail "no records"
        rm -f "$img"
        n=$((n + 1))
    done
    echo "NOTE: $n real images, every line valid"
}
