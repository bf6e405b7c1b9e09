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
    # Group-writable too: any group member could swap the code (b450804
    # loaded it).
    chmod 0664 "$T/p/end.so"
    refused "$T/c.ini" \
        "$T/p/end.so: .*refusing plugin: it is group-writable \\(mode 0664\\)"
    chmod 0644 "$T/p/end.so"
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

# The core's ABI, as `xlsr --version` states it: "... (plugin ABI M.N)".
core_abi() {
    "$XLSR" --version | sed -n 's/.*plugin ABI \([0-9]*\)\.\([0-9]*\)).*/\1 \2/p'
}

t_loader_abi_major_mismatch_refused() {
    set -- $(core_abi)
    [ -n "${2:-}" ] || fail "no ABI in: $("$XLSR" --version)"
    refused "$(loader_conf "$B/test-plugins" abi-major)" \
        "abi-major.so: .*handler abi-major: plugin ABI 99\\.$2, xlsr speaks $1\\.$2: the major version must match \\(rebuild the plugin against this xlsr\\)"
}

t_loader_newer_abi_minor_refused() {
    set -- $(core_abi)
    [ -n "${2:-}" ] || fail "no ABI in: $("$XLSR" --version)"
    refused "$(loader_conf "$B/test-plugins" abi-minor)" \
        "abi-minor.so: .*plugin ABI $1\\.99 is newer than this xlsr.s $1\\.$2 \\(upgrade xlsr, or build the plugin against the older SDK\\)"
}

# A plugin outside every plugin_dir entry is not found, whatever else is
# on disk: the name resolves in the listed directories only.
t_loader_unlisted_directory_not_found() {
    private_end
    mkdir "$T/q"
    refused "$(loader_conf "$T/q" end)" \
        "plugin 'end': .*cannot load plugin: no end.so in plugin_dir \\($T/q\\)"
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

# mini NAME C-BODY: compiles a one-file plugin into $T/p/NAME.so.
mini() {
    mkdir -p "$T/p"
    { echo '#include <stddef.h>'; echo '#include <xlsr/plugin.h>'; echo "$2"; } \
        >"$T/$1.c"
    cc -std=c11 -fPIC -shared -fvisibility=hidden \
        -I"$XLSR_TOP/core/include" -o "$T/p/$1.so" "$T/$1.c" \
        || fail "cannot build $1"
    chmod 0755 "$T/p/$1.so"
}

# What the loader checks after dlopen(): the entry symbol's result.
t_loader_descriptor_refusals() {
    mini nodesc 'XLSR_EXPORT const struct xlsr_plugin *xlsr_plugin_entry(void);
XLSR_EXPORT const struct xlsr_plugin *xlsr_plugin_entry(void) { return NULL; }'
    refused "$(loader_conf "$T/p" nodesc)" \
        "nodesc.so: .*entry point returned no descriptor"

    mini small 'static const struct xlsr_plugin d = {
    .abi_major = XLSR_ABI_MAJOR, .abi_minor = XLSR_ABI_MINOR,
    .size = offsetof(struct xlsr_plugin, fini), .name = "small",
    .version = "1" };
XLSR_PLUGIN_DEFINE(d)'
    refused "$(loader_conf "$T/p" small)" \
        "small.so: .*descriptor size [0-9]+ is smaller than ABI [0-9]+\\.0's"

    mini noname 'static const struct xlsr_plugin d = {
    .abi_major = XLSR_ABI_MAJOR, .abi_minor = XLSR_ABI_MINOR,
    .size = sizeof(struct xlsr_plugin), .version = "1" };
XLSR_PLUGIN_DEFINE(d)'
    refused "$(loader_conf "$T/p" noname)" \
        "noname.so: .*descriptor has no name or version"

    # RTLD_NOW: a missing symbol is found at load time, not mid-stream.
    mini undef 'void xlsr_no_such_function(void);
static int rec(void *st, const struct xlsr_record *r)
{ (void)st; (void)r; xlsr_no_such_function(); return 0; }
static const struct xlsr_plugin d = {
    .abi_major = XLSR_ABI_MAJOR, .abi_minor = XLSR_ABI_MINOR,
    .size = sizeof(struct xlsr_plugin), .name = "undef", .version = "1",
    .record = rec };
XLSR_PLUGIN_DEFINE(d)'
    refused "$(loader_conf "$T/p" undef)" \
        "undef.so: .*dlopen failed: .*undefined symbol: xlsr_no_such_function"

    # A descriptor without callbacks loads, and handles nothing.
    mini idle 'static const struct xlsr_plugin d = {
    .abi_major = XLSR_ABI_MAJOR, .abi_minor = XLSR_ABI_MINOR,
    .size = sizeof(struct xlsr_plugin), .name = "idle", .version = "1" };
XLSR_PLUGIN_DEFINE(d)'
    loader_conf "$T/p" idle >/dev/null
    expect 0 "$XLSR" plugins -c "$T/c.ini"
}
