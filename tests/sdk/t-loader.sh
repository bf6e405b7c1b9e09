# tests/sdk/t-loader.sh - the loader's safety rules and ABI checks, as a
# plugin author meets them: each refusal exits 2 with its own message,
# before a byte of the stream is read, from `verify` and from `plugins`.

# loader_conf DIRS PLUGIN: a config loading PLUGIN for END from DIRS.
loader_conf() {
    cat >"$T/c.ini" <<EOT
[core]
plugin_dir = $1
[record.end]
plugin = $2
EOT
    echo "$T/c.ini"
}

# refused CONF REGEX: verify and plugins both exit 2 naming the refusal.
refused() {
    "$GEN" -o "$T/s"
    expect 2 "$XLSR" verify -c "$1" "$T/s"
    err_has "$2"
    hasnt "$T/out" 'verify: ok'
    expect 2 "$XLSR" plugins -c "$1"
    err_has "$2"
}

# A private copy of end.so in $T/p, for the tests to spoil.
private_end() {
    mkdir -p "$T/p"
    cp "$B/plugins/end.so" "$T/p/end.so"
    chmod 0644 "$T/p/end.so"
}

t_loader_accepts_private_copy() {
    private_end
    c=$(loader_conf p end)      # relative: to the config file's directory
    "$GEN" -o "$T/s"
    expect 0 "$XLSR" verify -c "$c" "$T/s"
    expect 0 "$XLSR" plugins -c "$c"
    out_has "end .*$T/p/end\\.so"
}

t_loader_world_writable_refused() {
    private_end
    chmod 0666 "$T/p/end.so"
    refused "$(loader_conf "$T/p" end)" \
        "$T/p/end.so: .*refusing plugin: it is world-writable \\(mode 0666\\)"
    # Group-writable is the owner's business, not a refusal.
    chmod 0664 "$T/p/end.so"
    expect 0 "$XLSR" plugins -c "$T/c.ini"
}

t_loader_symlink_refused() {
    mkdir "$T/p"
    ln -s "$B/plugins/end.so" "$T/p/end.so"
    refused "$(loader_conf "$T/p" end)" \
        "$T/p/end.so: .*refusing plugin: it is a symbolic link \\(install the file itself\\)"
}

t_loader_not_regular_file_refused() {
    mkdir -p "$T/p/end.so"
    refused "$(loader_conf "$T/p" end)" \
        "$T/p/end.so: .*refusing plugin: not a regular file"
}

t_loader_foreign_owner_refused() {
    [ "$(id -u)" -eq 0 ] || skip "needs root to chown the plugin to nobody"
    nobody=$(id -u nobody 2>/dev/null) || skip "no user 'nobody' here"
    private_end
    chown nobody "$T/p/end.so"
    refused "$(loader_conf "$T/p" end)" \
        "$T/p/end.so: .*refusing plugin: owned by uid $nobody, neither root nor the running user \\(uid 0\\)"
}

t_loader_abi_major_mismatch_refused() {
    refused "$(loader_conf "$B/test-plugins" abi-major)" \
        'abi-major.so: .*handler abi-major: plugin ABI 99\.0, xlsr speaks 1\.0: the major version must match \(rebuild the plugin against this xlsr\)'
}

t_loader_newer_abi_minor_refused() {
    refused "$(loader_conf "$B/test-plugins" abi-minor)" \
        'abi-minor.so: .*plugin ABI 1\.99 is newer than this xlsr.s 1\.0 \(upgrade xlsr, or build the plugin against the older SDK\)'
}

# A plugin outside every plugin_dir entry is not found, whatever else is
# on disk: the name resolves in the listed directories only.
t_loader_unlisted_directory_not_found() {
    private_end
    mkdir "$T/q"
    refused "$(loader_conf "$T/q" end)" \
        "$T/q/end.so: .*cannot load plugin: No such file or directory"
    # The same file is found once its directory is listed (second here).
    loader_conf "$T/q:$T/p" end >/dev/null
    expect 0 "$XLSR" plugins -c "$T/c.ini"
    out_has "$T/p/end.so"
}

# The first listed directory holding NAME.so decides: a refused file
# there is not skipped in favour of a good one further down the list.
t_loader_first_match_decides() {
    private_end
    mkdir "$T/first"
    cp "$B/plugins/end.so" "$T/first/end.so"
    chmod 0666 "$T/first/end.so"
    refused "$(loader_conf "$T/first:$T/p" end)" \
        "$T/first/end.so: .*world-writable"
}
