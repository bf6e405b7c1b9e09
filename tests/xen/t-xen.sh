# tests/xen/t-xen.sh - the real-Xen suite: Xen 4.17 + a Linux dom0 booted
# under QEMU (TCG), a PV guest saved with `xl save` and restored with
# xlsr.  See tests/xen/README.md.
#
# One QEMU boot serves every test of this file: the first test that needs
# the results boots (tests/xen/bundle.sh, then tests/xen/boot.sh, which
# runs dom0-tests.sh inside dom0) and keeps them in a folder of
# $XLSR_BUILD/xen-run named after the test run; the others of the same run
# read them.  "The same run" is the runner process (tests/run.sh): each
# test runs in a subshell of it, where $$ still names it.  Several runners
# at once (make check beside a developer's run) each get their own folder;
# their boots take turns (one QEMU at a time on a small machine).
# $XLSR_BUILD/xen-run/last points at the latest run's folder.
SLOW=1
NO_SAN=1

XR_BASE=$XLSR_BUILD/xen-run
# The runner's pid and start time: unique for one tests/run.sh process.
XR=$XR_BASE/run-$$-$(cut -d' ' -f22 "/proc/$$/stat" 2>/dev/null)

# xen_result KEY: the value dom0-tests.sh reported for KEY (empty if none).
xen_result() {
    sed -n "s/^$1 //p" "$XR/run/share/results.txt" 2>/dev/null | tail -n 1
}

# Why this machine cannot run the suite, or nothing.
xen_cannot() {
    local avail
    command -v qemu-system-x86_64 >/dev/null 2>&1 || [ "$(id -u)" = 0 ] ||
        { echo "qemu-system-x86_64 missing (and not root to install it)"; return; }
    if command -v qemu-system-x86_64 >/dev/null 2>&1 &&
       ! qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg; then
        echo "this QEMU has no TCG accelerator"; return
    fi
    avail=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
    if [ "${avail:-0}" -lt $(( ${XEN_QEMU_MEM:-2048} + 512 )) ]; then
        echo "only ${avail} MiB of memory available, QEMU needs ${XEN_QEMU_MEM:-2048} MiB + margin"
    fi
}

# Boots once per test run (see above); afterwards $XR/status says
#   ok                   dom0 ran dom0-tests.sh to its end
#   skip REASON          this machine cannot boot Xen under QEMU
#   incomplete REASON    dom0 booted but the run stopped early
xen_boot_once() {
    local why out bundle try d pid start
    mkdir -p "$XR_BASE"
    exec 8>"$XR_BASE/lock"
    flock 8
    if [ -f "$XR/status" ]; then
        flock -u 8
        return 0
    fi
    # Folders of runners that are gone, but for the latest one.
    for d in "$XR_BASE"/run-*; do
        [ -d "$d" ] && [ "$d" != "$XR" ] || continue
        [ "$(readlink -f "$XR_BASE/last")" = "$(readlink -f "$d")" ] && continue
        pid=${d##*/run-}; start=${pid#*-}; pid=${pid%%-*}
        [ "$(cut -d' ' -f22 "/proc/$pid/stat" 2>/dev/null)" = "$start" ] ||
            rm -rf "$d"
    done
    rm -rf "$XR"
    mkdir -p "$XR"
    ln -sfn "${XR##*/}" "$XR_BASE/last"
    why=$(xen_cannot)
    if [ -n "$why" ]; then
        echo "skip $why" >"$XR/status"
    elif ! out=$(bash "$XLSR_TOP/tests/xen/bundle.sh" 2>"$XR/bundle.log"); then
        if [ "$(echo "$out" | tail -n 1 | cut -c1-5)" = "SKIP:" ]; then
            echo "skip $(echo "$out" | tail -n 1 | cut -c7-)" >"$XR/status"
        else
            echo "incomplete the boot bundle could not be built: $(tail -n 3 "$XR/bundle.log" | tr '\n' ' ')" >"$XR/status"
        fi
    else
        bundle=$(echo "$out" | sed -n 's/^BUNDLE=//p' | tail -n 1)
        for try in 1 2; do
            XLSR_BUILD=$XLSR_BUILD XEN_TIMEOUT=${XEN_TIMEOUT:-2400} \
                bash "$XLSR_TOP/tests/xen/boot.sh" "$bundle" "$XR/run" \
                >>"$XR/boot.log" 2>&1
            xen_classify
            # Only a dom0 that never came up is worth a second boot.
            case $(cat "$XR/status") in
            "skip dom0"*) [ $try = 1 ] && echo "boot $try: $(cut -d' ' -f2- "$XR/status"); retrying" >>"$XR/retries" ;;
            *) break ;;
            esac
        done
    fi
    flock -u 8
}

