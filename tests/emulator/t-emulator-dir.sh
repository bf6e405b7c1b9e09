# tests/emulator/t-emulator-dir.sh - the file backend's `dir` as a root-run
# restore must treat it: resolved without following a symlink in any
# component, refused when others can write in it, and no temporary file
# left behind by a writer killed mid-copy.  Each test failed on b450804.

# dir_conf DIR: the emulator plugin writing into DIR.
dir_conf() {
    mkconf emu.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = emulator
dir = $1
EOT
}

restore() { expect "$1" "$XLSR" restore -c "$CONFIG" --domid 7 "$T/s"; }

t_emu_dir_symlink_refused() {
    mkdir -m 0700 "$T/rootonly"
    ln -s "$T/rootonly" "$T/link"       # planted by someone else
    CONFIG=$(dir_conf "$T/link")
    "$GEN" --rec emulator_context:emu:2:0:61 -o "$T/s"
    restore 1
    err_has "handler emulator: dir $T/link: $T/link is a symbolic link: refused"
    eq "$(ls -A "$T/rootonly")" "" "files written through the link"
}

t_emu_dir_symlink_in_a_component_refused() {
    mkdir -p -m 0700 "$T/real/d"
    ln -s "$T/real" "$T/via"
    CONFIG=$(dir_conf "$T/via/d")
    "$GEN" --rec emulator_context:emu:2:0:61 -o "$T/s"
    restore 1
    err_has "handler emulator: dir $T/via/d: $T/via is a symbolic link: refused"
    eq "$(ls -A "$T/real/d")" "" "files written through the link"
}

t_emu_dir_writable_by_others_refused() {
    mkdir "$T/d"
    CONFIG=$(dir_conf "$T/d")
    "$GEN" --rec emulator_context:emu:2:0:61 -o "$T/s"
    for m in 0777 0775 1777 0757; do
        chmod "$m" "$T/d"
        restore 1
        err_has "handler emulator: dir $T/d is writable by others \(mode $m\): refused"
    done
    chmod 0755 "$T/d"
    if [ "$(id -u)" -eq 0 ]; then
        chown 65534 "$T/d"
        restore 1
        err_has "dir $T/d is owned by uid 65534, neither root nor the running user: refused"
        chown 0 "$T/d"
    fi
    eq "$(ls -A "$T/d")" "" "files written"
    restore 0
    eq "$(cat "$T/d/qemu-resume.7")" a "the file, once the dir is sane"
}

t_emu_stale_temp_files_removed() {
    mkdir -m 0700 "$T/d"
    CONFIG=$(dir_conf "$T/d")
    # What writers killed with -9 by an older xlsr left behind.
    head -c 1M /dev/zero >"$T/d/qemu-resume.7.xlsr-tmp-Ab3dE9"
    : >"$T/d/qemu-resume.7.xlsr-tmp-zzzzzz"
    : >"$T/d/qemu-resume.8.xlsr-tmp-zzzzzz"       # another target's
    : >"$T/d/qemu-resume.7.xlsr-tmp-toolongname"  # not one of our names
    "$GEN" --rec emulator_context:emu:2:0:61 -o "$T/s"
    restore 0
    eq "$(cd "$T/d" && ls -A | sort | tr '\n' ' ')" \
       "qemu-resume.7 qemu-resume.7.xlsr-tmp-toolongname qemu-resume.8.xlsr-tmp-zzzzzz " \
       "files left"
}

t_emu_killed_writer_leaves_no_temp_file() {
    mkdir -m 0700 "$T/d"
    CONFIG=$(dir_conf "$T/d")
    "$GEN" --rec emulator_context:emublob:2:0:400M -o "$T/s"
    tries=0
    while :; do
        tries=$((tries + 1))
        "$XLSR" restore -c "$CONFIG" --domid 7 "$T/s" 2>"$T/err" &
        pid=$!
        # Kill once it is writing: the stream is read, the blob not yet
        # in place.
        for _ in $(seq 200); do
            [ "$(awk '/^wchar/ {print $2}' /proc/$pid/io 2>/dev/null || echo 0)" -gt 20000000 ] && break
            sleep 0.01
        done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        [ ! -e "$T/d/qemu-resume.7" ] && break
        # It finished before the kill: a faster machine; once more.
        rm -f "$T/d/qemu-resume.7"
        [ "$tries" -lt 3 ] || skip "the write always finished before the kill"
    done
    eq "$(ls -A "$T/d")" "" "files left by a writer killed mid-copy"
}
