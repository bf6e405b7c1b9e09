#!/bin/sh
# tests/bench/run.sh - `make bench`: every benchmark, one after the other,
# each printing its own side-by-side figures and ratios.  Benchmarks are
# never part of `make check`: the machines are shared and noisy, so the
# numbers are reported, and judged by a person, not by a timed test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export XLSR_BUILD=$(cd "${XLSR_BUILD:-build}" && pwd)
status=0
for b in libxc verify-seek emulator checkpoint sessions export; do
    f=$here/$b.sh
    [ -f "$f" ] || { echo "== $b: not present"; continue; }
    echo "== $b"
    sh "$f" || { echo "== $b: FAILED"; status=1; }
done
exit $status
