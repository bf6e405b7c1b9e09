#!/bin/sh
# tests/bench/verify-seek.sh - `xlsr verify` of a saved image on a file
# reads its headers and only the pages it must inspect (PV page tables),
# seeking over the rest; beside `cat` of the same file.  Goal: >= 10x
# faster than cat on the 1 GiB generated images and on the real PV image
# (../shared/corpus/real/hb-pv-save.xl.zst), with a cold page cache and a
# warm one; unchanged speed through a pipe (`cat F | xlsr verify -` beside
# `cat F | cat`); peak RSS flat (the same for 1 GiB as for 128 MiB).
#
# Timing: xlsr-timeit (tests/bench/timeit.c) execs each command itself,
# verify and cat alternating (each round in its own shuffled order), and
# prints the median of $BENCH_RUNS (9).
# Cold: before every run the image's pages are dropped from the page
# cache, fdatasync() then posix_fadvise(POSIX_FADV_DONTNEED) on that file
# alone (the machine is shared: no drop_caches); mincore() shows what
# stayed cached.  The images live under $BENCH_DIR (/var/tmp), a disk
# filesystem, never tmpfs.  Warm: mincore() shows every page cached
# before each run (the file is read through once, and again only if a
# page went missing: not a 128 MiB copy right before each timed run).
# BENCH_BASE=DIR (another build directory, e.g. of main) times that
# build's verify in the same rounds: before/after in one run.
set -eu
BENCH_RUNS=${BENCH_RUNS:-9}
. "$(dirname "$0")/lib.sh"
REAL=${XLSR_REAL:-$(dirname "$0")/../../../shared/corpus/real}
bench_tmp seek
conf=$tmp/bench.ini
bench_conf "$conf" end=end libxc_context=libxc \
    emulator_xenstore_data=xenstore emulator_context=emulator
BX=
if [ -n "${BENCH_BASE:-}" ]; then
    BB=$(cd "$BENCH_BASE" && pwd)
    BX=$BB/bin/xlsr
    sed "s|^plugin_dir = .*|plugin_dir = $BB/plugins|" "$conf" >"$tmp/base.ini"
fi
[ "$tmpfs" != tmpfs ] ||
    echo "WARNING: $tmp is on tmpfs: the cold figures mean nothing"

# row LABEL COLD WARM PIPE: seconds, printed as milliseconds.
row() {
    printf '  %-30s %9s ms %9s ms %9s ms\n' "$1" "$(ms "$2")" "$(ms "$3")" \
        "$(ms "$4")"
}

# side NAME FILE: verify beside cat, cold, warm and through a pipe.
side() {
    f=$2
    v="$X verify -c $conf $f"
    b=${BX:+"--- $BX verify -c $tmp/base.ini $f"}
    bp=${BX:+"--- $BX verify -c $tmp/base.ini -"}
    # shellcheck disable=SC2086
    c=$(timeit -m cold -f "$f" -- $v --- cat "$f" $b)
    # shellcheck disable=SC2086
    w=$(timeit -m warm -f "$f" -- $v --- cat "$f" $b)
    # shellcheck disable=SC2086
    p=$(timeit -m warm -f "$f" -p "$f" -- $X verify -c "$conf" - --- cat $bp)
    line() { echo "$1" | sed -n "${2}p"; }
    xc=$(field "$(line "$c" 1)" 1) cc=$(field "$(line "$c" 2)" 1)
    xw=$(field "$(line "$w" 1)" 1) cw=$(field "$(line "$w" 2)" 1)
    xp=$(field "$(line "$p" 1)" 1) cp=$(field "$(line "$p" 2)" 1)
    left=$(echo "$c" | sed -n 's/^cached-after-drop //p')
    echo "$1: $(stat -c %s "$f") bytes on $tmpfs, median of $RUNS" \
         "(pages cached after each drop: $left)"
    printf '  %-30s %12s %12s %12s\n' "" cold warm pipe
    row "xlsr verify" "$xc" "$xw" "$xp"
    row "cat (pipe: cat F | cat)" "$cc" "$cw" "$cp"
    printf '  %-30s %11sx %11sx %11sx   (goal >= 10, >= 10, 1.0)\n' \
        "cat time / xlsr time" "$(ratio "$cc" "$xc")" "$(ratio "$cw" "$xw")" \
        "$(ratio "$cp" "$xp" 2)"
    # What 10x leaves a whole run, beside what exec alone costs here.
    printf '  %-30s %9s ms %9s ms    (/bin/true alone: %s ms)\n' \
        "10x goal: a run within" "$(ms "$(ratio "$cc" 10 6)")" \
        "$(ms "$(ratio "$cw" 10 6)")" "$(ms "$true_s")"
    if [ -n "$BX" ]; then
        bc=$(field "$(line "$c" 3)" 1) bw=$(field "$(line "$w" 3)" 1)
        bpp=$(field "$(line "$p" 3)" 1)
        row "base build's verify" "$bc" "$bw" "$bpp"
        printf '  %-30s %11sx %11sx %11sx   (pipe: base / this)\n' \
            "cat time / base" "$(ratio "$cc" "$bc")" "$(ratio "$cw" "$bw")" \
            "$(ratio "$bpp" "$xp" 2)"
    fi
    printf '  %-30s %9s K    (file) %9s K (pipe)\n' "xlsr verify peak RSS" \
        "$(field "$(line "$w" 1)" 4)" "$(field "$(line "$p" 1)" 4)"
}

# What any run costs before reading a byte: exec, dynamic loading, the
# configuration and the plugins' load and vetting.
s=$(timeit -- /bin/true --- "$X" --version --- "$X" plugins -c "$conf")
true_s=$(field "$(echo "$s" | sed -n 1p)" 1)
echo "start-up, median of $RUNS: /bin/true $(ms "$true_s") ms," \
     "xlsr --version $(ms "$(field "$(echo "$s" | sed -n 2p)" 1)") ms," \
     "xlsr plugins (loads and vets the same plugins) $(ms "$(field "$(echo "$s" | sed -n 3p)" 1)") ms"
echo "generating inputs in $tmp ..."
"$G" --libxc hvm --pages 262144 --batch 1024 -o "$tmp/big"
side "1 GiB generated HVM image" "$tmp/big"
rm -f "$tmp/big"
"$G" --libxc pv --pages 262144 --batch 1024 -o "$tmp/bigpv"
side "1 GiB generated PV image" "$tmp/bigpv"
rm -f "$tmp/bigpv"
if [ -f "$REAL/hb-pv-save.xl.zst" ] && command -v zstd >/dev/null; then
    zstd -dq "$REAL/hb-pv-save.xl.zst" -o "$tmp/pv"
    side "real PV image (xl save, 128 MiB guest)" "$tmp/pv"
else
    echo "real PV image: not found at $REAL (or no zstd): not measured"
fi
