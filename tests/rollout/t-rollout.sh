# tests/rollout/t-rollout.sh - staged rollout and backend swaps, all from
# the INI file: canary shares, shadow runs, and `xlsr plugins` marking what
# differs from the default configuration.

# make check runs it, make test leaves it out (tests/run.sh):
# 1050 restores.
SLOW_TESTS=t_canary_share_and_stability

# Current plugin: recorder cookie 1; candidate: recorder cookie 2.
canary_conf() {
    mkconf canary.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = recorder
log = $T/log
cookie = 1
candidate.cookie = 2
canary_plugin = recorder
canary_percent = ${PCT:-10}
EOT
}

t_canary_share_and_stability() {
    "$GEN" --rec emulator_context:emu:2:0:00 -o "$T/s"
    c=$(canary_conf)
    d=1
    while [ "$d" -le 1000 ]; do
        "$XLSR" restore -c "$c" --dry-run --domid "$d" "$T/s" >/dev/null 2>>"$T/choices" ||
            fail "restore of domid $d failed"
        d=$((d + 1))
    done
    cand=$(grep -c '^record cookie=2 ' "$T/log")
    cur=$(grep -c '^record cookie=1 ' "$T/log")
    echo "canary 10%: $cand of 1000 domains went to the candidate, $cur to the current plugin"
    eq "$((cand + cur))" 1000 "every stream handled once"
    [ "$cand" -ge 70 ] && [ "$cand" -le 130 ] || fail "$cand candidates, wanted 100 +- 30"
    # Logged once per stream, and the same domid always gets the same choice.
    eq "$(grep -c 'canary \[record.emulator_context\]: domid' "$T/choices")" 1000 "one logged choice per stream"
    grep 'canary' "$T/choices" | sed -n '1,50p' >"$T/first"
    : >"$T/choices2"
    d=1
    while [ "$d" -le 50 ]; do
        "$XLSR" restore -c "$c" --dry-run --domid "$d" "$T/s" >/dev/null 2>>"$T/choices2"
        d=$((d + 1))
    done
    grep 'canary' "$T/choices2" | diff "$T/first" - || fail "choices changed between runs"
}

t_canary_uses_uuid_from_xl_header() {
    # The same guest (UUID) under two domids: one choice.  At 50 %, some
    # UUIDs go each way; the choice follows the UUID, not the domid.
    PCT=50
    c=$(canary_conf)
    for u in 1 2 3 4 5 6 7 8; do
        printf '{"c_info": {"type": "hvm", "name": "g%s", "uuid": "5e1f0c2a-0000-4000-8000-00000000000%s"}, "b_info": {"max_vcpus": 1, "max_memkb": 131072}}' "$u" "$u" >"$T/cfg$u.json"
        "$GEN" --xl-header --xl-config "$T/cfg$u.json" --rec emulator_context:emu:2:0:00 -o "$T/s$u"
        expect 0 "$XLSR" restore -c "$c" --dry-run --domid 3 "$T/s$u"
        a=$(grep -o 'using [a-z]* plugin' "$T/err")
        err_has "uuid 5e1f0c2a-0000-4000-8000-00000000000$u is in bucket"
        expect 0 "$XLSR" restore -c "$c" --dry-run --domid 999 "$T/s$u"
        b=$(grep -o 'using [a-z]* plugin' "$T/err")
        eq "$a" "$b" "uuid $u: choice depends on the domid"
        echo "$a" >>"$T/all"
    done
    sort -u "$T/all" | wc -l | grep -q 2 || fail "8 UUIDs at 50% all went one way: $(sort -u "$T/all")"
}

# Only c_info.uuid is the guest's uuid (read with yajl): a guest *named*
# "uuid", a "uuid" key elsewhere, or a config libxl could not parse falls
# back to the domid, never to some other string.
t_canary_uuid_only_from_c_info() {
    PCT=50
    c=$(canary_conf)
    U=5e1f0c2a-0000-4000-8000-0000000000aa
    printf '{"c_info": {"name": "uuid", "type": "hvm", "uuid": "%s"}}' "$U" >"$T/named.json"
    printf '{"b_info": {"uuid": "x"}, "c_info": {"name": "uuid", "extra": {"uuid": "y"}}}' >"$T/elsewhere.json"
    printf '{"c_info": {"uuid": "%s"}, ' "$U" >"$T/broken.json"
    printf '{"c_info": {"name": "g", "uuid": "%s"}, "p": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}' "$U" >"$T/deep.json"
    for f in named elsewhere broken deep; do
        "$GEN" --xl-header --xl-config "$T/$f.json" --rec emulator_context:emu:2:0:00 -o "$T/s-$f"
    done
    expect 0 "$XLSR" restore -c "$c" --dry-run --domid 3 "$T/s-named"
    err_has "canary .*: uuid $U is in bucket"
    hasnt "$T/err" 'uuid uuid'
    expect 0 "$XLSR" restore -c "$c" --dry-run --domid 3 "$T/s-elsewhere"
    err_has 'canary .*: domid 3 is in bucket'
    run "$XLSR" restore -c "$c" --dry-run --domid 3 "$T/s-broken"
    hasnt "$T/err" "canary .*: uuid $U"
    # Deeper than any libxl config: refused by the bounded reader, domid.
    expect 0 "$XLSR" restore -c "$c" --dry-run --domid 3 "$T/s-deep"
    err_has 'canary .*: domid 3 is in bucket'
}

