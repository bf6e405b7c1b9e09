# tests/cli/t-cli.sh - the xlsr command as an operator meets it: help for
# every command in three spellings, every option in the one table that
# --help, the man page and the completion share, errors that name the
# option, one exit status for an unreadable input, the progress line, and
# --syslog.

t_help_three_ways() {
    expect 0 "$XLSR" help
    for c in dump verify restore plugins; do
        out_has "^  $c +[a-z]"
    done
    cp "$T/out" "$T/list"
    expect 0 "$XLSR" --help
    cmp "$T/out" "$T/list" || fail "xlsr --help differs from xlsr help"
    for c in dump verify restore plugins; do
        expect 0 "$XLSR" help "$c"
        out_has "^usage: xlsr $c \\[options\\]"
        cp "$T/out" "$T/help-$c"
        expect 0 "$XLSR" "$c" --help
        cmp "$T/out" "$T/help-$c" || fail "xlsr $c --help differs from xlsr help $c"
        expect 0 "$XLSR" "$c" -h
        cmp "$T/out" "$T/help-$c" || fail "xlsr $c -h differs"
    done
    # --help wins wherever it is, before any option is acted on.
    expect 0 "$XLSR" restore -c /nonexistent --help
    cmp "$T/out" "$T/help-restore" || fail "restore ... --help"
    expect 2 "$XLSR" help frobnicate
    err_has "^xlsr help: 'frobnicate' is not a command"
    expect 2 "$XLSR" frobnicate
    err_has "^xlsr: 'frobnicate' is not a command"
}

# Every option a command accepts is in its help (with its text wrapped at
# 78 columns) and in the man page's OPTIONS section; -q, --config and
# --verbose too.
t_every_option_documented() {
    man=$B/man/xlsr.1
    [ -f "$man" ] || fail "no $man"
    for c in dump verify restore plugins; do
        expect 0 "$XLSR" help --complete "$c"
        grep -o '^--[a-z-]*' "$T/out" | sort -u >"$T/opts-$c"
        [ -s "$T/opts-$c" ] || fail "no options for $c"
        expect 0 "$XLSR" help "$c"
        while read -r o; do
            out_has "^  (-[a-z], |    )$o( |$)"
            n=$(echo "$o" | sed 's/-/\\\\-/g')
            has "$man" "^\\\\fB\\\\-\\\\-${n#\\\\-\\\\-}\\\\fR|^\\\\fB\\\\-[a-z]\\\\fR, \\\\fB$n\\\\fR"
        done <"$T/opts-$c"
        awk 'length > 78' "$T/out" >"$T/long"
        [ ! -s "$T/long" ] || fail "help $c has lines over 78 columns: $(head -1 "$T/long")"
    done
    grep -q -- '--quiet' "$T/opts-verify" || fail "-q not documented for verify"
    expect 0 "$XLSR" help verify
    out_has '^  -q, --quiet '
    out_has '^  -c, --config CONF '
    out_has '^  -v, --verbose '
    # man renders it without warnings (Debian's man-db / groff).
    if command -v man >/dev/null; then
        LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man" >"$T/man.txt" 2>"$T/man.err" || fail "man -l failed"
        [ ! -s "$T/man.err" ] || fail "man warnings: $(head -3 "$T/man.err")"
        has "$T/man.txt" 'checkpointed'
    fi
}

t_errors_name_the_option() {
    "$GEN" -o "$T/s"
    expect 2 "$XLSR" verify -c "$CONF" --domid 3 "$T/s"
    err_has '^xlsr verify: --domid is not an option of verify \(see xlsr help verify\)$'
    expect 2 "$XLSR" restore -c "$CONF" --domid 40000 "$T/s"
    err_has "^xlsr: --domid: '40000' is not a decimal number up to 32751$"
    expect 2 "$XLSR" restore -c "$CONF" --domid=-1 "$T/s"
    err_has "^xlsr: --domid: '-1' is not"
    expect 2 "$XLSR" dump -c "$CONF" --format=xml "$T/s"
    err_has "^xlsr: --format: 'xml' is none of auto, xl, libvirt, xenopsd, libxl, libxc$"
    expect 2 "$XLSR" dump -c "$CONF" --checkpointed=x "$T/s"
    err_has "^xlsr: --checkpointed: 'x' is neither remus nor colo$"
    expect 2 "$XLSR" dump "$T/s" -c
    err_has "^xlsr dump: option '-c' needs a value$"
    expect 2 "$XLSR" dump --config
    err_has "^xlsr dump: option '--config' needs a value$"
    expect 2 "$XLSR" dump -c "$CONF" -x "$T/s"
    err_has '^xlsr dump: unknown option -x'
    expect 2 "$XLSR" plugins -c "$CONF" --strict
    err_has '^xlsr plugins: --strict is not an option of plugins'
    expect 2 "$XLSR" plugins -c "$CONF" "$T/s"
    err_has "^xlsr plugins: takes no operand"
    expect 2 "$XLSR" verify -c "$CONF" "$T/s" "$T/s"
    err_has '^xlsr verify: expected one input .*, got several$'
}

# A missing file and a directory are the same failure: exit 1 (a stream
# that cannot be read), one line naming the path, nothing on stdout.
t_unreadable_input_exit_1() {
    expect 1 "$XLSR" verify -c "$CONF" "$T/missing"
    err_has "^xlsr: $T/missing: cannot read the input: No such file or directory$"
    [ ! -s "$T/out" ] || fail "stdout not empty"
    mkdir "$T/dir"
    expect 1 "$XLSR" verify -c "$CONF" "$T/dir"
    err_has "^xlsr: $T/dir: cannot read the input: Is a directory$"
    [ ! -s "$T/out" ] || fail "stdout not empty"
}