# Sets $XR/status from what one boot left behind.
xen_classify() {
    local serial=$XR/run/serial.log
    if ! grep -q 'Xen version 4' "$serial" 2>/dev/null; then
        echo "skip QEMU did not boot Xen ($(tail -n 2 "$XR/run/qemu.out" 2>/dev/null | tr '\n' ' '))" >"$XR/status"
    elif ! grep -q '^dom0_init ' "$XR/run/share/results.txt" 2>/dev/null; then
        echo "skip dom0 did not reach /init under Xen in QEMU (qemu $(tr '\n' ' ' <"$XR/run/qemu.txt"); see $serial)" >"$XR/status"
    elif ! grep -q '^dom0_done ' "$XR/run/share/results.txt"; then
        echo "incomplete dom0 stopped before the end of dom0-tests.sh (qemu $(tr '\n' ' ' <"$XR/run/qemu.txt"); last results: $(tail -n 2 "$XR/run/share/results.txt" | tr '\n' ' '))" >"$XR/status"
    else
        echo ok >"$XR/status"
    fi
}

# Every test starts here: skips when the machine cannot, fails when the
# run is incomplete and the test's facts are missing.
xen_need() {
    local st
    xen_boot_once
    st=$(cat "$XR/status")
    case $st in
    skip*) skip "real Xen: ${st#skip }" ;;
    esac
    if [ -f "$XR/retries" ]; then
        sed 's/^/NOTE: infrastructure hiccup: /' "$XR/retries"
    fi
    grep '^hiccup ' "$XR/run/share/results.txt" 2>/dev/null |
        sed 's/^hiccup /NOTE: infrastructure hiccup (retried): /'
    n=$(xen_result segfaults)
    if [ -n "$n" ] && [ "$n" != 0 ]; then
        echo "NOTE: $n process(es) crashed in dom0 (see $XR/run/share/dom0-dmesg.txt)"
    fi
    if [ "$st" != ok ]; then
        echo "run status: $st"
    fi
}

# want KEY REGEX: dom0 reported KEY with a value matching REGEX.
want() {
    local v
    v=$(xen_result "$1")
    echo "$v" | grep -Eq -- "^($2)\$" || {
        echo "--- results.txt:"; cat "$XR/run/share/results.txt" 2>/dev/null
        echo "--- run status: $(cat "$XR/status")"
        fail "dom0 reported $1='$v', wanted /$2/"
    }
}

t_xen_boot() {
    xen_need
    want dom0_init '[0-9.]+'
    want daemons_up '[0-9.]+'
    want xen_version '4\.17\..*'
    want created 1
    # Xen's console timestamps count from Xen's start; "Freed ... init
    # memory" is its last line before dom0 runs.
    xen=$(sed -n 's/^(XEN) \[ *\([0-9.]*\)\] Freed .* init memory.*/\1/p' \
          "$XR/run/serial.log" | tail -n 1)
    xen=$(awk -v t="${xen:-0}" 'BEGIN { printf "%.1f", t }')
    echo "NOTE: Xen boot ${xen} s, dom0 /init at $(xen_result dom0_init) s of dom0 uptime, toolstack daemons up at $(xen_result daemons_up) s, xl create to first heartbeat $(xen_result create_secs) s; QEMU wall time $(sed -n 's/^qemu_wall //p' "$XR/run/qemu.txt") s"
}

t_xen_save_verify() {
    xen_need
    want save_rc 0
    want save_bytes '[1-9][0-9]{6,}'
    want verify_rc 0
    want dump_rc 0
    has "$XR/run/share/verify.out" 'END reached'
    has "$XR/run/share/dump.out" 'record 0x00000001 LIBXC_CONTEXT'
    has "$XR/run/share/dump.out" 'libxc: x86 PV guest, saved by Xen 4\.17'
    echo "NOTE: xl save $(xen_result save_secs) s, $(xen_result save_bytes) bytes"
}