t_canary_zero_and_hundred() {
    "$GEN" --rec emulator_context:emu:2:0:00 -o "$T/s"
    PCT=0; c=$(canary_conf)
    expect 0 "$XLSR" restore -c "$c" --dry-run --domid 5 "$T/s"
    PCT=100; c=$(canary_conf)
    expect 0 "$XLSR" restore -c "$c" --dry-run --domid 5 "$T/s"
    eq "$(grep -c '^record cookie=1 ' "$T/log")" 1 "0% went to the current plugin"
    eq "$(grep -c '^record cookie=2 ' "$T/log")" 1 "100% went to the candidate"
}

shadow_conf() {
    mkconf shadow.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = recorder
log = $T/log
cookie = 1
shadow_plugin = recorder
candidate.cookie = 2
candidate.log = $T/shadow.log
$1
shadow_report = $T/report.json
EOT
}

t_shadow_failure_never_fails_restore() {
    "$GEN" --rec emulator_context:emu:2:0:00 --rec emulator_context:emu:2:1:11 \
        --rec emulator_context:emu:2:2:22 --offsets "$T/offsets" -o "$T/s"
    c=$(shadow_conf 'candidate.fail_at = 2')
    expect 0 "$XLSR" restore -c "$c" --domid 4 "$T/s"
    out_has '^restore: ok: 4 records'
    eq "$(grep -c '^record cookie=1 ' "$T/log")" 3 "current plugin saw every record"
    eq "$(grep -c '^record cookie=2 ' "$T/shadow.log")" 3 "shadow saw every record"
    off2=$(awk '$3 == "EMULATOR_CONTEXT" { n++; if (n == 2) print $1 }' "$T/offsets")
    err_has "shadow \\[record.emulator_context\\]: record at offset $off2 \\(type 0x3\\): current recorder ok, candidate recorder error: recorder told to fail record 2"
    has "$T/report.json" "\"records\":3,\"differing\":1,\"differences\":\\[\\{\"offset\":$off2,\"type\":3,\"checkpoint\":0,\"current\":\"ok\",\"current_reason\":\"\",\"candidate\":\"error\",\"candidate_reason\":\"recorder told to fail record 2\"\\}\\]"
    python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/report.json" || fail "report is not JSON"
}

t_shadow_difference_and_current_result_stands() {
    "$GEN" --rec emulator_context:emu:2:0:00 -o "$T/s"
    # The candidate declines what the current handles: reported, ignored.
    c=$(shadow_conf 'candidate.decline = true')
    expect 0 "$XLSR" restore -c "$c" --domid 4 "$T/s"
    has "$T/report.json" '"current":"ok","current_reason":"","candidate":"declined"'
    # The current plugin failing fails the stream with its own reason,
    # whatever the shadow did.
    c=$(mkconf cur.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = recorder
log = $T/log
fail_at = 1
shadow_plugin = recorder
candidate.fail_at = 0
EOT
)
    expect 1 "$XLSR" restore -c "$c" --domid 4 "$T/s"
    err_has 'handler recorder: recorder told to fail record 1'
}

t_shadow_candidate_is_a_dry_run() {
    # The emulator plugin as a shadow must not write its file.
    mkdir -p "$T/dir"
    "$GEN" --rec emulator_context:emu:2:0:00112233 -o "$T/s"
    c=$(mkconf dry.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = recorder
log = $T/log
shadow_plugin = emulator
EOT
)
    expect 0 "$XLSR" restore -c "$c" --domid 4 "$T/s"
    err_has 'shadow summary: \{"binding":"record.emulator_context","current":"recorder","candidate":"emulator","records":1'
    out_has 'would write'
    [ ! -e /var/lib/xen/qemu-resume.4 ] || fail "the shadow wrote its file"
}

