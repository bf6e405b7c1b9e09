#!/bin/sh
# tests/bench/export.sh - `xlsr export` of a 1 GiB guest (an HVM save of
# 262144 pages by xlsr-gen) beside `cp` of the same image to the same
# filesystem, and `cp` + `sync FILE` (the export fsyncs its output before
# naming it, so that is the like-for-like figure).  Goal: >= 0.9x cp's
# throughput for raw and ELF (pages land at their final offset in one
# pass); LiME and dump-core copy once more (offsets need the whole map).
# Peak RSS of each export (GNU time); goal < 16 MiB + the map (32 KiB).
# Each time is the best of $BENCH_RUNS (default 3) after a warm-up read.
set -eu
B=${XLSR_BUILD:-build}
X=$B/bin/xlsr
G=$B/tests/xlsr-gen
RUNS=${BENCH_RUNS:-3}
PAGES=${BENCH_EXPORT_PAGES:-262144}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xlsr-bench-export.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM
conf=$tmp/export.ini
cat >"$conf" <<EOT
[core]
plugin_dir = $B/plugins
[record.end]
plugin = end
[record.libxc_context]
plugin = export
[record.emulator_xenstore_data]
plugin = xenstore
[record.emulator_context]
plugin = emulator
EOT

now() { date +%s%N; }
best() {
    b=
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        rm -f "$tmp/out"
        t0=$(now)
        sh -c "$1" >/dev/null 2>&1 || { echo "bench: failed: $1" >&2; exit 1; }
        t1=$(now)
        t=$((t1 - t0))
        if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
        i=$((i + 1))
    done
    awk -v n="$b" 'BEGIN { printf "%.3f", n / 1e9 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
rss() {
    rm -f "$tmp/out"
    /usr/bin/time -f %M -o "$tmp/rss" sh -c "$1" >/dev/null 2>&1
    echo "$(cat "$tmp/rss") KiB"
}

$G --xl-header --libxc hvm --pages "$PAGES" -o "$tmp/img.xl"
size=$(stat -c %s "$tmp/img.xl")
cat "$tmp/img.xl" >/dev/null
echo "image: $size bytes ($PAGES guest pages) on $(df -T "$tmp" | awk 'NR==2 {print $2}')"
cp_t=$(best "cp '$tmp/img.xl' '$tmp/out'")
cps_t=$(best "cp '$tmp/img.xl' '$tmp/out' && sync '$tmp/out'")
echo "cp:               ${cp_t}s"
echo "cp + sync FILE:   ${cps_t}s"
for fmt in raw elf lime dump-core; do
    cmd="$X export -q -c '$conf' --format $fmt -o '$tmp/out' '$tmp/img.xl'"
    t=$(best "$cmd")
    echo "export $fmt:" "${t}s" "$(ratio "$cp_t" "$t")x cp," \
        "$(ratio "$cps_t" "$t")x cp+sync, peak RSS $(rss "$cmd")"
done
cmd="cat '$tmp/img.xl' | $X export -q -c '$conf' --format elf -o '$tmp/out' -"
t=$(best "$cmd")
echo "export elf, pipe: ${t}s $(ratio "$cp_t" "$t")x cp," \
    "$(ratio "$cps_t" "$t")x cp+sync, peak RSS $(rss "$cmd")"