t_xen_restore() {
    xen_need
    want restore_rc 0
    want restore_domid '[1-9][0-9]*'
    want restored_fresh_boots 0
    saved=$(xen_result hb_saved)
    first=$(xen_result hb_restored_first)
    last=$(xen_result hb_restored_last)
    echo "heartbeat: saved at $saved, after restore $first .. $last"
    # The guest carries on where it was saved: its counter lives only in
    # its memory.  A fresh boot would start again at 0.
    [ "$saved" -ge 1 ] || fail "no heartbeat before the save ($saved)"
    [ "$first" -ge "$saved" ] && [ "$first" -le $((saved + 3)) ] ||
        fail "first heartbeat after restore is $first; saved at $saved"
    [ "$last" -ge $((first + 2)) ] ||
        fail "heartbeat did not advance after restore ($first .. $last)"
    hasnt "$XR/run/share/guest-hb-xlsr.log" 'guest up'
    has "$XR/run/share/restore.out" "^domid $(xen_result restore_domid)\$"
    want destroy_rc 0
    want clean_after_restore yes
    echo "NOTE: xlsr restore (embedding toolstack, libxenguest in the helper process) $(xen_result restore_secs) s (in-process before the helper: 2.3-2.4 s, README); heartbeat $saved -> $first"
}

t_xen_xenstore() {
    xen_need
    want xs_restore_rc 0
    want xs_start_addr f1000000
    want xs_size 1000000
    want xs_name vga.vram
    # The plugin against the real xenstored: write, refusals, the EAGAIN
    # retry and clean abort, the oversize abort.
    want xenstore_plugin_rc 0
    cat "$XR/run/share/xenstore-plugin.log"
    has "$XR/run/share/xenstore-plugin.log" '^PASS xenstore-plugin write'
    has "$XR/run/share/xenstore-plugin.log" '^PASS xenstore-plugin toobig'
    # A conflict needs a collision in time: say so when none happened.
    grep '^SKIP' "$XR/run/share/xenstore-plugin.log" | sed 's/^/NOTE: /' || true
}

t_xen_truncated() {
    xen_need
    want trunc_rc 1
    # xlsr's error names where the stream broke and which handler saw it.
    has "$XR/run/share/trunc.err" 'restore failed: offset [0-9]+ \(0x[0-9a-f]+\): record LIBXC_CONTEXT \(0x1\): handler libxc: '
    has "$XR/run/share/trunc.err" '^xlsr-toolstack: destroyed domain [0-9]+$'
    want clean_after_trunc yes
    want xs_domains '0 ?'
    grep -c . "$XR/run/share/xl-list-final.txt" | grep -qx 2 ||
        fail "xl list after the failed restore: $(cat "$XR/run/share/xl-list-final.txt")"
}

# --- PVH and HVM (steps/10-pvh.sh, steps/20-hvm.sh) ----------------------------

# hb_continues PREFIX SAVED SLACK: the guest's counter after a restore
# carries on from SAVED (its counter lives only in its memory; a fresh
# boot would start again at 0), by at most SLACK heartbeats lost while
# nobody read the console, and keeps going.
hb_continues() {
    local first last fresh
    first=$(xen_result "${1}_first")
    last=$(xen_result "${1}_last")
    fresh=$(xen_result "${1}_fresh_boots")
    echo "$1: heartbeat saved at $2, afterwards $first .. $last"
    [ "$2" -ge 1 ] 2>/dev/null || fail "$1: no heartbeat before ($2)"
    [ "$first" -ge "$2" ] && [ "$first" -le $(($2 + $3)) ] ||
        fail "$1: first heartbeat afterwards is $first; it was at $2"
    [ "$last" -ge $((first + 2)) ] ||
        fail "$1: heartbeat did not advance ($first .. $last)"
    [ "$fresh" = 0 ] || fail "$1: the guest booted afresh"
}

# clean_after KEY: only Domain-0 left, no qemu-resume file, no QEMU.
clean_after() {
    want "$1" yes
    want "${1}_resume_files" 0
    want "${1}_qemus" 0
}

