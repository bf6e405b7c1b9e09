# tests/core/t-config.sh - configuration errors: each exits 2 and is
# reported before a single byte of the stream is read.

ABI_MINOR=$("$XLSR" --version | sed -n 's/.*plugin ABI 1\.\([0-9]*\).*/\1/p')

# unread CONF: xlsr verify reads the stream from stdin, which is a file
# shared with a `cat` run after it: if xlsr read nothing, cat sees it all.
unread() {
    "$GEN" --rec emulator_context:emu:2:0:00 -o "$T/s"
    set +e
    ( "$XLSR" verify -c "$1" - 2>"$T/err" >"$T/out"; echo $? >"$T/rc"; cat >"$T/rest" ) <"$T/s"
    set -e
    RC=$(cat "$T/rc")
    [ "$RC" -eq 2 ] || { cat "$T/err"; fail "exit status $RC, wanted 2"; }
    cmp -s "$T/s" "$T/rest" || fail "xlsr consumed $(( $(stat -c %s "$T/s") - $(stat -c %s "$T/rest") )) stream bytes before failing"
}

# A configuration binding END to the named plugin.
end_bound_to() {
    printf '[record.end]\nplugin = %s\n' "$1" | mkconf c.ini
}

t_missing_plugin_file() {
    unread "$(end_bound_to no-such-plugin)"
    err_has "plugin 'no-such-plugin': .*cannot load plugin: no no-such-plugin.so in plugin_dir \($B/plugins:$B/test-plugins\)"
}

t_plugin_without_entry_symbol() {
    unread "$(end_bound_to noentry)"
    err_has 'noentry.so: .*no entry point \[xlsr_plugin_entry\] in shared library'
}

t_abi_major_mismatch() {
    unread "$(end_bound_to abi-major)"
    err_has "abi-major.so: .*plugin ABI 99\\.$ABI_MINOR, xlsr speaks 1\\.$ABI_MINOR: the major version must match"
}

t_abi_newer_minor() {
    unread "$(end_bound_to abi-minor)"
    err_has "abi-minor.so: .*plugin ABI 1\\.99 is newer than this xlsr.s 1\\.$ABI_MINOR"
}

t_unknown_core_key() {
    c=$(mkconf c.ini <<EOT
max_record_byte = 1M
[record.end]
plugin = end
EOT
)
    unread "$c"
    err_has 'c.ini:3: \[core\]: unknown key .max_record_byte.'
}

t_unknown_plugin_key() {
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = end

[record.emulator_context]
plugin = recorder
log = $T/log
cokie = 3
EOT
)
    unread "$c"
    err_has 'c.ini:9: \[record.emulator_context\]: unknown key .cokie. \(plugin recorder declares no such key\)'
}

t_bad_value_type() {
    c=$(mkconf c.ini <<EOT
[record.emulator_context]
plugin = recorder
log = $T/log
cookie = many
EOT
)
    unread "$c"
    err_has 'c.ini:6: \[record.emulator_context\]: cookie = .many. is not a number'
}

t_missing_required_plugin_key() {
    c=$(mkconf c.ini <<EOT
[record.emulator_context]
plugin = recorder
EOT
)
    unread "$c"
    err_has 'c.ini:3: \[record.emulator_context\]: plugin recorder requires key .log.'
}

t_duplicate_handler_for_one_type() {
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = end
[record.0x0]
plugin = recorder
EOT
)
    unread "$c"
    err_has 'c.ini:5: \[record.0x0\]: record type 0x0 already has a handler, section \[record.end\] at line 3'
}

t_duplicate_key() {
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = end
plugin = end
EOT
)
    unread "$c"
    err_has 'c.ini:5: \[record.end\]: duplicate key .plugin. \(first at line 4\)'
}

t_unknown_section_and_type() {
    c=$(mkconf c.ini <<EOT
[recrod.end]
plugin = end
EOT
)
    unread "$c"
    err_has 'c.ini:3: unknown section \[recrod.end\]'
    c=$(mkconf d.ini <<EOT
[record.emulator_contxt]
plugin = end
EOT
)
    unread "$c"
    err_has "d.ini:3: \\[record.emulator_contxt\\]: unknown record type 'emulator_contxt'"
}

t_overlong_line() {
    long=$(head -c 300 /dev/zero | tr '\0' 'x')
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = end
; $long
EOT
)
    unread "$c"
    err_has 'c.ini:5: line longer than'
}

t_init_failure() {
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = recorder
log = $T/log
fail_init = yes
EOT
)
    unread "$c"
    err_has 'c.ini:5: record EMULATOR_CONTEXT \(0x3\): handler recorder: init failed: recorder told to fail \(fail_init = true\)'
}

t_unreadable_config() {
    unread "$T/does-not-exist.ini"
    err_has 'does-not-exist.ini: cannot read configuration file: No such file or directory'
    mkdir "$T/dir.ini"
    unread "$T/dir.ini"
    err_has 'dir.ini: cannot read configuration file: not a regular file'
}

t_plugin_name_with_path_refused() {
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = ../plugins/end
EOT
)
    unread "$c"
    err_has "plugin '../plugins/end': .*a plugin is named by its file name in plugin_dir"
}

t_usage_errors_exit_2() {
    expect 2 "$XLSR"
    expect 2 "$XLSR" frobnicate
    expect 2 "$XLSR" verify
    expect 2 "$XLSR" restore -c "$CONF" -
    err_has '^xlsr restore: --domid is required$'
    expect 2 "$XLSR" verify --domid 3 -c "$CONF" -
    err_has '^xlsr verify: --domid is not an option of verify'
}

t_duplicate_core_key_and_empty_plugin_dir() {
    c=$(mkconf c.ini <<EOT
max_record_bytes = 1M
max_record_bytes = 2M
[record.end]
plugin = end
EOT
)
    unread "$c"
    err_has "c.ini:4: \\[core\\]: duplicate key 'max_record_bytes'"
    printf '[core]\nplugin_dir = :\n[record.end]\nplugin = end\n' >"$T/d.ini"
    unread "$T/d.ini"
    err_has 'd.ini: \[core\]: plugin_dir lists no directory'
}
