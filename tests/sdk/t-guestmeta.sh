# tests/sdk/t-guestmeta.sh - the guestmeta example plugin in this tree:
# its JSON check through yajl (good documents pass, each kind of bad one is
# refused with its byte offset and yajl's reason), its configuration checks, and
# what restore, dry run and dump do with the file it writes.

GU=6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b

# gm_conf [EXTRA KEY LINES...]: guestmeta bound to 0x8000F001, writing in
# $T/meta; each argument becomes one more line of its section.
gm_conf() {
    mkdir -p "$T/meta"
    {
        printf '[record.end]\nplugin = end\n[record.0x8000F001]\n'
        printf 'plugin = guestmeta\ndir = %s\n' "$T/meta"
        for l in "$@"; do printf '%s\n' "$l"; done
    } | mkconf c.ini
}

# gm_stream FILE: a stream carrying FILE's bytes as one guestmeta record.
gm_stream() {
    "$GEN" --rec "0x8000F001:file:$1" -o "$T/s"
}

# good DOC: a document (taken literally) that verify accepts.
good() {
    printf '%s' "$1" >"$T/doc"
    gm_stream "$T/doc"
    expect 0 "$XLSR" verify -c "$C" "$T/s"
}

# bad DOC REGEX: a document verify refuses, exit 1, with REGEX as reason.
bad() {
    printf '%s' "$1" >"$T/doc"
    gm_stream "$T/doc"
    expect 1 "$XLSR" verify -c "$C" "$T/s"
    err_has "offset 16 \\(0x10\\): record 0x8000f001 \\(optional\\): handler guestmeta: $2"
}

# bad_json DOC POS REASON: refused as JSON at body byte POS, which the
# message also gives as a stream offset (the body starts at 16 + 8).
bad_json() {
    bad "$1" "guest metadata is not valid JSON: body byte $2 \\(stream offset $(($2 + 24))\\): $3"
}

# Documents start with this 46-byte prefix; what follows starts at 46.
P='{"uuid":"'$GU'"'

t_guestmeta_json_accepted() {
    C=$(gm_conf)
    good "$P}"
    good $' \t\r\n{ "uuid" : "'$GU$'" , "a" : [ ] , "b" : { } } \n'
    good "$P"',"n":[0,-0,1.5,-1.5e-3,1E+10,2e0,10,0.25,-7]}'
    good "$P"',"t":true,"f":false,"z":null}'
    good "$P"',"s":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\u0000"}'
    good "$P"$',"utf8":"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"}'
    # The member name is compared decoded: \u0075 is 'u'.
    good '{"\u0075uid":"'$GU'"}'
    good '{"uuid":"'"$(echo "$GU" | tr a-f A-F)"'"}'
    good "$P"',"deep":[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]}'
}

# The reasons are yajl's (json.c hands the document to yajl); the body
# byte is where yajl stopped, which is at or just after the culprit.
t_guestmeta_json_syntax_refused() {
    C=$(gm_conf)
    bad_json '["'$GU'"]' 0 "the document must be a JSON object"
    bad_json '"uuid"' 5 "the document must be a JSON object"
    bad_json "$P,}" 48 "parse error: invalid object key \\(must be a string\\)"
    bad_json "$P"',"a":[1,]}' 55 "parse error: unallowed token at this point in JSON text"
    bad_json '{"uuid" "'$GU'"}' 46 "parse error: object key and value must be separated by a colon \\(':'\\)"
    bad_json "{'uuid':1}" 2 "lexical error: invalid char in json text\\."
    bad_json "$P"' "a":1}' 49 "parse error: after key and value, inside map, I expect ',' or '\\}'"
    bad_json "$P"',"n":01}' 52 "parse error: after key and value, inside map, I expect ',' or '\\}'"
    bad_json "$P"',"n":[1 2]}' 55 "parse error: after array element, I expect ',' or '\\]'"
    bad_json "$P"',"n":1.}' 53 "lexical error: malformed number, a digit is required after the decimal point\\."
    bad_json "$P"',"n":-}' 52 "lexical error: malformed number, a digit is required after the minus sign\\."
    bad_json "$P"',"n":1e}' 53 "lexical error: malformed number, a digit is required after the exponent\\."
    bad_json "$P"',"n":tru}' 54 "lexical error: invalid string in json text\\."
    bad_json "$P"',"n":+1}' 52 "lexical error: invalid char in json text\\."
    bad_json "$P" 46 "parse error: premature EOF"
    bad_json '{"uuid":"'$GU 45 "parse error: premature EOF"
    bad_json '   ' 3 "parse error: premature EOF"
    bad_json "$P} x" 49 "parse error: trailing garbage"
    printf '%s}\0' "$P" >"$T/doc"
    gm_stream "$T/doc"
    expect 1 "$XLSR" verify -c "$C" "$T/s"
    err_has 'body byte 48 \(stream offset 72\): parse error: trailing garbage'
    # An empty body never reaches the parser.
    "$GEN" --rec 0x8000F001 -o "$T/s"
    expect 1 "$XLSR" verify -c "$C" "$T/s"
    err_has 'handler guestmeta: empty guest metadata record'
}