# ratio A B: "A/B" to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

t_xen_pvh_restore() {
    xen_need
    want pvh_created 1
    want pvh_save_rc 0
    want pvh_save_bytes '[1-9][0-9]{6,}'
    want pvh_verify_rc 0
    want pvh_restore_rc 0
    want pvh_restore_domid '[1-9][0-9]*'
    # Created as PVH from c_info.type (the stream itself says "HVM").
    want pvh_restored_type pvh
    has "$XR/run/share/pvh-restore.err" 'created pvh domain'
    hb_continues pvh_restored "$(xen_result pvh_hb_saved)" 3
    want pvh_destroy_rc 0
    clean_after pvh_clean_after_restore
    echo "NOTE: PVH: xl create to first heartbeat $(xen_result pvh_create_secs) s, xl save $(xen_result pvh_save_secs) s ($(xen_result pvh_save_bytes) bytes), xlsr restore $(xen_result pvh_restore_secs) s"
}

# The same image restored by xl in the same boot: both times as notes.
t_xen_pvh_vs_xl() {
    xen_need
    want pvh_xl_restore_rc 0
    hb_continues pvh_xl_restored "$(xen_result pvh_hb_saved)" 3
    local a b
    a=$(xen_result pvh_restore_secs)
    b=$(xen_result pvh_xl_restore_secs)
    echo "NOTE: PVH restore of the same image, same boot: xlsr-toolstack $a s, xl restore $b s (xlsr/xl $(ratio "$a" "$b"))"
}

t_xen_pvh_migrate() {
    xen_need
    want pvh_migrate_rc 0
    want pvh_migrate_domid '[1-9][0-9]*'
    # Renamed from hbpvh--incoming once the sender said so; xl destroyed
    # its own copy after our status byte.
    want pvh_migrate_name hbpvh
    want pvh_migrate_src_left 0
    has "$XR/run/share/pvh_migrate.log" 'migration sender: Target reports successful startup'
    hb_continues pvh_migrate "$(xen_result pvh_migrate_src_last)" 4
    clean_after pvh_clean_after_migrate
    echo "NOTE: PVH xl migrate (live) into xlsr-toolstack $(xen_result pvh_migrate_secs) s"
}

t_xen_pvh_remus() {
    xen_need
    want pvh_remus_domid '[1-9][0-9]*'
    want pvh_remus_failover yes
    local n killed
    n=$(xen_result pvh_remus_checkpoints)
    [ "${n:-0}" -ge 5 ] || fail "only ${n:-0} Remus checkpoints applied (want >= 5)"
    # The secondary resumed from the last complete checkpoint: at most a
    # few seconds before the primary was killed, and no later than the
    # last heartbeat the primary printed before it was gone (Remus kept
    # checkpointing while xl destroy ran, which takes seconds under TCG;
    # +2 for a heartbeat still in the console ring when the checkpoint
    # was taken), and carried on past that.
    local final
    killed=$(xen_result pvh_remus_primary_last)
    final=$(xen_result pvh_remus_primary_final)
    [ "${final:-x}" -ge "${killed:-0}" ] 2>/dev/null ||
        fail "the primary's last heartbeat after xl destroy ($final) is before the one when it was killed ($killed)"
    hb_continues pvh_remus "$((killed - 6))" "$((final + 2 - (killed - 6)))"
    [ "$(xen_result pvh_remus_last)" -gt "$final" ] ||
        fail "the secondary's heartbeat $(xen_result pvh_remus_last) did not pass the primary's last one ($final)"
    want pvh_remus_name hbpvh
    clean_after pvh_clean_after_remus
    at=$(xen_result pvh_remus_partial_offset)
    # UINT64_MAX: libxenguest read a pipe, so the core knows no offset.
    [ "$at" = 18446744073709551615 ] && at="unknown (libxenguest read the stream from a pipe)"
    lo=$(xen_result pvh_remus_xl_leftover)
    [ -z "$lo" ] || echo "NOTE: stock xl remus left the dead primary's xenstore nodes behind (removed): $lo"
    echo "NOTE: PVH xl remus: $n checkpoints applied, stream broke at offset $at (failover), primary destroyed at heartbeat $killed (its last $final) after $(xen_result pvh_remus_run_secs) s; secondary $(xen_result pvh_remus_first) .. $(xen_result pvh_remus_last)"
}

