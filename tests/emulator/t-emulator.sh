# tests/emulator/t-emulator.sh - the emulator plugin: refused records
# leave nothing behind, the file and exec backends, per-id backends,
# checkpoints, dry run, configuration errors.

# emu_conf EXTRA...: the emulator plugin writing into $T/d.
emu_conf() {
    mkdir -p "$T/d"
    mkconf emu.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.emulator_context]
plugin = emulator
dir = $T/d
$(printf '%s\n' "$@")
EOT
}

# Nothing but the listed names in $T/d (no temp file, nothing else).
only_in_d() {
    got=$(cd "$T/d" && ls -A | sort | tr '\n' ' ')
    eq "$got" "$*" "files in $T/d"
}

restore() { expect "$1" "$XLSR" restore -c "$CONFIG" --domid 7 "$T/s"; }

t_emu_writes_file() {
    CONFIG=$(emu_conf)
    "$GEN" --rec emulator_context:emu:2:0:51455649 -o "$T/s"
    restore 0
    eq "$(cat "$T/d/qemu-resume.7")" QEVI "file content"
    eq "$(stat -c %a "$T/d/qemu-resume.7")" 600 "mode"
    only_in_d "qemu-resume.7 "
}

t_emu_replaces_old_file() {
    CONFIG=$(emu_conf)
    mkdir -p "$T/d"; echo old >"$T/d/qemu-resume.7"; chmod 644 "$T/d/qemu-resume.7"
    "$GEN" --rec emulator_context:emu:2:0:6e6577 -o "$T/s"
    restore 0
    eq "$(cat "$T/d/qemu-resume.7")" new "file content"
    eq "$(stat -c %a "$T/d/qemu-resume.7")" 600 "mode"
}

t_emu_bad_short() {
    CONFIG=$(emu_conf)
    "$GEN" --rec emulator_context:hex:02000000000000 -o "$T/s"
    restore 1
    err_has 'offset 16 \(0x10\): record EMULATOR_CONTEXT \(0x3\): handler emulator: record body is 7 bytes, shorter than the 8-byte emulator header'
    only_in_d ""
    expect 1 "$XLSR" verify -c "$CONFIG" "$T/s"
    err_has 'handler emulator: record body is 7 bytes'
}

t_emu_bad_duplicate() {
    CONFIG=$(emu_conf)
    "$GEN" --rec emulator_context:emu:2:0:6669727374 \
           --rec emulator_context:emu:2:0:7365636f6e64 -o "$T/s"
    restore 1
    err_has 'offset 40 \(0x28\): record EMULATOR_CONTEXT \(0x3\): handler emulator: second EMULATOR_CONTEXT for emulator 2 index 0 in one stream \(the first is at offset 16\): refused, not overwritten'
    # The first record was applied before the second arrived; the second
    # wrote nothing: no overwrite, no temp file.
    eq "$(cat "$T/d/qemu-resume.7")" first "file content"
    only_in_d "qemu-resume.7 "
    expect 1 "$XLSR" verify -c "$CONFIG" "$T/s"
    err_has 'offset 40 .*second EMULATOR_CONTEXT for emulator 2 index 0'
    expect 1 "$XLSR" restore -c "$CONFIG" --domid 8 --dry-run "$T/s"
    [ ! -e "$T/d/qemu-resume.8" ] || fail "dry run wrote a file"
}

t_emu_other_index_is_no_duplicate() {
    CONFIG=$(emu_conf 'path = '"$T"'/d/q.%domid.%emu_id.%index')
    "$GEN" --rec emulator_context:emu:2:0:61 --rec emulator_context:emu:2:1:62 \
           --rec emulator_context:emu:1:0:63 -o "$T/s"
    restore 0
    eq "$(cat "$T/d/q.7.2.0")$(cat "$T/d/q.7.2.1")$(cat "$T/d/q.7.1.0")" abc "contents"
}

t_emu_same_target_refused() {   # two indexes, one path: no silent overwrite
    CONFIG=$(emu_conf)
    "$GEN" --rec emulator_context:emu:2:0:61 --rec emulator_context:emu:2:1:62 -o "$T/s"
    restore 1
    err_has "offset 40 \(0x28\): .*handler emulator: $T/d/qemu-resume.7 was already written for emulator 2 index 0 \(offset 16\): refused, not overwritten"
    eq "$(cat "$T/d/qemu-resume.7")" a "file content"
}

