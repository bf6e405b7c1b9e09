# tests/export/t-export.sh - `xlsr export`: guest memory as ELF, raw and
# LiME from every stream kind (tests/tools/gen-export.py writes them),
# each output judged by tests/export/check-export.py with readers that
# share no code with xlsr (readelf, python3-libkdumpfile, its own LiME and
# stream parsers); safety of the output file.  The real corpus: t-export-corpus.sh.

. "$XLSR_TOP/tests/export/lib-export.sh"

# HVM save with holes, and a live pass that sends pfns again.
t_hvm_holes_and_repeats() {
    need_readers
    $XGEN --pass 0-63,100-120,300 --pass 5,7,100,300 -o "$T/s"
    export_all "$T/s"
    run $CHECK "$T/s" lime "$T/m.lime"
    out_has '3 ranges'
}

# PV: pfn-indexed, vCPU registers from X86_PV_VCPU_BASIC.
t_pv_guest() {
    need_readers
    $XGEN --pv --vcpus 3 --pass 0-200 --pass 17-19 -o "$T/s"
    export_all "$T/s"
    expect 0 "$XLSR" export -c "$(econf)" -o "$T/pv.elf" "$T/s"
    run readelf -n "$T/pv.elf"
    [ "$(grep -c NT_PRSTATUS "$T/out")" = 3 ] || fail "3 NT_PRSTATUS notes"
}

# FPU state and shared info where the stream has them: NT_PRFPREG per
# vCPU in the ELF (readelf sees them), fpu_ctxt + VGCF_i387_valid and
# .xen_shared_info in the dump-core, byte for byte (check-export.py);
# t_pv_guest and t_hvm_holes_and_repeats are the streams without them
# (the judge then wants none).
t_pv_fpu_and_shared_info() {
    need_readers
    $XGEN --pv --vcpus 2 --fpu --shinfo --pass 0-40 -o "$T/s"
    export_all "$T/s"
    has "$T/out" 'dump-core.*shared info, 2 fpu_ctxt'
    run $CHECK "$T/s" elf "$T/m.elf"
    out_has '2 NT_PRFPREG'
    run readelf -n "$T/m.elf"
    [ "$(grep -c NT_FPREGSET "$T/out")" = 2 ] || fail "readelf: 2 NT_FPREGSET notes"
    run readelf -S "$T/m.dump-core"
    out_has '\.xen_shared_info'
}

t_hvm_fpu() {
    need_readers
    $XGEN --vcpus 3 --fpu --pass 0-40 -o "$T/s"
    export_all "$T/s"
    has "$T/out" 'dump-core.*no shared info, 3 fpu_ctxt'
    run $CHECK "$T/s" elf "$T/m.elf"
    out_has '3 NT_PRFPREG'
}

t_no_fpu_no_shared_info() {
    need_readers
    $XGEN --pv --vcpus 2 --pass 0-40 -o "$T/s"
    export_all "$T/s"
    has "$T/out" 'dump-core.*no shared info, 0 fpu_ctxt'
    run $CHECK "$T/s" elf "$T/m.elf"
    out_has '0 NT_PRFPREG'
    run readelf -n "$T/m.elf"
    hasnt "$T/out" NT_FPREGSET
}

# A SHARED_INFO of any other length than one page is refused, as Xen's
# restore refuses it (xg_sr_restore_x86_pv.c handle_shared_info).
t_shared_info_wrong_length() {
    for n in 4088 4104; do
        $XGEN --pv --shinfo --shinfo-len $n --pass 0-8 -o "$T/s"
        expect 1 "$XLSR" export -c "$(econf)" --format dump-core -o "$T/x" "$T/s"
        err_has "SHARED_INFO.*length $n, not 4096"
        [ ! -e "$T/x" ] || fail "output left behind"
    done
}

# Checkpoints: the shared info and FPU of the last complete checkpoint
# (each checkpoint's differ), never those of the broken one.
t_checkpoint_shared_info() {
    need_readers
    $XGEN --pv --fpu --shinfo --pass 0-40 --ckpt 1,2 --ckpt 3,4 --ckpt 5 \
        --cut-last -o "$T/s"
    export_all "$T/s"
    has "$T/out" 'dump-core.*shared info, 2 fpu_ctxt.*checkpoint 2$'
}