t_guestmeta_json_strings_refused() {
    C=$(gm_conf)
    # ',"s":"' puts the string's first byte at 52.
    bad_json "$P"$',"s":"a\nb"}' 53 "lexical error: invalid character inside string\\."
    bad_json "$P"',"s":"\x41"}' 53 "lexical error: inside a string, '\\\\' occurs before a character which it may not\\."
    bad_json "$P"',"s":"\u12g4"}' 56 "lexical error: invalid \\(non-hex\\) character occurs after '\\\\u' inside string\\."
    bad_json "$P"$',"s":"\xc3\x28"}' 54 "lexical error: invalid bytes in UTF8 string\\."
    bad_json "$P"$',"s":"\xff"}' 53 "lexical error: invalid bytes in UTF8 string\\."
    bad_json "$P"$',"s":"\xe2\x82' 54 "lexical error: invalid bytes in UTF8 string\\."
    bad_json "$P"',"s":"\' 53 "lexical error: inside a string, '\\\\' occurs before a character which it may not\\."
    # What yajl 2.1 lets through (its UTF-8 check is of the byte pattern
    # only; lone \u surrogates are decoded, not refused): accepted, and
    # written byte for byte as received.  The README says so.
    good "$P"',"s":"\ud800"}'
    good "$P"$',"s":"\xe0\x80\xaf"}'
    good "$P"$',"s":"\xed\xa0\x80"}'
}

t_guestmeta_uuid_rules() {
    C=$(gm_conf)
    bad '{"name":"x"}' 'guest metadata needs exactly one "uuid" member .* \(there is none\)'
    bad "{\"uuid\":\"$GU\",\"uuid\":\"$GU\"}" 'guest metadata needs exactly one "uuid" member .*\(there are several\)'
    bad '{"uuid":42}' 'guest metadata needs exactly one "uuid" member .*\(it is not a string\)'
    bad '{"uuid":{"a":1}}' 'guest metadata needs exactly one "uuid" member .*\(it is not a string\)'
    bad '{"uuid":"6f1c2a3b4d5e4f608a7b9c0d1e2f3a4b"}' 'guest metadata needs exactly one "uuid" member .*\(its value has another form\)'
    bad '{"uuid":"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4g"}' 'guest metadata needs exactly one "uuid" member .*\(its value has another form\)'
    bad "{\"uuid\":\"$GU/\"}" 'guest metadata needs exactly one "uuid" member .*\(its value has another form\)'
    # Only a top-level member counts.
    bad "{\"x\":{\"uuid\":\"$GU\"}}" 'guest metadata needs exactly one "uuid" member .*\(there is none\)'
}

t_guestmeta_depth_and_size_limits() {
    C=$(gm_conf 'max_depth = 3' 'max_bytes = 100')
    good "{\"uuid\":\"$GU\",\"a\":[{}]}"
    bad_json "$P"',"a":[{"b":[]}]}' 57 "nested deeper than 3 levels"
    bad "{\"uuid\":\"$GU\",\"pad\":\"$(printf '%060d' 0)\"}" "guest metadata is 116 bytes, more than max_bytes \\(100\\)"
    # Deep nesting is refused at the limit, never recursed into.
    C=$(gm_conf 'max_bytes = 1M')
    deep=$(head -c 500000 /dev/zero | tr '\0' '[')
    bad_json "{\"a\":$deep" 20 "nested deeper than 16 levels"
}

t_guestmeta_second_record_refused() {
    C=$(gm_conf)
    printf '{"uuid":"%s"}' "$GU" >"$T/doc"
    "$GEN" --rec "0x8000F001:file:$T/doc" --rec "0x8000F001:file:$T/doc" \
        -o "$T/s"
    expect 1 "$XLSR" restore --domid 4 -c "$C" "$T/s"
    err_has 'offset 72 \(0x48\): .*handler guestmeta: a second guest metadata record \(the first was at offset 16\)'
}

t_guestmeta_restore_dry_run_and_dump() {
    C=$(gm_conf 'path = %dir/%uuid-%domid-%dm_domid-%%.json' 'mode = 0644')
    printf '{"uuid":"%s","name":"db"}' "$GU" >"$T/doc"
    gm_stream "$T/doc"
    expect 0 "$XLSR" restore --domid 12 --dm-domid 3 --dry-run -c "$C" "$T/s"
    out_has "^guestmeta: would write 59 bytes \\(uuid $GU\\) to $T/meta/$GU-12-3-%\\.json, mode 0644$"
    eq "$(ls -A "$T/meta" | wc -l)" 0 "files written by a dry run"
    expect 0 "$XLSR" dump -c "$C" "$T/s"
    out_has "^  guestmeta: uuid $GU, 2 members, depth 1, 59 bytes$"
    expect 0 "$XLSR" verify -c "$C" "$T/s"
    hasnt "$T/out" guestmeta
    eq "$(ls -A "$T/meta" | wc -l)" 0 "files written by dump and verify"
    expect 0 "$XLSR" restore --domid 12 --dm-domid 3 -c "$C" "$T/s"
    cmp "$T/doc" "$T/meta/$GU-12-3-%.json"
    eq "$(stat -c %a "$T/meta/$GU-12-3-%.json")" 644 "mode"
}