# A template that can only land outside dir is a configuration error at
# start-up (exit 2, before the stream is read), for restore and for
# `xlsr plugins` alike; b450804 found it at the first record (exit 1).
t_emu_bad_path_outside_dir() {
    mkdir -p "$T/elsewhere"
    CONFIG=$(emu_conf "path = $T/elsewhere/qemu-resume.%domid")
    "$GEN" --rec emulator_context:emu:2:0:61 -o "$T/s"
    restore 2
    err_has "configuration: .*emu.ini:[0-9]+: record EMULATOR_CONTEXT \(0x3\): handler emulator: init failed: path: '$T/elsewhere/qemu-resume.%domid' never names a file directly in dir '$T/d', whatever its variables expand to \(path '$T/elsewhere/qemu-resume.0' is outside the configured directory"
    hasnt "$T/err" "offset 16"
    only_in_d ""
    eq "$(ls -A "$T/elsewhere")" "" "files in elsewhere"
    expect 2 "$XLSR" plugins -c "$CONFIG"
    err_has "path: '$T/elsewhere/qemu-resume.%domid' never names a file directly in dir"
    CONFIG=$(emu_conf "path.2 = $T/elsewhere/q.%index")
    expect 2 "$XLSR" plugins -c "$CONFIG"
    err_has "init failed: path.2: '$T/elsewhere/q.%index' never names"
    # Inside dir whatever the variables are: fine.
    CONFIG=$(emu_conf "path = $T/d/q.%domid.%emu_id.%index")
    expect 0 "$XLSR" plugins -c "$CONFIG"
}

t_emu_bad_path_dotdot() {
    CONFIG=$(emu_conf "path = $T/d/../qemu-resume.%domid")
    "$GEN" --rec emulator_context:emu:2:0:61 -o "$T/s"
    restore 2
    err_has "handler emulator: init failed: path: '$T/d/\.\./qemu-resume\.%domid' never names a file directly in dir '$T/d', .*has an empty, '\.' or '\.\.' segment"
    only_in_d ""
    [ ! -e "$T/qemu-resume.7" ] || fail "wrote outside the directory"
    # A subdirectory is outside too: files go directly into dir.
    mkdir "$T/d/sub"
    CONFIG=$(emu_conf "path = $T/d/sub/q")
    restore 2
    err_has "is outside the configured directory"
    eq "$(ls -A "$T/d/sub")" "" "files in d/sub"
}

t_emu_bad_symlink_target() {
    CONFIG=$(emu_conf)
    mkdir -p "$T/d"; ln -s "$T/victim" "$T/d/qemu-resume.7"
    "$GEN" --rec emulator_context:emu:2:0:61 -o "$T/s"
    restore 1
    err_has "offset 16 \(0x10\): record EMULATOR_CONTEXT \(0x3\): handler emulator: target $T/d/qemu-resume.7 is a symlink: refused"
    [ ! -e "$T/victim" ] || fail "wrote through the symlink"
    eq "$(readlink "$T/d/qemu-resume.7")" "$T/victim" "the link"
    only_in_d "qemu-resume.7 "
}

t_emu_checkpoints_replace() {
    CONFIG=$(emu_conf)
    "$GEN" --libxc hvm --pages 2 --checkpoints 3 --remus \
           --ckpt-rec 'emulator_context:emu:2:0:0{K}' -o "$T/s"
    expect 0 "$XLSR" restore -c "$CONFIG" --domid 7 --checkpointed remus "$T/s"
    eq "$(od -An -tx1 "$T/d/qemu-resume.7" | tr -d ' ')" 03 "content after 3 checkpoints"
    only_in_d "qemu-resume.7 "
}

t_emu_checkpoint_duplicate_refused() {
    CONFIG=$(emu_conf)
    "$GEN" --libxc hvm --pages 2 --checkpoints 2 --remus \
           --ckpt-rec 'emulator_context:emu:2:0:0{K}' \
           --ckpt-rec 'emulator_context:emu:2:0:1{K}' -o "$T/s"
    expect 1 "$XLSR" restore -c "$CONFIG" --domid 7 --checkpointed remus "$T/s"
    err_has 'handler emulator: second EMULATOR_CONTEXT for emulator 2 index 0 in one checkpoint'
}

t_emu_dry_run() {
    CONFIG=$(emu_conf 'backend.1 = exec' 'exec.1 = /bin/cat --domid %domid')
    "$GEN" --rec emulator_context:emu:2:0:616263 --rec emulator_context:emu:1:0:6465 -o "$T/s"
    expect 0 "$XLSR" restore -c "$CONFIG" --domid 9 --dm-domid 2 --dry-run "$T/s"
    out_has "^emulator: would write 3 bytes \(emulator 2 index 0\) to $T/d/qemu-resume.9$"
    out_has '^emulator: would pipe 2 bytes \(emulator 1 index 0\) into: /bin/cat --domid 9$'
    only_in_d ""
}

t_emu_verify_dump_no_side_effects() {
    CONFIG=$(emu_conf 'backend = exec' "exec = /bin/touch $T/ran")
    "$GEN" --rec emulator_context:emu:2:3:616263 -o "$T/s"
    expect 0 "$XLSR" verify -c "$CONFIG" "$T/s"
    expect 0 "$XLSR" dump -c "$CONFIG" "$T/s"
    out_has '^  emulator 2 \(qemu-xen\) index 3: 3 bytes of device model state$'
    only_in_d ""
    [ ! -e "$T/ran" ] || fail "verify/dump ran the command"
}