t_xen_hvm_save() {
    xen_need
    want hvm_created 1
    want hvm_save_rc 0
    want hvm_save_bytes '[1-9][0-9]{6,}'
    want hvm_dump_rc 0
    # A real EMULATOR_XENSTORE_DATA record (from the physmap keys) and a
    # real EMULATOR_CONTEXT (QEMU's saved devices).
    want hvm_dump_xs_pairs 3
    want hvm_dump_emu_bytes '[1-9][0-9]{2,}'
    has "$XR/run/share/hvm-xl-qemu-cmdline" 'xen-qemu-system-i386'
    echo "NOTE: HVM: xl create to first heartbeat $(xen_result hvm_create_secs) s, xl save $(xen_result hvm_save_secs) s ($(xen_result hvm_save_bytes) bytes, device state $(xen_result hvm_dump_emu_bytes) bytes)"
}

# hvm_restored KEY: what both emulator backends must show.
hvm_restored() {
    want "${1}_rc" 0
    want "${1}_domid" '[1-9][0-9]*'
    hb_continues "$1" "$(xen_result hvm_hb_saved)" 6
    # The xenstore plugin wrote the saved keys for the new domain.
    want "${1}_physmap" "$(xen_result hvm_physmap_written)"
    want "${1}_resume_file" 0
    want "${1}_destroy_rc" 0
}

t_xen_hvm_restore_file() {
    xen_need
    hvm_restored hvm_file
    has "$XR/run/share/hvm_file.qemu-cmdline" '-incoming fd:[0-9]+'
    has "$XR/run/share/hvm_file.err" 'loaded the state from the file'
    clean_after hvm_clean_after_file
    echo "NOTE: HVM xlsr restore (file backend, QEMU started after the stream) $(xen_result hvm_file_secs) s"
}

t_xen_hvm_restore_exec() {
    xen_need
    want hvm_exec_ini_lines_changed 1
    hvm_restored hvm_exec
    has "$XR/run/share/hvm_exec.qemu-cmdline" '-incoming fd:0'
    has "$XR/run/share/hvm_exec.err" 'loaded the state from the stream'
    clean_after hvm_clean_after_exec
    echo "NOTE: HVM xlsr restore (exec backend, blob piped into QEMU) $(xen_result hvm_exec_secs) s"
}

t_xen_hvm_vs_xl() {
    xen_need
    want hvm_xl_restore_rc 0
    hb_continues hvm_xl_restored "$(xen_result hvm_hb_saved)" 6
    local a b
    a=$(xen_result hvm_file_secs)
    b=$(xen_result hvm_xl_restore_secs)
    echo "NOTE: HVM restore of the same image, same boot: xlsr-toolstack $a s (exec backend $(xen_result hvm_exec_secs) s), xl restore $b s (xlsr/xl $(ratio "$a" "$b"))"
}

t_xen_hvm_migrate() {
    xen_need
    want hvm_migrate_rc 0
    want hvm_migrate_domid '[1-9][0-9]*'
    want hvm_migrate_name hbhvm
    want hvm_migrate_src_left 0
    has "$XR/run/share/hvm_migrate.log" 'migration sender: Target reports successful startup'
    hb_continues hvm_migrate "$(xen_result hvm_migrate_src_last)" 6
    clean_after hvm_clean_after_migrate
    echo "NOTE: HVM xl migrate (live) into xlsr-toolstack $(xen_result hvm_migrate_secs) s"
}

# QEMU refuses a corrupted device state: the restore fails with QEMU's
# reason and leaves no domain, no QEMU and no qemu-resume file.
t_xen_hvm_refused() {
    xen_need
    want hvm_refused_rc 1
    has "$XR/run/share/hvm-refused.err" 'the device model refused the saved state \(QEMU exited.*\): .+'
    has "$XR/run/share/hvm-refused.err" 'destroyed domain [0-9]+'
    clean_after hvm_clean_after_refused
    want hvm_xs_domains '0 ?'
    grep 'refused the saved state' "$XR/run/share/hvm-refused.err"
}
