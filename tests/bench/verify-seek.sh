#!/bin/sh
# tests/bench/verify-seek.sh - `xlsr verify` of a saved image on a file
# reads its headers and only the pages it must inspect (PV page tables),
# seeking over the rest; beside `cat` of the same file.  Goal: >= 10x
# faster than cat on the 1 GiB generated image and on the real PV image
# (../shared/corpus/real/hb-pv-save.xl.zst), with a warm page cache and a
# cold one, peak RSS flat (the same for 1 GiB as for 128 MiB).
#
# Cold: before every timed run the file's pages are dropped from the page
# cache with posix_fadvise(POSIX_FADV_DONTNEED) (GNU dd iflag=nocache
# count=0), not the whole machine's cache (it is shared); fincore, when
# present, shows what stayed cached.  Warm: after one full read.
set -eu
B=$(cd "${XLSR_BUILD:-build}" && pwd)
X=$B/bin/xlsr
G=$B/tests/xlsr-gen
RUNS=${BENCH_RUNS:-3}
REAL=${XLSR_REAL:-$(dirname "$0")/../../../shared/corpus/real}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xlsr-bench-seek.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM
conf=$tmp/bench.ini
cat >"$conf" <<EOT
[core]
plugin_dir = $B/plugins
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
[record.emulator_xenstore_data]
plugin = xenstore
[record.emulator_context]
plugin = emulator
EOT

now() { date +%s%N; }
drop() { dd if="$1" iflag=nocache count=0 status=none; }
cached() {
    command -v fincore >/dev/null && fincore -n -o RES "$1" 2>/dev/null |
        tr -d ' ' || echo '?'
}

# best MODE FILE CMD: best wall time of $RUNS runs, cold or warm.
best() {
    b=
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        if [ "$1" = cold ]; then drop "$2"; else cat "$2" >/dev/null; fi
        t0=$(now)
        sh -c "$3" >/dev/null 2>&1 || { echo "bench: failed: $3" >&2; exit 1; }
        t1=$(now)
        t=$((t1 - t0))
        if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
        i=$((i + 1))
    done
    awk -v n="$b" 'BEGIN { printf "%.4f", n / 1e9 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

rss() {
    /usr/bin/time -f %M -o "$tmp/rss" sh -c "$1" >/dev/null 2>&1
    tail -n 1 "$tmp/rss"
}

side() {
    f=$2
    drop "$f"
    left=$(cached "$f")
    xc=$(best cold "$f" "'$X' verify -c '$conf' '$f'")
    cc=$(best cold "$f" "cat '$f' >/dev/null")
    xw=$(best warm "$f" "'$X' verify -c '$conf' '$f'")
    cw=$(best warm "$f" "cat '$f' >/dev/null")
    r=$(rss "'$X' verify -c '$conf' '$f'")
    echo "$1: $(stat -c %s "$f") bytes, best of $RUNS (cached after drop: $left)"
    printf '  %-24s %10s %10s\n' "" cold warm
    printf '  %-24s %9ss %9ss\n' "xlsr verify FILE" "$xc" "$xw"
    printf '  %-24s %9ss %9ss\n' "cat FILE >/dev/null" "$cc" "$cw"
    printf '  %-24s %9sx %9sx   (goal >= 10)\n' "cat time / xlsr" \
        "$(ratio "$cc" "$xc")" "$(ratio "$cw" "$xw")"
    printf '  %-24s %8s K\n' "xlsr peak RSS" "$r"
}

# What any run costs before reading a byte (sh, exec, dynamic loading):
# on a 128 MiB image it is most of verify's warm time.
base=$(best warm "$conf" "'$X' plugins -c '$conf'")
echo "start-up (xlsr plugins, loads the same plugins): ${base}s"
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
