# tests/bench/lib.sh - what the benchmark scripts share: the build paths,
# a scratch directory on a disk filesystem (a "cold" cache means nothing
# on tmpfs), a configuration binding the shipped plugins, and the
# stopwatch (xlsr-timeit: commands exec'd directly, side by side,
# round-robin, median of $RUNS).  Sourced by sh scripts after `set -eu`.

B=$(cd "${XLSR_BUILD:-build}" && pwd)
X=$B/bin/xlsr
G=$B/tests/xlsr-gen
TIMEIT=$B/tests/xlsr-timeit
RUNS=${BENCH_RUNS:-${RUNS:-5}}

# bench_tmp NAME: $tmp, a fresh directory removed at exit, under
# $BENCH_DIR (default /var/tmp: on disk on Debian, unlike a tmpfs /tmp).
bench_tmp() {
    tmp=$(mktemp -d "${BENCH_DIR:-/var/tmp}/xlsr-bench-$1.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    trap 'exit 1' HUP INT PIPE TERM
    tmpfs=$(stat -f -c %T "$tmp")
}

# bench_conf FILE TYPE=PLUGIN...: a configuration binding each record
# type to a shipped plugin, e.g. end=end libxc_context=libxc.
bench_conf() {
    f=$1
    shift
    printf '[core]\nplugin_dir = %s/plugins\n' "$B" >"$f"
    for b in "$@"; do
        printf '[record.%s]\nplugin = %s\n' "${b%%=*}" "${b#*=}" >>"$f"
    done
}

# timeit [-m warm|cold -f FILE] [-p FILE] -- CMD... [--- CMD...]: one line
# per command, "median min max peak_rss_kib" (tests/bench/timeit.c).
timeit() { "$TIMEIT" -n "$RUNS" "$@"; }

# field LINE N: the Nth word of LINE.
field() { echo "$1" | awk -v n="$2" '{ print $n }'; }

# ratio A B: A / B, one decimal (0 when B is 0).
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-1}" \
          'BEGIN { printf "%.*f", d, (b > 0 ? a / b : 0) }'; }

# ms SECONDS: as milliseconds, two decimals.
ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }
