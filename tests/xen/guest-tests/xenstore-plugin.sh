#!/bin/sh
# tests/xen/guest-tests/xenstore-plugin.sh - the xenstore plugin against a
# live xenstored, run inside dom0 of the real-Xen suite (busybox sh).
#
# The host cannot run these: Debian's C xenstored 4.17 started with
# --no-domain-init crashes (SIGSEGV) on its first request, and without
# that option (and oxenstored always) it needs /dev/xen/privcmd.  So the
# checks that need a real xenstored live here:
#   write       every pair lands, read back with xenstore-read
#   refused     bad records exit 1 with offset + reason, and not even the
#               valid pairs before the bad one are written
#   eagain      a concurrent writer makes xs_transaction_end fail with
#               EAGAIN; the plugin logs the retry and commits in the end
#   eagain0     with retries = 0 the same conflict fails the stream and
#               writes nothing
#   toobig      a value over the xenstore payload limit aborts the
#               transaction: none of the record's pairs exist afterwards
#
# Environment: DOMID (required; the keys go below the default root
# /local/domain/0/device-model/$DOMID/xlsr-test, removed at the end),
# CONF (an xlsr.ini whose plugin_dir is used; default /etc/xlsr/xlsr.ini),
# XLSR_PLUGIN_DIR (overrides it), XLSR_GEN (xlsr-gen; `none` or no
# xlsr-gen in PATH: the small writer below), OUT (a directory for the logs; default a temp dir).
# Prints one PASS/FAIL/SKIP line per check; exit status 1 if any failed.

: "${DOMID:?DOMID must name a domain}"
CONF=${CONF:-/etc/xlsr/xlsr.ini}
W=${XS_PLUGIN_TMP:-$(mktemp -d /tmp/xs-plugin.XXXXXX)}
OUT=${OUT:-$W}
ROOT=/local/domain/0/device-model/$DOMID
TOP=$ROOT/xlsr-test
failed=0

pass() { echo "PASS xenstore-plugin $1"; }
failx() { echo "FAIL xenstore-plugin $1: $2"; failed=1; }
skipx() { echo "SKIP xenstore-plugin $1: $2"; }

if [ -z "${XLSR_PLUGIN_DIR:-}" ]; then
    XLSR_PLUGIN_DIR=$(sed -n 's/^[[:space:]]*plugin_dir[[:space:]]*=[[:space:]]*//p' "$CONF" 2>/dev/null | head -n 1)
fi
XLSR_PLUGIN_DIR=${XLSR_PLUGIN_DIR:-/usr/lib/xlsr/plugins}
GEN=${XLSR_GEN:-$(command -v xlsr-gen 2>/dev/null || :)}
[ "$GEN" != none ] || GEN=

# conf EXTRA_LINE...: a configuration with just END and the xenstore plugin.
conf() {
    {
        echo "[core]"
        echo "plugin_dir = $XLSR_PLUGIN_DIR"
        echo "[record.end]"
        echo "plugin = end"
        echo "[record.emulator_xenstore_data]"
        echo "plugin = xenstore"
        for l in "$@"; do echo "$l"; done
    } >"$W/conf.ini"
    echo "$W/conf.ini"
}

# --- a minimal libxl stream writer (when xlsr-gen is not in dom0) -------
# Output is byte-identical to `xlsr-gen --rec emulator_xenstore_data:...`
# (tests/xenstore/t-guest-writer.sh checks that on the host).
byte() { printf "\\$(printf %03o "$1")"; }
le32() { byte $(($1 & 255)); byte $((($1 >> 8) & 255)); byte $((($1 >> 16) & 255)); byte $((($1 >> 24) & 255)); }
# stream_from_body BODYFILE OUT: libxl header, one EMULATOR_XENSTORE_DATA
# record with BODYFILE as its body, END.
stream_from_body() {
    len=$(wc -c <"$1")
    {
        printf 'LibxlFmt'; printf '\000\000\000\002\000\000\000\000'
        le32 2; le32 "$len"; cat "$1"
        pad=$(( (8 - len % 8) % 8 ))
        while [ "$pad" -gt 0 ]; do printf '\000'; pad=$((pad - 1)); done
        le32 0; le32 0
    } >"$2"
}
# pairs_body OUT KEY VALUE...: emulator 2, index 0, then the pairs.
pairs_body() {
    pb_out=$1; shift
    { le32 2; le32 0; } >"$pb_out"
    while [ $# -ge 2 ]; do printf '%s\000%s\000' "$1" "$2" >>"$pb_out"; shift 2; done
}
# mkstream OUT KEY VALUE...: xlsr-gen when there is one, else the above.
mkstream() {
    ms_out=$1; shift
    if [ -n "$GEN" ]; then
        spec= sep=
        while [ $# -ge 2 ]; do spec="$spec$sep$1=$2"; sep=';'; shift 2; done
        "$GEN" --rec "emulator_xenstore_data:xs:2:0:$spec" -o "$ms_out"
    else
        pairs_body "$W/body" "$@"
        stream_from_body "$W/body" "$ms_out"
    fi
}
# --- end of the writer ---------------------------------------------------

# Stop here when sourced by the host test of the writer.
[ -n "${XS_PLUGIN_WRITER_ONLY:-}" ] && return 0

cleanup() { xenstore-rm "$TOP" >/dev/null 2>&1 || :; }
exists() { xenstore-exists "$1" >/dev/null 2>&1; }
restore() { xlsr restore -c "$1" --domid "$DOMID" "$2" >"$W/out" 2>"$W/err"; }

if ! command -v xlsr >/dev/null; then
    failx setup "xlsr is not in PATH"; exit 1
fi
if ! xenstore-read /local/domain/0/domid >/dev/null 2>&1 &&
   ! xenstore-list / >/dev/null 2>&1; then
    failx setup "no xenstored answers"; exit 1
fi
cleanup

# --- write: every pair lands -------------------------------------------
check_write() {
    mkstream "$W/s" xlsr-test/a 1 xlsr-test/b/c "two words" xlsr-test/d@x "-_@"
    if ! restore "$(conf)" "$W/s"; then
        failx write "exit $? ($(cat "$W/err"))"; return
    fi
    a=$(xenstore-read "$TOP/a"); c=$(xenstore-read "$TOP/b/c")
    d=$(xenstore-read "$TOP/d@x")
    if [ "$a" = 1 ] && [ "$c" = "two words" ] && [ "$d" = "-_@" ]; then
        pass write
    else
        failx write "read back a='$a' b/c='$c' d@x='$d'"
    fi
    cleanup
}

# --- refused: a bad pair after a good one, nothing written --------------
check_refused() {   # NAME BAD_KEY REASON_SUBSTRING
    mkstream "$W/s" xlsr-test/good 1 "$2" 2
    restore "$(conf)" "$W/s"; rc=$?
    if [ "$rc" -ne 1 ]; then
        failx "refused-$1" "exit $rc, wanted 1"
    elif ! grep -q "offset 16 (0x10): record EMULATOR_XENSTORE_DATA (0x2): handler xenstore: .*$3" "$W/err"; then
        failx "refused-$1" "message: $(cat "$W/err")"
    elif exists "$TOP/good" || exists "$TOP"; then
        failx "refused-$1" "something was written under $TOP"
    else
        pass "refused-$1"
    fi
    cleanup
}

# Many pairs make the transaction long enough for a writer to collide.
many_pairs() {
    mp_n=$1; i=0; set --
    while [ "$i" -lt "$mp_n" ]; do set -- "$@" "xlsr-test/cw/k$i" "v$i"; i=$((i + 1)); done
    mkstream "$W/many" "$@"
}

# writer SECONDS: rewrites one node of our transaction again and again.
writer() {
    end=$(( $(date +%s) + $1 ))
    while [ "$(date +%s)" -lt "$end" ] && [ ! -e "$W/stop" ]; do
        xenstore-write "$TOP/cw/k0" outside >/dev/null 2>&1
    done
}

check_eagain() {
    many_pairs 300
    try=1
    while [ "$try" -le 3 ]; do
        cleanup; rm -f "$W/stop"
        writer 4 & wpid=$!
        sleep 0.3
        restore "$(conf 'retries = 200')" "$W/many"; rc=$?
        touch "$W/stop"; wait "$wpid"
        cp "$W/err" "$OUT/xenstore-plugin-eagain.$try.err" 2>/dev/null
        if [ "$rc" -ne 0 ]; then
            failx eagain "exit $rc ($(tail -n 1 "$W/err"))"; cleanup; return
        fi
        n=$(grep -c 'transaction conflict (EAGAIN), retry' "$W/err")
        if [ "$n" -gt 0 ]; then
            k1=$(xenstore-read "$TOP/cw/k1"); k299=$(xenstore-read "$TOP/cw/k299")
            if [ "$k1" = v1 ] && [ "$k299" = v299 ]; then
                pass "eagain ($n retries logged, committed on try $try)"
            else
                failx eagain "after commit k1='$k1' k299='$k299'"
            fi
            cleanup; return
        fi
        try=$((try + 1))
    done
    skipx eagain "the concurrent writer never collided in 3 tries"
    cleanup
}

check_eagain_no_retry() {
    many_pairs 300
    cleanup; rm -f "$W/stop"
    writer 6 & wpid=$!
    sleep 0.3
    restore "$(conf 'retries = 0')" "$W/many"; rc=$?
    touch "$W/stop"; wait "$wpid"
    if [ "$rc" -eq 0 ]; then
        skipx eagain0 "no collision this time"
    elif ! grep -q 'still conflicting (EAGAIN) after 1 attempts; nothing written' "$W/err"; then
        failx eagain0 "exit $rc: $(cat "$W/err")"
    elif exists "$TOP/cw/k1" || exists "$TOP/cw/k299"; then
        failx eagain0 "pairs were written despite the failure"
    else
        pass eagain0
    fi
    cleanup
}

# --- toobig: a value over the payload limit aborts the transaction ------
check_toobig() {
    big=$(head -c 5000 /dev/zero | tr '\000' v)
    mkstream "$W/s" xlsr-test/first 1 xlsr-test/big "$big" xlsr-test/last 3
    restore "$(conf)" "$W/s"; rc=$?
    if [ "$rc" -ne 1 ]; then
        failx toobig "exit $rc, wanted 1"
    elif ! grep -q "handler xenstore: xs_write $TOP/big: .*; transaction aborted, nothing written" "$W/err"; then
        failx toobig "message: $(cat "$W/err")"
    elif exists "$TOP/first" || exists "$TOP/big" || exists "$TOP/last"; then
        failx toobig "pairs of the aborted transaction exist"
    else
        pass "toobig ($(sed 's/.*xs_write [^:]*: //; s/;.*//' "$W/err"))"
    fi
    cleanup
}

check_write
check_refused dotdot 'xlsr-test/../x' "forbidden path segment '..'"
check_refused dot 'xlsr-test/./x' "forbidden path segment '.'"
check_refused absolute '/xlsr-test/x' 'absolute key'
check_refused badchar 'xlsr-test/a b' 'character 0x20 not allowed'
check_eagain
check_eagain_no_retry
check_toobig
cleanup
rm -rf "$W"
exit "$failed"
