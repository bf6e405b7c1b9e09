#!/bin/sh
# tests/fuzz/run.sh BUILD SECONDS TARGET... - runs each libFuzzer target of
# BUILD/fuzz/ for SECONDS (niced), one after the other, starting from the
# committed corpus tests/fuzz/corpus/TARGET/ (never written: new inputs go
# to BUILD/fuzz/work/TARGET/).  Prints one line per target: executions per
# second, coverage, corpus size and crashes.  Crashing inputs are left in
# BUILD/fuzz/ as crash-TARGET-*; copy each into the committed corpus once
# fixed.  FUZZ_MERGE=1 merges the new inputs into the committed corpus,
# minimised (libFuzzer -merge=1), keeping every crash-* file already there.
set -u
build=$1 secs=$2
shift 2
status=0
for t in "$@"; do
    bin=$build/fuzz/fuzz-$t
    seeds=tests/fuzz/corpus/$t
    work=$build/fuzz/work/$t
    log=$build/fuzz/$t.log
    mkdir -p "$work"
    nice -n 15 "$bin" -max_total_time="$secs" -max_len=65536 -timeout=20 \
        -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/fuzz/crash-$t-" "$work" "$seeds" \
        >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" |
          tail -n 1)
    crashes=$(ls "$build/fuzz/" | grep -c "^crash-$t-" || true)
    echo "fuzz $t: ${secs}s, ${runs:-?} runs, ${eps:-?} execs/s, $cov," \
         "$crashes crash files (rc $rc, log $log)"
    [ "$rc" -eq 0 ] || status=1
    if [ "${FUZZ_MERGE:-}" = 1 ]; then
        min=$build/fuzz/min/$t
        rm -rf "$min"; mkdir -p "$min"
        "$bin" -merge=1 -max_len=65536 "$min" "$seeds" "$work" \
            >"$build/fuzz/$t.merge.log" 2>&1 &&
            find "$seeds" -type f ! -name 'crash-*' -delete &&
            cp "$min"/* "$seeds"/
    fi
done
exit $status
