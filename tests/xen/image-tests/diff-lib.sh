# tests/xen/image-tests/diff-lib.sh - what the verify differentials share
# (verify-diff.sh for the PV image, verify-diff-hvm.sh for the PVH and
# HVM ones; busybox sh, sourced): reading and poking the saved image in
# place, and one case: mutate, `xlsr verify`, stock `xl restore` judged by
# the guest's heartbeat, destroy, put the bytes back.
#
# The caller sets IMG (the image), CONF (xlsr.ini), LOG (the guest's
# console log), NAME (its name), DR (the result file), OUT, and may set
# XL_OPTS (xl restore options), HB_SAVED (the heartbeat saved: a restored
# guest must print a newer one), TAP (a command run with the restored
# domid before waiting, e.g. to copy an HVM serial console into LOG).
# One line per case in $DR:
#   case NAME xen=ok|fail xlsr=ok|fail secs=S xl_rc=RC
HB_WAIT=${HB_WAIT:-40}
XL_WAIT=${XL_WAIT:-120}
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'; }

# vd_offsets: "NAME OFFSET" of each libxc record into /tmp/vd-offs.
vd_offsets() {
    xlsr dump -v -c "$CONF" "$IMG" 2>/dev/null |
        sed -n 's/^  offset \([0-9]*\): libxc record 0x[0-9a-f]* \([A-Z0-9_]*\),.*/\2 \1/p' \
        >/tmp/vd-offs
}
rec() { awk -v n="$1" '$1 == n { print $2; exit }' /tmp/vd-offs; }
# librec NAME: offset of the libxl record NAME (xlsr dump).
librec() {
    xlsr dump -c "$CONF" "$IMG" 2>/dev/null |
        sed -n "s/^offset \([0-9]*\): record 0x[0-9a-f]* $1,.*/\1/p" | head -n 1
}
# get OFFSET N: N bytes at OFFSET as hex
get() { od -An -v -tx1 -j "$1" -N "$2" "$IMG" | tr -d ' \n'; }
# hexbytes HEX: the bytes themselves on stdout
hexbytes() {
    h=$1 s=
    while [ -n "$h" ]; do
        s="$s\\$(printf '%03o' "0x$(echo "$h" | cut -c1-2)")"
        h=$(echo "$h" | cut -c3-)
    done
    printf "$s"
}
# put OFFSET HEX: write the bytes
put() { hexbytes "$2" | dd of="$IMG" bs=1 seek="$1" conv=notrunc 2>/dev/null; }
le32() { printf '%08x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/'; }
le64() { echo "$(le32 $(($1 & 0xffffffff)))$(le32 $((($1 >> 32) & 0xffffffff)))"; }
u32() { od -An -tu4 -j "$1" -N 4 "$IMG" | tr -d ' '; }

# new_heartbeat SIZE: the console log has a heartbeat line past its first
# SIZE bytes (all of it if xenconsoled started it afresh), newer than
# HB_SAVED when that is set: the guest went on counting.
new_heartbeat() {
    s=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
    if [ "$s" -lt "$1" ]; then cat "$LOG"; else tail -c +$(($1 + 1)) "$LOG"; fi 2>/dev/null |
        awk -v min="${HB_SAVED:--1}" '
            /^heartbeat [0-9]+/ { if ($2 + 0 > min + 0) { ok = 1; exit } }
            END { exit !ok }'
}

# judge NAME T0: verify, xl restore, heartbeat, destroy; the result line.
judge() {
    if timeout 120 xlsr verify -c "$CONF" "$IMG" >"$OUT/vd-$1.verify" 2>&1
    then x=ok; else x=fail; fi
    s0=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
    if [ -n "${DRY:-}" ]; then
        rc=- xen=skip
    else
        timeout "$XL_WAIT" xl restore ${XL_OPTS:-} "$IMG" >"$OUT/vd-$1.xl" 2>&1
        rc=$? xen=fail i=0
        if [ $rc = 0 ]; then
            [ -n "${TAP:-}" ] && $TAP "$(timeout 30 xl domid "$NAME" 2>/dev/null)" "$NAME"
            while [ $i -lt "$HB_WAIT" ]; do
                if new_heartbeat "$s0"; then xen=ok; break; fi
                sleep 1; i=$((i + 1))
            done
        fi
        timeout 60 xl destroy "$NAME" >/dev/null 2>&1
        # the domain goes away (with its device model) before the next
        # case: any but Domain-0 and a background job's guest (the PVH
        # export's paused domain lives through the HVM differential;
        # waiting on it cost every HVM case the whole 30 s)
        i=0
        while timeout 30 xl list 2>/dev/null | awk -f /xlsr/others.awk |
              grep -q . && [ $i -lt 30 ]; do
            sleep 1; i=$((i + 1))
        done
    fi
    echo "case $1 xen=$xen xlsr=$x secs=$(since "$2") xl_rc=$rc" >>"$DR"
}

# run NAME OFFSET HEX: poke HEX at OFFSET, judge, put the bytes back.
run() {
    old=$(get "$2" $((${#3} / 2)))
    put "$2" "$3"
    judge "$1" "$(up)"
    put "$2" "$old"
}

# run_tail NAME OFFSET FILE: the image from OFFSET on replaced by FILE
# (records cut or removed at the end of the stream), judged, put back.
run_tail() {
    t0=$(up)
    tail -c +$(($2 + 1)) "$IMG" >/tmp/vd-tail
    truncate -s "$2" "$IMG"
    cat "$3" >>"$IMG"
    judge "$1" "$t0"
    truncate -s "$2" "$IMG"
    cat /tmp/vd-tail >>"$IMG"
    rm -f /tmp/vd-tail
}