# On a terminal: "N of M MiB read (P%)", and a log line never shares a
# line with it (the progress line is cleared first).
t_progress_line_and_logs() {
    command -v script >/dev/null || skip "script(1) missing (package bsdutils)"
    args=
    for i in $(seq 1 72); do args="$args --rec 0x80000001:zero:1M"; done
    # shellcheck disable=SC2086
    "$GEN" $args -o "$T/big"
    c=$(mkconf c.ini <<EOT
max_record_bytes = 2M
[record.end]
plugin = end
EOT
)
    size=$(($(stat -c %s "$T/big") >> 20))
    script -qec "$XLSR verify -c $c $T/big" /dev/null >"$T/tty" 2>&1 </dev/null ||
        fail "verify on a terminal failed: $(tail -3 "$T/tty")"
    tr '\r' '\n' <"$T/tty" | sed 's/\x1b\[K//g' >"$T/lines"
    has "$T/lines" "^xlsr: 64 of $size MiB read \\(8[0-9]%\\)$"
    has "$T/lines" "^xlsr: $size of $size MiB read \\(100%\\)$"
    has "$T/lines" '^xlsr: info: offset [0-9]+: skipping optional record type 0x80000001 \(1048576 bytes\): no handler is configured for it$'
    # The clear (CR, erase to end of line) comes before the log line.
    grep -a 'MiB read' "$T/tty" | grep -aq $'\r\x1b\\[Kxlsr: info' ||
        fail "no progress-line clear before a log line"
    hasnt "$T/lines" 'MiB read.*xlsr: info'
    hasnt "$T/lines" '\)xlsr'
    # Not on a terminal: no progress at all.
    expect 0 "$XLSR" verify -c "$c" "$T/big"
    hasnt "$T/err" 'MiB read'
    # A pipe: no size, no percentage.
    script -qec "cat $T/big | $XLSR verify -c $c -q -" /dev/null >"$T/tty2" 2>&1 </dev/null ||
        fail "verify of a pipe failed"
    tr '\r' '\n' <"$T/tty2" | sed 's/\x1b\[K//g' >"$T/lines2"
    has "$T/lines2" "^xlsr: $size MiB read$"
    hasnt "$T/lines2" '%'
}

# --syslog: log lines go to syslog(3) (the socket /dev/log), not stderr;
# the final error goes to both.  A private mount namespace puts our own
# /dev/log listener in place, so no syslog daemon is needed.
t_syslog() {
    command -v unshare >/dev/null || skip "unshare missing (util-linux)"
    [ "$(id -u)" -eq 0 ] || skip "needs root for a private /dev/log"
    unshare -m true 2>/dev/null || skip "no mount namespaces here"
    "$GEN" --rec 0x80000009:hex:00 -o "$T/s"
    "$GEN" --no-end -o "$T/bad"
    cat >"$T/listen.py" <<'EOT'
import os, socket, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
rc = subprocess.call(sys.argv[2:], stdout=open(sys.argv[1] + ".out", "w"),
                     stderr=open(sys.argv[1] + ".err", "w"))
s.setblocking(False)
with open(sys.argv[1], "w") as f:
    while True:
        try:
            f.write(s.recv(65536).decode() + "\n")
        except BlockingIOError:
            break
sys.exit(rc)
EOT
    for what in s bad; do
        set +e
        unshare -m sh -c 'mount -t tmpfs none /dev && exec python3 "$@"' sh \
            "$T/listen.py" "$T/log-$what" "$XLSR" verify --syslog -c "$CONF" "$T/$what"
        eval "rc_$what=$?"
        set -e
    done
    eq "$rc_s" 0 "verify --syslog of a good stream"
    eq "$rc_bad" 1 "verify --syslog of a truncated stream"
    # <30> is LOG_DAEMON | LOG_INFO; the ident is xlsr with its pid.
    has "$T/log-s" '^<30>.* xlsr\[[0-9]+\]: info: offset 16: skipping optional record type 0x80000009 \(1 bytes\): no handler is configured for it$'
    hasnt "$T/log-s.err" 'skipping'
    has "$T/log-s.out" '^verify: ok: 2 records'
    # <27> is LOG_DAEMON | LOG_ERR.
    has "$T/log-bad" '^<27>.* xlsr\[[0-9]+\]: .*bad: offset 16 \(0x10\): .*stream ended'
    has "$T/log-bad.err" '^xlsr: .*bad: offset 16 \(0x10\): '
}

# A damaged first byte of an xl save header is reported as that, not as
# a libxl ident mismatch; bytes like none of the layers say so.
t_damaged_xl_header_named() {
    "$GEN" --xl-header -o "$T/s"
    printf 'Y' | dd of="$T/s" bs=1 count=1 conv=notrunc 2>/dev/null
    expect 1 "$XLSR" verify -c "$CONF" "$T/s"
    err_has '^xlsr: .*: offset 0 \(0x0\): damaged xl save header: the first 8 bytes are 0x59656e2073617665; an xl save image starts with "Xen saved domain, xl format", a bare libxl stream with "LibxlFmt"$'
    head -c 4096 /dev/zero >"$T/z"
    expect 1 "$XLSR" verify -c "$CONF" "$T/z"
    err_has 'offset 0 \(0x0\): not a libxl migration stream: ident 0x0000000000000000, .*; nor does it start like an xl, libvirt, xenopsd, libxc or legacy image'
    # Near "LibxlFmt" it stays a libxl ident error.
    "$GEN" --ident 0x4c6962786c466d75 -o "$T/l"
    expect 1 "$XLSR" verify -c "$CONF" "$T/l"
    err_has 'not a libxl migration stream: ident 0x4c6962786c466d75'
}