t_rollout_config_errors() {
    for body in "canary_plugin = recorder" "canary_plugin = recorder
canary_percent = 101" "canary_percent = 5" "shadow_plugin = recorder
canary_plugin = recorder
canary_percent = 5" "candidate.nonsense = 1
shadow_plugin = recorder"; do
        c=$(mkconf bad.ini <<EOT
[record.emulator_context]
plugin = recorder
log = $T/log
$body
EOT
)
        expect 2 "$XLSR" verify -c "$c" /dev/null
        err_has 'bad.ini:[0-9]+: \[record.emulator_context\]: (canary_percent must be given|canary_percent without|canary_plugin and shadow_plugin exclude|unknown key .candidate.nonsense.)'
    done
    c=$(mkconf lx.ini <<EOT
[record.libxc_context]
plugin = libxc
shadow_plugin = libxc
EOT
)
    expect 2 "$XLSR" verify -c "$c" /dev/null
    err_has 'a shadow cannot run on a record followed by an inline stream'
}

t_backend_swap_is_one_line() {
    "$GEN" --rec emulator_context:emu:2:0:00 -o "$T/s"
    sed "s|^plugin_dir = .*|plugin_dir = $B/plugins:$B/test-plugins|" "$XLSR_TOP/conf/xlsr.ini" >"$T/a.ini"
    expect 0 "$XLSR" plugins -c "$T/a.ini"
    eq "$(grep -c '= as in the default configuration' "$T/out")" 5 "conf/xlsr.ini is the built-in default"
    hasnt "$T/out" 'differs|not bound|not in the default'
    # One line: the emulator context goes to another plugin.
    sed 's/^plugin = emulator$/plugin = recorder\nlog = '"$(echo "$T" | sed 's/\//\\\//g')"'\/log/' "$T/a.ini" >"$T/b.ini"
    diff "$T/a.ini" "$T/b.ini" | grep -c '^[<>]' | grep -qx 3 || true
    expect 0 "$XLSR" plugins -v -c "$T/b.ini"
    out_has '\* differs: plugin = recorder \(default emulator\)'
    out_has '^      key log \(string, required\): file to append call lines to$'
    expect 0 "$XLSR" restore -c "$T/b.ini" --dry-run --domid 4 "$T/s"
    has "$T/log" '^record cookie=0 type=0x3'
    # ... and --default compares with any file.
    expect 0 "$XLSR" plugins -c "$T/b.ini" --default "$T/a.ini"
    out_has '\* differs: plugin = recorder \(default emulator\)'
}

# shadow_report is written like the emulator's file backend (no symlink
# followed, temporary + rename, 0600 whatever the umask), only by restore,
# and a path that cannot be written safely is a configuration error; each
# of these failed on b450804.
t_shadow_report_only_from_restore() {
    c=$(shadow_conf "candidate.decline = true")
    "$GEN" --rec emulator_context:emu:2:0:00 -o "$T/s"
    expect 0 "$XLSR" verify -c "$c" "$T/s"
    expect 0 "$XLSR" dump -c "$c" "$T/s"
    [ ! -e "$T/report.json" ] || fail "verify or dump wrote the shadow report"
    expect 0 "$XLSR" restore -c "$c" --domid 4 "$T/s"
    has "$T/report.json" '"candidate": ?"declined"'
}

t_shadow_report_no_symlink_and_mode_0600() {
    c=$(shadow_conf "candidate.decline = true")
    "$GEN" --rec emulator_context:emu:2:0:00 -o "$T/s"
    echo precious >"$T/victim"
    ln -s "$T/victim" "$T/report.json"
    expect 0 "$XLSR" restore -c "$c" --domid 4 "$T/s"
    err_has "shadow \[record.emulator_context\]: cannot write report $T/report.json: target $T/report.json is a symlink: refused"
    eq "$(cat "$T/victim")" precious "the symlink's target"
    rm "$T/report.json"
    (umask 000; "$XLSR" restore -c "$c" --domid 4 "$T/s" >/dev/null 2>&1)
    eq "$(stat -c %a "$T/report.json")" 600 "report mode"
    eq "$(ls -A "$T" | grep -c xlsr-tmp || true)" 0 "temporary files left"
}

t_shadow_report_bad_path_is_a_config_error() {
    "$GEN" --rec emulator_context:emu:2:0:00 -o "$T/s"
    c=$(shadow_conf "")
    sed -i 's|^shadow_report = .*|shadow_report = report.json|' "$c"
    expect 2 "$XLSR" restore -c "$c" --domid 4 "$T/s"
    err_has "shadow_report 'report.json' is not an absolute file path"
    sed -i "s|^shadow_report = .*|shadow_report = $T/../x/report.json|" "$c"
    expect 2 "$XLSR" plugins -c "$c"
    err_has "has an empty, '\.' or '\.\.' segment"
}
