# tests/xen/dom0-lib.sh - helpers shared by dom0-tests.sh and the step
# files in steps/ (busybox sh, sourced).  Facts go to $R as "key value"
# lines; nothing here asserts: tests/xen/t-xen.sh judges on the host.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
R=/out/results.txt
CONS=/var/log/xen/console
CONF=/etc/xlsr/xlsr.ini

up() { cut -d' ' -f1 /proc/uptime; }
log() { echo "[$(up)] $*"; }
res() { echo "$*" >>$R; log "result: $*"; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'; }
# hb_nums NAME: the heartbeat numbers in NAME's console log, in order.
hb_nums() {
    sed -n 's/^heartbeat \([0-9]*\).*/\1/p' "$CONS/guest-$1.log" 2>/dev/null
}
last_hb() { hb_nums "$1" | tail -n 1 | grep . || echo -1; }
first_hb() { hb_nums "$1" | head -n 1 | grep . || echo -1; }
fresh_boots() {
    _n=$(grep -c 'guest up' "$CONS/guest-$1.log" 2>/dev/null)
    echo "${_n:-0}"
}
# wait_hb NAME MIN SECS: until NAME's log shows heartbeat >= MIN.
wait_hb() {
    _i=0
    while [ "$_i" -lt "$3" ]; do
        [ "$(last_hb "$1")" -ge "$2" ] && return 0
        sleep 1
        _i=$((_i + 1))
    done
    return 1
}
# only_dom0 FILE: xl list into FILE; true when only Domain-0 is left.
# (A guest a background job owns, named in /tmp/bg-guests, is its
# business: bg_start.)
only_dom0() {
    timeout 30 xl list >"$1" 2>&1
    [ "$(awk -f /xlsr/others.awk "$1" | grep -c .)" = 0 ]
}

# bg_start NAME GUEST CMD...: CMD in the background, for the minutes `xl
# dump-core` of an auto-translated guest takes under TCG, while the next
# step runs.  Its facts (stdout) and NAME_bg_rc / NAME_bg_secs wait in
# /tmp/bg-NAME.res until bg_wait adds them to $R; GUEST, the domain it
# owns, is left out of only_dom0 until then.
bg_start() {
    _n=$1 _g=$2
    shift 2
    echo "$_g" >>/tmp/bg-guests
    echo "$_g" >"/tmp/bg-$_n.guest"
    rm -f "/tmp/bg-$_n.done"
    (
        _t0=$(up)
        "$@" >"/tmp/bg-$_n.res" 2>"/out/$_n-bg.err"
        echo "${_n}_bg_rc $?" >>"/tmp/bg-$_n.res"
        echo "${_n}_bg_secs $(since "$_t0")" >>"/tmp/bg-$_n.res"
        : >"/tmp/bg-$_n.done"
    ) &
    log "background job $_n started (guest $_g)"
}

# bg_wait NAME SECS: waits up to SECS for NAME, adds its facts to $R (a
# job still running: NAME_bg_rc unfinished), and whether its guest is
# gone (NAME_guest_gone yes/no, 30 s of patience as in clean); keeps the
# guest's console log.
bg_wait() {
    [ -f "/tmp/bg-$1.res" ] || return 0
    _t0=$(up)
    _i=0
    while [ ! -f "/tmp/bg-$1.done" ] && [ $_i -lt "$2" ]; do
        sleep 1; _i=$((_i + 1))
    done
    [ -f "/tmp/bg-$1.done" ] || echo "${1}_bg_rc unfinished" >>"/tmp/bg-$1.res"
    cat "/tmp/bg-$1.res" >>$R
    rm -f "/tmp/bg-$1.res"
    _g=$(cat "/tmp/bg-$1.guest")
    _i=0
    while domid_of "$_g" >/dev/null && [ $_i -lt 30 ]; do
        sleep 1; _i=$((_i + 1))
    done
    if domid_of "$_g" >/dev/null; then res "${1}_guest_gone" no
    else res "${1}_guest_gone" yes; fi
    grep -vx "$_g" /tmp/bg-guests >/tmp/bg-guests.new
    mv /tmp/bg-guests.new /tmp/bg-guests
    cp "$CONS/guest-$_g.log" "/out/guest-$_g-$1.log" 2>/dev/null
    res "${1}_bg_waited_secs" "$(since "$_t0")"
    res "${1}_dom0_free_kib" "$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)"
}
# domid_of NAME: the domid xl reports for NAME, or nothing.
domid_of() { timeout 30 xl domid "$1" 2>/dev/null; }

# tap_serial DOMID NAME: an HVM guest's console is QEMU's serial pty,
# which xenconsoled does not log; copy it into $CONS/guest-NAME.log like
# xenconsoled does for PV consoles.  Waits (up to 20 s) for QEMU to
# publish the pty in xenstore.
tap_serial() {
    _i=0
    while [ $_i -lt 20 ]; do
        _tty=$(xenstore-read /local/domain/$1/serial/0/tty 2>/dev/null)
        [ -n "$_tty" ] && [ -c "$_tty" ] && break
        sleep 1
        _i=$((_i + 1))
    done
    if [ -z "$_tty" ] || [ ! -c "$_tty" ]; then
        log "no serial pty for domain $1"
        return 1
    fi
    stty -F "$_tty" raw -echo 2>/dev/null
    cat "$_tty" >>"$CONS/guest-$2.log" 2>/dev/null &
    log "tapping $2 (domain $1) serial $_tty (reader $!)"
}

# create_guest CFG NAME SECS: xl create + first heartbeat within SECS.
# A guest that never prints its first heartbeat (xl failing included:
# nothing of xlsr runs yet) is an infrastructure hiccup under a slow,
# shared TCG (nested SVM triple faults now and then): destroyed and
# created once more, and the hiccup is reported.  Sets create_secs_.
create_guest() {
    for _try in 1 2; do
        _t0=$(up)
        rm -f "$CONS/guest-$2.log"
        # -e: no xl process stays behind to watch the domain.
        timeout 120 xl create -e "$1" >/tmp/xl-create-$2.log 2>&1
        _rc=$?
        cat /tmp/xl-create-$2.log
        if [ $_rc = 0 ] && grep -q '^type *= *"hvm"' "$1"; then
            tap_serial "$(domid_of "$2")" "$2"
        fi
        # The first heartbeat, then two more: a guest of nested TCG has
        # been seen to print heartbeat 0 and hang (it then never
        # acknowledges xl save's suspend).
        if [ $_rc = 0 ] && wait_hb "$2" 0 "$3"; then
            create_secs_=$(since "$_t0")
            wait_hb "$2" 2 60 && return 0
            _why="hung after heartbeat $(last_hb "$2")"
        else
            _why="no first heartbeat"
        fi
        res hiccup "xl create $2 attempt $_try: rc $_rc, $_why after $(since "$_t0") s: $(tail -n 1 /tmp/xl-create-$2.log)"
        cp "$CONS/guest-$2.log" "/out/guest-$2-attempt$_try.log" 2>/dev/null
        cp "/var/log/xen/qemu-dm-$2.log" "/out/qemu-dm-$2-attempt$_try.log" 2>/dev/null
        timeout 60 xl destroy "$2" 2>/dev/null
    done
    return 1
}

# timed KEY CMD...: runs CMD, records KEY_rc and KEY_secs.
timed() {
    _k=$1
    shift
    _t0=$(up)
    "$@"
    _rc=$?
    res "${_k}_rc" $_rc
    res "${_k}_secs" "$(since "$_t0")"
    return $_rc
}

# hb_facts PREFIX NAME SECS: waits for two heartbeats past the first one
# NAME's log shows, then records PREFIX_first, PREFIX_last and
# PREFIX_fresh_boots.
hb_facts() {
    wait_hb "$2" 0 "$3"
    _f=$(first_hb "$2")
    [ "$_f" -ge 0 ] && wait_hb "$2" $((_f + 2)) 60
    res "${1}_first" "$(first_hb "$2")"
    res "${1}_last" "$(last_hb "$2")"
    res "${1}_fresh_boots" "$(fresh_boots "$2")"
    cp "$CONS/guest-$2.log" /out/ 2>/dev/null
}

# ts_domid FILE: the domid an xlsr-toolstack run reported ("domid N").
ts_domid() { sed -n 's/^domid \([0-9]*\)$/\1/p' "$1" | tail -n 1; }

# clean KEY: xl list shows only Domain-0 (KEY yes/no), no qemu-resume
# file and no device model are left.  A destroyed domain lingers as
# "(null)", dying, until Xen has freed its memory and every mapping of
# its pages is gone (seconds on a loaded TCG): up to 30 s of patience.
clean() {
    _i=0
    while ! only_dom0 /out/xl-list-$1.txt && [ $_i -lt 30 ]; do
        sleep 1
        _i=$((_i + 1))
    done
    if only_dom0 /out/xl-list-$1.txt; then res "$1" yes; else res "$1" no; fi
    res "${1}_resume_files" "$(ls /var/lib/xen 2>/dev/null | grep -c qemu-resume)"
    res "${1}_qemus" "$(ps | grep -v grep | grep -c xen-qemu-system)"
}

# migrate_in PREFIX NAME LOGNAME [serial]: `xl migrate -s ""` (live) of
# the xl guest NAME into `xlsr-toolstack --migrate-receive`; facts
# PREFIX_*; the received guest's console log is LOGNAME (its QEMU serial
# port is tapped first when "serial"); the received domain is destroyed
# at the end.
migrate_in() {
    _src=$(last_hb "$2")
    timed $1 timeout 500 xl migrate -s "" "$2" \
        "xlsr-toolstack -c $CONF --migrate-receive" >/out/$1.log 2>&1
    res ${1}_src_before "$_src"
    res ${1}_src_last "$(last_hb "$2")"
    _d=$(ts_domid /out/$1.log)
    res ${1}_domid "${_d:-none}"
    timeout 30 xl list >/out/$1-xl-list.txt 2>&1
    res ${1}_src_left "$(grep -c migratedaway /out/$1-xl-list.txt)"
    [ -n "$_d" ] || return 1
    res ${1}_name "$(xenstore-read /local/domain/$_d/name 2>&1)"
    [ "$4" = serial ] && tap_serial "$_d" "$3"
    hb_facts $1 "$3" 120
    timeout 60 xlsr-toolstack --destroy "$_d"
}
