# tests/xenstore/t-xenstore.sh - the xenstore plugin on a host without Xen.
#
# No xenstored can run here (see tests/xen/guest-tests/xenstore-plugin.sh
# for the tests against a live one), and nothing fakes libxenstore: the
# real plugin talks to the real libxenstore, which we point (through
# XENSTORED_PATH) at a "tripwire", a unix socket that only notes each
# connection and hangs up.  A refused record must leave the tripwire
# untouched: that is "nothing written" as far as a host can tell.

xs_conf() {
    mkconf xs.ini <<EOT
[record.end]
plugin = end
[record.emulator_xenstore_data]
plugin = xenstore
$*
EOT
}

# tripwire: listen on $T/xs.sock; every connection appends to $T/trip.
tripwire() {
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2] + ".ready", "w").close()
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connected\n")
    c.close()
' "$T/xs.sock" "$T/trip" &
    TRIP_PID=$!
    trap 'kill $TRIP_PID 2>/dev/null || :' EXIT
    for _ in $(seq 100); do [ -e "$T/trip.ready" ] && break; sleep 0.05; done
    [ -e "$T/trip.ready" ] || fail "tripwire did not start"
    export XENSTORED_PATH=$T/xs.sock
}
untouched() { [ ! -e "$T/trip" ] || fail "xenstored was contacted: $(cat "$T/trip")"; }

# bad_xs HEX REASON_REGEX: a stream with one EMULATOR_XENSTORE_DATA record
# of body HEX is refused, with offset and reason, before any connection.
bad_xs() {
    tripwire
    "$GEN" --rec "emulator_xenstore_data:hex:$1" -o "$T/s"
    expect 1 "$XLSR" restore -c "$(xs_conf)" --domid 7 "$T/s"
    err_has "offset 16 \(0x10\): record EMULATOR_XENSTORE_DATA \(0x2\): handler xenstore: $2"
    untouched
    expect 1 "$XLSR" verify -c "$(xs_conf)" "$T/s"
    err_has "handler xenstore: $2"
}

HDR=0200000000000000      # emulator 2, index 0

t_xs_bad_short() {
    bad_xs 02000000000000 'record body is 7 bytes, shorter than the 8-byte emulator header'
}
t_xs_bad_empty_body() {
    bad_xs "" 'record body is 0 bytes, shorter than the 8-byte emulator header'
}
t_xs_bad_odd_count() {      # a=1, then "b" without a value
    bad_xs ${HDR}610031006200 'odd number of strings: key .b. at body offset 12 has no value'
}
t_xs_bad_missing_nul() {    # a=1 without the value's NUL
    bad_xs ${HDR}610031 'value of key .a. at body offset 10 is not NUL-terminated'
}
t_xs_bad_missing_nul_key() {
    bad_xs ${HDR}61003100626364 'key at body offset 12 is not NUL-terminated'
}
t_xs_bad_empty_key() {
    bad_xs ${HDR}61003100003200 'empty key at body offset 12'
}
t_xs_bad_absolute_key() {   # "/etc/x"=1
    bad_xs ${HDR}2f6574632f78003100 'absolute key ./etc/x. at body offset 8 \(keys must be relative\)'
}
t_xs_bad_dotdot() {         # "a/../../b"=1
    bad_xs ${HDR}612f2e2e2f2e2e2f62003100 "forbidden path segment '\.\.' in key 'a/\.\./\.\./b' at body offset 8"
}
t_xs_bad_dot() {            # "a/./b"=1
    bad_xs ${HDR}612f2e2f62003100 "forbidden path segment '\.' in key 'a/\./b' at body offset 8"
}
t_xs_bad_char() {           # a=1, "b*c"=2: the bad pair comes second
    bad_xs ${HDR}61003100622a63003200 'character 0x2a not allowed in key .b\*c. at body offset 13'
}
t_xs_bad_char_space() {
    bad_xs ${HDR}612062003100 'character 0x20 not allowed in key .a b. at body offset 9'
}

# The tripwire can fail: a valid record does reach the socket (and the
# plugin reports the hang-up as a handler error, not a crash).
t_xs_tripwire_works() {
    tripwire
    "$GEN" --rec 'emulator_xenstore_data:xs:2:0:a=1' -o "$T/s"
    expect 1 "$XLSR" restore -c "$(xs_conf)" --domid 7 "$T/s"
    err_has 'handler xenstore: xs_transaction_start: '
    has "$T/trip" connected
}

t_xs_no_xenstored() {
    export XENSTORED_PATH=$T/absent.sock
    "$GEN" --rec 'emulator_xenstore_data:xs:2:0:a=1' -o "$T/s"
    expect 1 "$XLSR" restore -c "$(xs_conf)" --domid 7 "$T/s"
    err_has 'handler xenstore: cannot connect to xenstored \(xs_open\): No such file or directory'
}

t_xs_dry_run() {
    tripwire
    "$GEN" --rec 'emulator_xenstore_data:xs:2:0:physmap/f0/start_addr=f0;physmap/f0/name=vga.vram' -o "$T/s"
    expect 0 "$XLSR" restore -c "$(xs_conf)" --domid 7 --dm-domid 3 --dry-run "$T/s"
    out_has '^xenstore: would write /local/domain/3/device-model/7/physmap/f0/start_addr = "f0"$'
    out_has '^xenstore: would write /local/domain/3/device-model/7/physmap/f0/name = "vga.vram"$'
    untouched
}

t_xs_dry_run_root_template() {
    "$GEN" --rec 'emulator_xenstore_data:xs:2:0:k=v' -o "$T/s"
    expect 0 "$XLSR" restore -c "$(xs_conf 'root = /vm/%domid/dm-%dm_domid/')" --domid 12 --dry-run "$T/s"
    out_has '^xenstore: would write /vm/12/dm-0/k = "v"$'
}

t_xs_dry_run_escapes_values() {     # a value with a newline and a byte 0xff
    "$GEN" --rec "emulator_xenstore_data:hex:${HDR}6b00610a62ff00" -o "$T/s"
    expect 0 "$XLSR" restore -c "$(xs_conf)" --domid 1 --dry-run "$T/s"
    out_has '/1/k = "a\\x0ab\\xff"$'
}

t_xs_dump_prints_pairs() {
    tripwire
    "$GEN" --rec 'emulator_xenstore_data:xs:2:5:a=1;b/c=2' -o "$T/s"
    expect 0 "$XLSR" dump -c "$(xs_conf)" "$T/s"
    out_has '^  emulator 2 index 5: 2 xenstore pairs$'
    out_has '^    b/c = "2"$'
    expect 0 "$XLSR" verify -c "$(xs_conf)" "$T/s"
    untouched
}

t_xs_config_errors() {
    "$GEN" --rec 'emulator_xenstore_data:xs:2:0:a=1' -o "$T/s"
    expect 2 "$XLSR" restore -c "$(xs_conf 'root = /x/%domain')" --domid 1 "$T/s"
    err_has "unknown variable at '%domain'"
    expect 2 "$XLSR" restore -c "$(xs_conf 'root = x/%domid')" --domid 1 "$T/s"
    err_has "root 'x/1' must be an absolute path"
    expect 2 "$XLSR" restore -c "$(xs_conf 'root = /a b')" --domid 1 "$T/s"
    err_has "is not a valid xenstore path"
    expect 2 "$XLSR" restore -c "$(xs_conf 'retries = 1001')" --domid 1 "$T/s"
    err_has 'retries = 1001 is above 1000'
    expect 2 "$XLSR" restore -c "$(xs_conf 'color = red')" --domid 1 "$T/s"
}
