# tests/export/t-export-paths.sh - the two data paths of `xlsr export`
# (plugins/export/plan.c): a regular-file input without checkpoints is
# planned (pass 1 reads record headers and pfn arrays, pass 2 copies each
# page to its final offset), a pipe or a checkpointed stream is staged
# (LiME and dump-core pages wait in a scratch file).  Both must write the
# same bytes; the log says which path ran.

. "$XLSR_TOP/tests/export/lib-export.sh"

# paths_agree STREAM [REGEX]: each format from the file and through a
# pipe, the two outputs byte-identical and judged by the independent
# readers; REGEX, when given, must be in the log of the pipe LiME and
# dump-core runs, FMT in it standing for the format's name.
paths_agree() {
    for fmt in elf raw lime dump-core; do
        expect 0 "$XLSR" export -c "$(econf)" --format $fmt -o "$T/f.$fmt" "$1"
        case $fmt in
        lime|dump-core) err_has "pages copied to their final offsets in one pass" ;;
        *) err_has "pages written at their final offsets \(copied from the input file by offset\)" ;;
        esac
        cat "$1" | "$XLSR" export -c "$(econf)" --format $fmt -o "$T/p.$fmt" - \
            >"$T/out" 2>"$T/err" || { cat "$T/err"; fail "pipe $fmt"; }
        case $fmt in
        lime|dump-core)
            err_has "pages written as they come while their pfns ascend"
            name=LiME
            [ $fmt = lime ] || name=dump-core
            [ -z "${2:-}" ] || err_has "$(echo "$2" | sed "s/FMT/$name/")" ;;
        esac
        cmp "$T/f.$fmt" "$T/p.$fmt" || fail "$fmt: file and pipe outputs differ"
        run $CHECK "$1" $fmt "$T/f.$fmt"
        [ "$RC" -eq 0 ] || { cat "$T/out"; fail "$fmt output judged wrong"; }
    done
}

# A live migration: holes, and later passes send pfns again (last wins).
t_live_migration_file_equals_pipe() {
    need_readers
    $XGEN --pass 0-300,400-420,1000 --pass 5,7,100-110,1000 --pass 7,419 -o "$T/s"
    # LiME and dump-core through the pipe: written as it comes until pfn
    # 5 comes again, then staged, the pages so far moved to the staging
    # file
    paths_agree "$T/s" "FMT: pfn 0x5 comes after pfn 0x3e8 .*: pages staged in a scratch file from here"
}

# An xl save (each pfn once, ascending, holes): LiME and dump-core through
# a pipe are written as the pages come, never staged, and equal the
# file's export.
t_pipe_ascending_is_not_staged() {
    need_readers
    $XGEN --pass 0-300,400-420,1000-1100,5000 -o "$T/s"
    paths_agree "$T/s"
    for fmt in lime dump-core; do
        cat "$T/s" | "$XLSR" export -c "$(econf)" --format $fmt \
            -o "$T/q.$fmt" - >"$T/out" 2>"$T/err" ||
            { cat "$T/err"; fail "pipe $fmt"; }
        hasnt "$T/err" 'staged'
        cmp "$T/f.$fmt" "$T/q.$fmt" || fail "$fmt: file and pipe outputs differ"
    done
}

# PV, several vCPUs (dump-core's .xen_prstatus holds one context each).
t_pv_file_equals_pipe() {
    need_readers
    $XGEN --pv --vcpus 5 --pass 0-200,300 --pass 17-19,300 -o "$T/s"
    paths_agree "$T/s"
}

# The input fd does not start at file offset 0 (stdin already read into):
# pass 1 and the copies use the core's offsets from where the run began.
t_input_fd_not_at_zero() {
    need_readers
    $XGEN --pass 0-99,200 --pass 3,200 -o "$T/s"
    { head -c 4096 /dev/urandom; cat "$T/s"; } >"$T/padded"
    for fmt in lime dump-core raw; do
        ( $PY -c 'import os; os.lseek(0, 4096, os.SEEK_SET)'
          exec "$XLSR" export -c "$(econf)" --format $fmt -o "$T/o.$fmt" - ) \
            <"$T/padded" >"$T/out" 2>"$T/err" || { cat "$T/err"; fail "$fmt"; }
        expect 0 "$XLSR" export -c "$(econf)" --format $fmt -o "$T/f.$fmt" "$T/s"
        cmp "$T/o.$fmt" "$T/f.$fmt" || fail "$fmt: offset input differs"
    done
}

# A checkpointed stream stages even from a file (which copy survives
# depends on the last complete checkpoint); the pipe gives the same bytes.
t_checkpointed_file_stages() {
    need_readers
    $XGEN --pass 0-40 --ckpt 1,2,3 --ckpt 4,5,50 --ckpt 6,7,60-70 --cut-last \
        -o "$T/s"
    for fmt in lime dump-core raw; do
        expect 0 "$XLSR" export -c "$(econf)" --format $fmt -o "$T/f.$fmt" "$T/s"
        case $fmt in raw) ;; *) err_has "pages staged in a scratch file .*: the stream is checkpointed" ;; esac
        cat "$T/s" | "$XLSR" export -c "$(econf)" --format $fmt -o "$T/p.$fmt" - \
            >"$T/out" 2>"$T/err" || { cat "$T/err"; fail "pipe $fmt"; }
        cmp "$T/f.$fmt" "$T/p.$fmt" || fail "$fmt: file and pipe outputs differ"
    done
}

# Pass 1 succeeds (the libxc stream is whole), pass 2 has written every
# page when the libxl part turns out broken: no output, no temporary.
t_failure_in_pass2_leaves_nothing() {
    $XGEN --pass 0-99 --pass 5-9 -o "$T/s"
    head -c -8 "$T/s" >"$T/cut"     # the libxl END record
    mkdir "$T/o"
    for fmt in elf raw lime dump-core; do
        expect 1 "$XLSR" export -c "$(econf)" --format $fmt -o "$T/o/m" "$T/cut"
        err_has 'guest memory: 100 pages'
        err_has 'stream ended without an END record'
        case $fmt in lime|dump-core) err_has "pages copied to their final offsets" ;; esac
    done
    eq "$(ls -A "$T/o")" "" "no output, no temporary file"
}

# Pass 1 meets a broken record: it stops quietly, the stream is staged,
# and pass 2 reports the error with its offset.
t_pass1_error_falls_back() {
    $XGEN --xl 65536 --pass 0-3,0x2000000 -o "$T/s"
    mkdir "$T/o"
    expect 1 "$XLSR" export -c "$(econf)" --format lime -o "$T/o/m" "$T/s"
    err_has 'staged in a scratch file .*: the stream has an error pass 2 reports'
    err_has 'record PAGE_DATA \(0x1\) at [0-9]+: pfn\[4\] = 0x2000000 is beyond'
    eq "$(ls -A "$T/o")" "" "no output"
}
