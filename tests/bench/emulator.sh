#!/bin/sh
# tests/bench/emulator.sh - the emulator plugin's file backend writing a
# 256 MiB blob, beside `dd bs=1M` of the same bytes into the same
# directory, in one run.  Prints both rates in MiB/s and the ratio; the
# target is xlsr >= 0.8x dd.
#
# Both sides read their input from the page cache and end with the data
# on disk: dd runs with conv=fsync because the plugin fsyncs (file and
# directory) before it reports success.  dd without fsync is printed too,
# for reference only.  The file backend's figure is the plugin's own
# timing of its write (temp file, write, fsync, rename, directory fsync),
# taken from its log line; the whole `xlsr restore` (reading and framing
# the stream included) is shown beside it.  Each side runs $RUNS times, alternating; the best run
# counts.  Environment: XLSR_BUILD (build), BENCH_DIR (a directory on the
# filesystem to measure; default a fresh one under /var/tmp), RUNS (3),
# SIZE (268435456).
set -eu
B=${XLSR_BUILD:-build}
RUNS=${RUNS:-3}
SIZE=${SIZE:-268435456}
W=${BENCH_DIR:-$(mktemp -d /var/tmp/xlsr-bench-emu.XXXXXX)}
mkdir -p "$W/d"
trap 'rm -rf "$W/d" "$W/s" "$W/blob" "$W/conf.ini" "$W/log"
      [ -n "${BENCH_DIR:-}" ] || rmdir "$W"' EXIT

now() { date +%s.%N; }
rate() { awk -v b="$SIZE" -v t="$1" 'BEGIN { printf "%.0f", b / 1048576 / t }'; }
best() { sort -g | head -n 1; }

cat >"$W/conf.ini" <<EOT
[core]
plugin_dir = $(cd "$B" && pwd)/plugins
max_record_bytes = 1G
[record.end]
plugin = end
[record.emulator_context]
plugin = emulator
dir = $W/d
EOT

"$B/tests/xlsr-gen" --rec "emulator_context:emublob:2:0:$SIZE:1" -o "$W/s"
tail -c +33 "$W/s" | head -c "$SIZE" >"$W/blob"    # the blob alone
cat "$W/s" "$W/blob" >/dev/null                     # both in the cache
sync

dd_t= ddf_t= x_t= p_t=
for i in $(seq "$RUNS"); do
    rm -f "$W/d/"*; sync
    t0=$(now); dd if="$W/blob" of="$W/d/dd.out" bs=1M conv=fsync 2>/dev/null
    t1=$(now); ddf_t="$ddf_t $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')"
    rm -f "$W/d/"*; sync
    t0=$(now)
    "$B/bin/xlsr" restore -c "$W/conf.ini" --domid 7 "$W/s" >/dev/null 2>"$W/log"
    t1=$(now); x_t="$x_t $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')"
    p_t="$p_t $(sed -n 's/.*bytes to .* in \([0-9.]*\) s .*/\1/p' "$W/log")"
    cmp -s "$W/blob" "$W/d/qemu-resume.7" || { echo "xlsr wrote wrong bytes" >&2; exit 1; }
    rm -f "$W/d/"*; sync
    t0=$(now); dd if="$W/blob" of="$W/d/dd.out" bs=1M 2>/dev/null
    t1=$(now); dd_t="$dd_t $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')"
done
ddf=$(printf '%s\n' $ddf_t | best)
dd=$(printf '%s\n' $dd_t | best)
x=$(printf '%s\n' $x_t | best)
p=$(printf '%s\n' $p_t | best)
fs=$(df -PT "$W/d" | awk 'NR == 2 { print $2 " on " $1 }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
r_be=$(ratio "$ddf" "$p")
r_all=$(ratio "$ddf" "$x")
echo "emulator file backend, $((SIZE / 1048576)) MiB blob, $fs, best of $RUNS"
echo "  dd bs=1M conv=fsync:               $(rate "$ddf") MiB/s"
echo "  file backend (write+fsync+rename): $(rate "$p") MiB/s  ratio ${r_be}x"
echo "  xlsr restore end to end:           $(rate "$x") MiB/s  ratio ${r_all}x"
echo "    (end to end adds the core reading the whole record into memory"
echo "     before the plugin runs: the two do not overlap)"
echo "  dd bs=1M, no fsync (reference):    $(rate "$dd") MiB/s"
if awk -v r="$r_be" 'BEGIN { exit !(r >= 0.8) }'; then
    echo "  target: file backend >= 0.80x dd: ok"
else
    echo "  target: file backend >= 0.80x dd: BELOW TARGET"; exit 1
fi
