# tests/emulator/t-exec-timeout.sh - the exec backend's timeout: a command
# that never reads (or never exits) is killed and reaped when
# exec_timeout expires, and the record fails naming it.  b450804 waited
# for ever.

timeout_conf() { # COMMAND TIMEOUT
    mkconf exec.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = emulator
backend = exec
exec = $1
exec_timeout = $2
EOT
}

t_exec_timeout_kills_a_command_that_never_reads() {
    c=$(timeout_conf /bin/sleep\ 1000 2)
    "$GEN" --rec emulator_context:emublob:2:0:4M -o "$T/s"
    start=$(date +%s)
    expect 1 timeout 120 "$XLSR" restore -c "$c" --domid 5 "$T/s"
    took=$(($(date +%s) - start))
    echo "NOTE: a command that never reads: failed after ${took} s (exec_timeout = 2)"
    err_has "handler emulator: exec backend: command /bin/sleep did not finish within exec_timeout \(2 s\): killed"
    [ "$took" -lt 60 ] || fail "took ${took} s"
    pgrep -f '^/bin/sleep 1000$' >/dev/null && fail "the command was left running" || true
}

t_exec_timeout_kills_a_command_that_never_exits() {
    # Reads everything, then hangs.
    printf '#!/bin/sh\ncat >/dev/null\nexec sleep 1000\n' >"$T/hang"
    chmod 0755 "$T/hang"
    c=$(timeout_conf "$T/hang" 2)
    "$GEN" --rec emulator_context:emu:2:0:00112233 -o "$T/s"
    expect 1 timeout 120 "$XLSR" restore -c "$c" --domid 5 "$T/s"
    err_has "command $T/hang did not finish within exec_timeout \(2 s\): killed"
}

t_exec_timeout_zero_is_refused_and_default_shown() {
    c=$(timeout_conf /bin/cat 0)
    expect 2 "$XLSR" plugins -c "$c"
    err_has "exec_timeout"
    expect 0 "$XLSR" plugins -v -c "$CONF"
    out_has "exec_timeout"
}
