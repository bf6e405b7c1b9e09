# tests/core/t-plugin-vetting.sh - a plugin file must be writable by its
# owner only (group-writable is refused too), and a plugin_dir that is a
# symlink or world-writable is refused: whoever can write there chooses
# the code a root-run xlsr loads.  Each test failed on b450804.

vet_conf() { # DIR: END bound to the end plugin found in DIR
    mkconf vet.ini <<EOT
[record.end]
plugin = end
EOT
    sed -i "s|^plugin_dir = .*|plugin_dir = $1|" "$T/vet.ini"
}

t_group_writable_plugin_refused() {
    mkdir -m 0755 "$T/p"; cp "$B/plugins/end.so" "$T/p/"
    vet_conf "$T/p" >/dev/null
    "$GEN" -o "$T/s"
    chmod 0644 "$T/p/end.so"; expect 0 "$XLSR" verify -c "$T/vet.ini" "$T/s"
    chmod 0664 "$T/p/end.so"; expect 2 "$XLSR" verify -c "$T/vet.ini" "$T/s"
    err_has "end.so: .*refusing plugin: it is group-writable \(mode 0664\)"
    chmod 0646 "$T/p/end.so"; expect 2 "$XLSR" plugins -c "$T/vet.ini"
    err_has "refusing plugin: it is world-writable \(mode 0646\)"
}

t_world_writable_plugin_dir_refused() {
    mkdir -m 0755 "$T/p"; cp "$B/plugins/end.so" "$T/p/"
    vet_conf "$T/p" >/dev/null
    "$GEN" -o "$T/s"
    chmod 0777 "$T/p"; expect 2 "$XLSR" verify -c "$T/vet.ini" "$T/s"
    err_has "plugin_dir $T/p is world-writable \(mode 0777\): refused"
    chmod 1777 "$T/p"; expect 2 "$XLSR" plugins -c "$T/vet.ini"
    err_has "plugin_dir $T/p is world-writable \(mode 1777\): refused"
    chmod 0755 "$T/p"; expect 0 "$XLSR" verify -c "$T/vet.ini" "$T/s"
}

t_symlinked_plugin_dir_refused() {
    mkdir -m 0755 "$T/p"; cp "$B/plugins/end.so" "$T/p/"
    ln -s "$T/p" "$T/link"
    vet_conf "$T/link" >/dev/null
    "$GEN" -o "$T/s"
    expect 2 "$XLSR" verify -c "$T/vet.ini" "$T/s"
    err_has "plugin_dir $T/link is a symbolic link: refused \(configure the directory it points to\)"
}