# exec: the command gets exactly the blob (3 MiB, more than a pipe holds).
t_emu_exec_gets_blob() {
    CONFIG=$(emu_conf 'backend = exec' "exec = /bin/dd of=$T/got.%domid.%emu_id bs=64k status=none")
    "$GEN" --rec emulator_context:emublob:2:0:3M:42 -o "$T/s"
    restore 0
    # libxl header 16 + record header 8 + emulator header 8 = 32 bytes.
    tail -c +33 "$T/s" | head -c 3145728 >"$T/want"
    eq "$(sha256sum <"$T/got.7.2")" "$(sha256sum <"$T/want")" "sha256 of the blob"
    eq "$(stat -c %s "$T/got.7.2")" 3145728 "size"
    only_in_d ""
}

t_emu_exec_failure_status() {
    printf '#!/bin/sh\ncat >/dev/null\necho "conv: bad state" >&2\nexit 3\n' >"$T/conv"
    chmod +x "$T/conv"
    CONFIG=$(emu_conf 'backend = exec' "exec = $T/conv")
    "$GEN" --rec emulator_context:emu:2:0:616263 -o "$T/s"
    restore 1
    err_has "offset 16 \(0x10\): record EMULATOR_CONTEXT \(0x3\): handler emulator: exec backend: command $T/conv exited with status 3$"
    err_has '^conv: bad state$'
}

t_emu_exec_early_exit() {       # reads nothing: EPIPE, not a SIGPIPE death
    CONFIG=$(emu_conf 'backend = exec' 'exec = /bin/true')
    "$GEN" --rec emulator_context:emublob:2:0:2M -o "$T/s"
    restore 1
    err_has 'exec backend: command /bin/true exited with status 0 after reading [0-9]+ of 2097152 bytes'
}

t_emu_exec_signal() {
    printf '#!/bin/sh\nkill -TERM $$\n' >"$T/die"; chmod +x "$T/die"
    CONFIG=$(emu_conf 'backend = exec' "exec = $T/die")
    "$GEN" --rec emulator_context:emu:2:0:61 -o "$T/s"
    restore 1
    err_has "command $T/die was killed by signal 15 \(Terminated\)"
}

t_emu_backend_per_id() {
    CONFIG=$(emu_conf 'backend.1 = exec' "exec.1 = /usr/bin/tee $T/trad.%index")
    "$GEN" --rec emulator_context:emu:1:4:74726164 --rec emulator_context:emu:2:0:7570 -o "$T/s"
    restore 0
    eq "$(cat "$T/trad.4")" trad "exec backend for id 1"
    eq "$(cat "$T/d/qemu-resume.7")" up "file backend for id 2"
}

t_emu_config_errors() {
    "$GEN" --rec emulator_context:emu:2:0:61 -o "$T/s"
    expect 2 "$XLSR" verify -c "$(emu_conf 'backend = ftp')" "$T/s"
    err_has 'backend = ftp: expected file or exec'
    expect 2 "$XLSR" verify -c "$(emu_conf 'backend.2 = exec')" "$T/s"
    err_has 'backend.2 = exec needs an exec.2 command'
    expect 2 "$XLSR" verify -c "$(emu_conf 'backend = exec' 'exec = conv -x')" "$T/s"
    err_has "the command must start with an absolute path"
    expect 2 "$XLSR" verify -c "$(emu_conf 'path = /var/lib/xen/q.%dom')" "$T/s"
    err_has "path: unknown variable at '%dom'"
    expect 2 "$XLSR" verify -c "$(emu_conf 'backend.3 = exec')" "$T/s"
    expect 2 "$XLSR" verify -c "$(mkconf e.ini <<EOT
[record.emulator_context]
plugin = emulator
dir = relative/dir
EOT
)" "$T/s"
    err_has "dir 'relative/dir' is not an absolute path"
}

# A full disk: a clear error, the temp file removed, the old file intact.
t_emu_full_disk() {
    mkdir -p "$T/full"
    mount -t tmpfs -o size=1m,mode=0700 xlsr-test "$T/full" 2>"$T/mount.err" ||
        skip "cannot mount a tmpfs here: $(cat "$T/mount.err")"
    trap 'umount "$T/full"' EXIT
    printf old >"$T/full/qemu-resume.7"
    CONFIG=$(mkconf full.ini <<EOT
[record.end]
plugin = end
[record.emulator_context]
plugin = emulator
dir = $T/full
EOT
)
    "$GEN" --rec emulator_context:emublob:2:0:2M -o "$T/s"
    expect 1 "$XLSR" restore -c "$CONFIG" --domid 7 "$T/s"
    err_has "offset 16 \(0x10\): record EMULATOR_CONTEXT \(0x3\): handler emulator: writing $T/full/qemu-resume\.7( \(unnamed temporary\)|\.xlsr-tmp-[A-Za-z0-9]{6}): No space left on device \(after [0-9]+ of 2097152 bytes\)"
    eq "$(cat "$T/full/qemu-resume.7")" old "old file"
    eq "$(ls -A "$T/full")" qemu-resume.7 "files left"
}
