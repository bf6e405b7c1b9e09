# tests/core/t-hardening.sh - a root-run xlsr trusts no file it did not vet:
# the configuration's owner and mode, a FIFO at -c, closed descriptors 0-2,
# decimal domain ids, a plugin that crashes in init, write errors on
# stdout.  Each test failed on b450804.

emu_conf() { # a config with the emulator file backend writing in $T/emu
    mkdir -p "$T/emu"
    mkconf c.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = emulator
dir = $T/emu
EOT
}

t_domid_is_decimal() {
    c=$(emu_conf)
    "$GEN" --rec emulator_context:emu:2:0:00112233 -o "$T/s"
    expect 0 "$XLSR" restore -c "$c" --domid 010 --dry-run "$T/s"
    out_has "would write 4 bytes .* to $T/emu/qemu-resume\.10\$"
    for bad in 0x10 +5 ' 5' 5x -1; do
        expect 2 "$XLSR" restore -c "$c" --domid "$bad" --dry-run "$T/s"
        err_has "is not a decimal number"
    done
}

t_config_fifo_refused_without_blocking() {
    mkfifo "$T/fifo"
    "$GEN" -o "$T/s"
    expect 2 timeout 10 "$XLSR" verify -c "$T/fifo" "$T/s"
    err_has "fifo: cannot read configuration file: not a regular file"
    expect 2 timeout 10 "$XLSR" plugins -c "$T/fifo"
}

t_config_owner_and_mode_checked_as_root() {
    [ "$(id -u)" -eq 0 ] || skip "needs root (the check applies when xlsr runs as root)"
    c=$(emu_conf)
    "$GEN" -o "$T/s"
    chmod 0644 "$c"; expect 0 "$XLSR" verify -c "$c" "$T/s"
    chmod 0600 "$c"; expect 0 "$XLSR" verify -c "$c" "$T/s"
    chmod 0666 "$c"; expect 2 "$XLSR" verify -c "$c" "$T/s"
    err_has "refusing configuration file: it is world-writable \(mode 0666\)"
    chmod 0664 "$c"; expect 2 "$XLSR" verify -c "$c" "$T/s"
    err_has "refusing configuration file: it is group-writable \(mode 0664\)"
    chmod 0644 "$c"; chown 65534 "$c"
    expect 2 "$XLSR" verify -c "$c" "$T/s"
    err_has "refusing configuration file: owned by uid 65534, neither root"
    expect 2 "$XLSR" plugins -c "$c"
    err_has "owned by uid 65534"
}

t_closed_stdin_is_not_a_plugin() {
    c=$(emu_conf)
    # With fd 0 closed, the first plugin opened used to become "stdin".
    run "$XLSR" verify -c "$c" - <&-
    eq "$RC" 1 "exit status"
    err_has "stdin: offset 0 \(0x0\): empty stream"
    hasnt "$T/err" "LibxlFmt|ident"
}

t_plugin_crashing_in_init_is_named() {
    mkconf crash.ini >/dev/null <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = recorder
log = $T/log
crash_init = true
EOT
    "$GEN" -o "$T/s"
    run "$XLSR" verify -c "$T/crash.ini" "$T/s"
    [ "$RC" -ne 0 ] || fail "a crashing init went unnoticed"
    err_has "fatal signal SIGSEGV during init of plugin recorder \(.*/recorder\.so\) for \[record\.emulator_context\]"
}

t_stdout_write_errors_fail() {
    [ -w /dev/full ] || skip "no /dev/full"
    "$GEN" --libxc pv --pages 4 -o "$T/s"
    set +e; "$XLSR" dump -c "$CONF" -v "$T/s" >/dev/full 2>"$T/err"; rc=$?; set -e
    eq "$rc" 1 "exit status of dump >/dev/full"
    err_has "standard output: No space left on device"
}

t_plugins_listing_write_errors_fail() {
    [ -w /dev/full ] || skip "no /dev/full"
    set +e; "$XLSR" plugins -c "$CONF" >/dev/full 2>"$T/err"; rc=$?; set -e
    eq "$rc" 1 "exit status of plugins >/dev/full"
    err_has "standard output: No space left on device"
}