# A relative dir is relative to the configuration file.
t_guestmeta_relative_dir() {
    mkdir -p "$T/rel/out"
    C=$(mkconf c.ini <<EOT
[record.end]
plugin = end
[record.0x8000F001]
plugin = guestmeta
dir = rel/out
EOT
)
    printf '{"uuid":"%s"}' "$GU" >"$T/doc"
    gm_stream "$T/doc"
    (cd / && "$XLSR" restore --domid 9 -c "$C" "$T/s" >/dev/null 2>&1)
    cmp "$T/doc" "$T/rel/out/guestmeta.9.json"
    eq "$(stat -c %a "$T/rel/out/guestmeta.9.json")" 600 "default mode"
}

t_guestmeta_unsafe_target_refused() {
    C=$(gm_conf)
    printf '{"uuid":"%s"}' "$GU" >"$T/doc"
    gm_stream "$T/doc"
    echo precious >"$T/victim"
    ln -s "$T/victim" "$T/meta/guestmeta.5.json"
    expect 1 "$XLSR" restore --domid 5 -c "$C" "$T/s"
    err_has "handler guestmeta: $T/meta/guestmeta\\.5\\.json exists and is not a regular file \\(a symbolic link\\): refused"
    eq "$(cat "$T/victim")" precious "symlink target"
    mkdir "$T/meta/guestmeta.6.json"
    expect 1 "$XLSR" restore --domid 6 -c "$C" "$T/s"
    err_has 'is not a regular file \(a directory\): refused'
    eq "$(ls -A "$T/meta" | wc -l)" 2 "no temporary files left"
    rm -rf "$T/meta"
    expect 1 "$XLSR" restore --domid 5 -c "$C" "$T/s"
    err_has "handler guestmeta: cannot open directory $T/meta: No such file or directory"
}

t_guestmeta_config_errors() {
    "$GEN" -o "$T/s"
    for kv in 'path = /etc/guestmeta.json|path ./etc/guestmeta.json. does not name a file directly in dir' \
              'path = %dir/sub/x.json|does not name a file directly in dir' \
              'path = %dir/../x.json|does not name a file directly in dir' \
              'path = %dir/|does not name a file directly in dir' \
              'path = %dir/%name.json|unknown variable at .%name.json.' \
              'mode = 0666|mode = .0666.: expected octal digits, at most 0777, not world-writable' \
              'mode = rw|mode = .rw.: expected octal' \
              'mode = 01755|mode = .01755.' \
              'max_depth = 0|max_depth = 0: expected 1 to 64' \
              'max_depth = 65|max_depth = 65: expected 1 to 64' \
              'colour = red|unknown key .colour.'; do
        C=$(gm_conf "${kv%%|*}")
        expect 2 "$XLSR" verify -c "$C" "$T/s"
        err_has "${kv#*|}"
    done
    C=$(mkconf d.ini <<EOT
[record.0x8000F001]
plugin = guestmeta
dir =
EOT
)
    expect 2 "$XLSR" verify -c "$C" "$T/s"
    err_has 'handler guestmeta: .*dir is empty'
}

# In a checkpointed stream each checkpoint may carry its own record (the
# later replaces the earlier); two in one checkpoint are refused.
t_guestmeta_one_per_checkpoint() {
    C=$(gm_conf '[record.libxc_context]' 'plugin = libxc' 'mode = verify')
    printf '{"uuid":"%s"}' "$GU" >"$T/doc"
    "$GEN" --libxc pv --checkpoints 2 --remus \
        --ckpt-rec "0x8000F001:file:$T/doc" -o "$T/s"
    expect 0 "$XLSR" restore --dry-run --checkpointed remus --domid 4 \
        -c "$C" "$T/s"
    eq "$(grep -c "^guestmeta: would write 47 bytes (uuid $GU) to $T/meta/guestmeta.4.json" "$T/out")" 2 "dry-run lines"
    "$GEN" --libxc pv --checkpoints 2 --remus \
        --ckpt-rec "0x8000F001:file:$T/doc" \
        --ckpt-rec "0x8000F001:file:$T/doc" -o "$T/s2" --offsets "$T/off"
    first=$(awk '$3 == "0x8000f001" { print $1; exit }' "$T/off")
    second=$(awk '$3 == "0x8000f001" { n++ } n == 2 { print $1; exit }' "$T/off")
    expect 1 "$XLSR" verify -c "$C" "$T/s2"
    err_has "offset $second \\(0x[0-9a-f]+\\): .*handler guestmeta: a second guest metadata record \\(the first was at offset $first\\)"
}