# Remus: the memory of the last complete checkpoint; the pages of the one
# the stream broke in (pfns 60-70, and new copies of 6-7) never appear.
t_checkpoint_broken_last() {
    need_readers
    $XGEN --pass 0-40 --ckpt 1,2,3 --ckpt 4,5,50 --ckpt 6,7,60-70 --cut-last \
        -o "$T/s"
    export_all "$T/s"
    has "$T/out" 'checkpoint 2$'
    expect 0 "$XLSR" export -c "$(econf)" --format raw -o "$T/r" "$T/s"
    out_has 'memory of checkpoint 2, the last complete one'
    [ "$(stat -c %s "$T/r")" = $((51 * 4096)) ] || fail "raw ends after pfn 50"
}

# Every checkpoint complete, stream ends after the last (Remus never ENDs).
t_checkpoints_complete() {
    need_readers
    $XGEN --pass 0-40 --ckpt 1,2,3 --ckpt 4,5,50 --ckpt 6,7,60-70 -o "$T/s"
    export_all "$T/s"
    has "$T/out" '53 pages.*checkpoint 3$'
}

# A pipe: nothing can be sought back; same bytes as from the file.
t_pipe_input() {
    need_readers
    $XGEN --pass 0-500,1000-1100 --pass 3,1000 -o "$T/s"
    for fmt in elf raw lime dump-core; do
        cat "$T/s" | "$XLSR" export -c "$(econf)" --format $fmt \
            -o "$T/p.$fmt" - >"$T/out" 2>"$T/err" || { cat "$T/err"; fail "pipe $fmt"; }
        $CHECK "$T/s" $fmt "$T/p.$fmt" || fail "pipe $fmt judged wrong"
    done
}

# 0600, never over an existing file without --force, untouched on refusal.
t_output_safety() {
    $XGEN --pass 0-9 -o "$T/s"
    echo keep >"$T/old"
    expect 2 "$XLSR" export -c "$(econf)" -o "$T/old" "$T/s"
    err_has 'exists \(--force replaces it\)'
    eq "$(cat "$T/old")" keep "refused output untouched"
    expect 0 "$XLSR" export -c "$(econf)" --force -o "$T/old" "$T/s"
    eq "$(stat -c %a "$T/old")" 600 "mode"
    eq "$(stat -c %s "$T/old")" $((4096 + 10 * 4096 + 56 * 2 + 2 * 440)) "ELF size"
    ln -s "$T/old" "$T/link"
    expect 2 "$XLSR" export -c "$(econf)" --force -o "$T/link" "$T/s"
    err_has 'not a regular file'
    umask 000
    expect 0 "$XLSR" export -c "$(econf)" --format raw -o "$T/new" "$T/s"
    eq "$(stat -c %a "$T/new")" 600 "mode whatever the umask"
}

# --no-sync (key sync = false): the same bytes, named without fsync; the
# log says so, and a run without it does not.
t_no_sync_same_bytes() {
    $XGEN --pass 0-300,400-420 --pass 5,7 -o "$T/s"
    for fmt in elf raw lime dump-core; do
        expect 0 "$XLSR" export -c "$(econf)" --format $fmt -o "$T/a.$fmt" "$T/s"
        hasnt "$T/err" 'not fsynced'
        expect 0 "$XLSR" export --no-sync -c "$(econf)" --format $fmt \
            -o "$T/b.$fmt" "$T/s"
        err_has "wrote $T/b.$fmt \(not fsynced: sync = false\)"
        eq "$(stat -c %a "$T/b.$fmt")" 600 "mode"
        cmp "$T/a.$fmt" "$T/b.$fmt" || fail "$fmt: --no-sync output differs"
    done
}

# A stream that breaks (not checkpointed): error, and nothing left behind.
t_truncated_leaves_nothing() {
    $XGEN --pass 0-99 -o "$T/s"
    mkdir "$T/o"
    head -c 200000 "$T/s" >"$T/cut"
    for fmt in elf raw lime dump-core; do
        expect 1 "$XLSR" export -c "$(econf)" --format $fmt -o "$T/o/m" "$T/cut"
        err_has 'record PAGE_DATA \(0x1\).*stream ends before libxc END'
    done
    eq "$(ls -A "$T/o")" "" "no output, no temporary file"
}

# The input file shrinks after the first pass read it (another process
# truncates the image): the copy of the pages fails with an error that
# says so, for every format, and leaves nothing behind.
# shrink-on-read.c cuts the file at the export's first large read of it.
t_input_shrinks_leaves_nothing() {
    preload_build shrink tests/export/shrink-on-read.c
    $XGEN --pass 0-2000 -o "$T/s"
    mkdir "$T/o"
    for fmt in elf raw lime dump-core; do
        cp "$T/s" "$T/in"
        expect 1 env SHRINK_FILE="$T/in" SHRINK_TO=4000000 \
            LD_PRELOAD="$T/shrink.so" \
            "$XLSR" export -c "$(econf)" --format $fmt -o "$T/o/m" "$T/in"
        err_has "shrink-on-read: .* cut to 4000000 bytes"
        err_has 'handler export: pages: reading [0-9]+ bytes at [0-9]+: short read: the input file is shorter than it was when first read'
        eq "$(ls -A "$T/o")" "" "$fmt: no output, no temporary file"
    done
    # The same file, whole: the shim alone changes nothing.
    expect 0 env LD_PRELOAD="$T/shrink.so" \
        "$XLSR" export -c "$(econf)" --format lime -o "$T/o/m" "$T/s"
}

# A pfn beyond what the xl configuration allows: an error naming the
# record and the byte offset, not a sparse file of terabytes.
t_pfn_beyond_config() {
    $XGEN --xl 65536 --pass 0-3,0x2000000 -o "$T/s"
    mkdir "$T/o"
    expect 1 "$XLSR" export -c "$(econf)" -o "$T/o/m" "$T/s"
    err_has 'libxc offset [0-9]+ .*record PAGE_DATA \(0x1\) at [0-9]+: pfn\[4\] = 0x2000000 is beyond the guest.s 0x104000 frames \(4 GiB \+ the xl configuration.s max_memkb\)'
    eq "$(ls -A "$T/o")" "" "no output"
    # PV: the p2m bounds it
    $XGEN --pv --pass 0-3 -o "$T/pv"
    expect 0 "$XLSR" export -c "$(econf)" -o "$T/o/pv" "$T/pv"
}

# A signal while the stream is still arriving leaves no file at all.
t_signal_leaves_nothing() {
    $XGEN --pass 0-2000 -o "$T/s"
    mkdir "$T/o"
    # The feeder holds the pipe open; its own job (not a pipeline with
    # xlsr), so `wait` below returns when xlsr dies, not 30 s later.
    mkfifo "$T/in"
    { head -c 3000000 "$T/s"; exec sleep 30; } >"$T/in" &
    feeder=$!   # after the exec: the sleep itself
    "$XLSR" export -c "$(econf)" -o "$T/o/m" - <"$T/in" 2>"$T/err" &
    pid=$!
    for i in $(seq 50); do
        ls -l /proc/$pid/fd 2>/dev/null | grep -q "$T/o" && break
        sleep 0.1
    done
    ls -l /proc/$pid/fd | grep -q "$T/o" || fail "xlsr holds no output file"
    kill -TERM $pid
    wait $pid || true
    kill $feeder 2>/dev/null || true
    wait $feeder 2>/dev/null || true
    eq "$(ls -A "$T/o")" "" "nothing left after SIGTERM"
}

# The exporter is replaceable by one INI line: bound to the libxc plugin
# instead, the run uses it (which declares no `output`, and says so).
t_binding_is_one_line() {
    c=$(econf)
    sed -i 's/^plugin = export$/plugin = libxc/' "$c"
    $XGEN --pass 0-3 -o "$T/s"
    expect 2 "$XLSR" export -c "$c" -o "$T/m" "$T/s"
    err_has "unknown key 'output' \(plugin libxc"
}

# export's --format is the output's layout, the stream commands' the
# stream's layer: each command takes its own, and says which values.
t_export_format_option_is_its_own() {
    $XGEN --pass 0-3 -o "$T/s"
    c=$(econf)
    expect 2 "$XLSR" export -c "$c" --format xl -o "$T/m" "$T/s"
    err_has "^xlsr: --format: 'xl' is none of elf, raw, lime, dump-core$"
    expect 2 "$XLSR" verify -c "$CONF" --format elf "$T/s"
    err_has "^xlsr: --format: 'elf' is none of auto, xl, libvirt"
    expect 2 "$XLSR" export -c "$c" "$T/s"
    err_has '^xlsr export: -o OUT is required'
    [ ! -e "$T/m" ] || fail "a refused export wrote its output"
}
