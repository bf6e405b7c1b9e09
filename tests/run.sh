#!/usr/bin/env bash
# tests/run.sh - the test runner behind `make test` and `make check`.
#
# Runs every cmocka unit binary ($XLSR_BUILD/tests/unit-*) and every shell
# test function t_* in tests/**/t-*.sh, each in its own process with its own
# scratch directory $T, and ends with the line "N passed, N failed, N
# skipped".  A test skips by calling `skip "why"` (exit 77); the reason is
# printed.  Environment:
#   XLSR_BUILD   build directory to test (build, build-asan)
#   XLSR_FAST=1  leave out test files that set SLOW=1
#   XLSR_SAN=1   this is the sanitizer pass (files with NO_SAN=1 skip)
#   XLSR_COUNTS  file to write "passed failed skipped" to
#   XLSR_ONLY    run only test functions matching this glob
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export XLSR_TOP=$top
export XLSR_BUILD=${XLSR_BUILD:-build}
case $XLSR_BUILD in /*) ;; *) XLSR_BUILD=$top/$XLSR_BUILD ;; esac
export XLSR_FAST=${XLSR_FAST:-} XLSR_SAN=${XLSR_SAN:-}
pass=0 fail=0 skipn=0
failed_names=()
logdir=$XLSR_BUILD/test-logs
rm -rf "$logdir"; mkdir -p "$logdir"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}
label=$(basename "$XLSR_BUILD")

report() { # name rc log
    case $2 in
    0) pass=$((pass + 1)); echo "PASS [$label] $1"
       # Figures a test wants seen (boot and restore times, ratios).
       grep '^NOTE: ' "$3" | sed 's/^NOTE: /    note: /' || true ;;
    77) skipn=$((skipn + 1))
        echo "SKIP [$label] $1: $(tail -n 1 "$3")" ;;
    *) fail=$((fail + 1)); failed_names+=("$1")
       echo "FAIL [$label] $1 (rc $2, log $3)"; tail -n 25 "$3" | sed 's/^/    | /' ;;
    esac
}

# cmocka binaries: one process each, their own counts.
for bin in "$XLSR_BUILD"/tests/unit-*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin"); log=$logdir/$name.log
    "$bin" >"$log" 2>&1; rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ "$rc" -ne 0 ] || [ -z "$p" ]; then
        [ -n "$f" ] || fail=$((fail + 1))
        failed_names+=("$name"); echo "FAIL [$label] $name (rc $rc)"
        tail -n 25 "$log" | sed 's/^/    | /'
    else
        echo "PASS [$label] $name (${p} cmocka tests)"
    fi
done

for file in $(find tests -name 't-*.sh' | sort); do
    SLOW=; NO_SAN=
    eval "$(grep -E '^(SLOW|NO_SAN)=' "$file")"
    [ -n "$XLSR_FAST" ] && [ -n "$SLOW" ] && continue
    fns=$(bash -c ". tests/lib.sh; . '$file'; declare -F" | awk '{print $3}' | grep '^t_')
    for fn in $fns; do
        name=${file#tests/}:$fn
        [ -n "${XLSR_ONLY:-}" ] && case $fn in $XLSR_ONLY) ;; *) continue ;; esac
        log=$logdir/$(echo "$name" | tr '/:' '__').log
        if [ -n "$XLSR_SAN" ] && [ -n "$NO_SAN" ]; then
            echo "runs in the non-sanitizer pass only (it boots a whole Xen, or measures what a sanitizer would distort)" >"$log"
            report "$name" 77 "$log"; continue
        fi
        T=$(mktemp -d "${TMPDIR:-/tmp}/xlsr-test.XXXXXX")
        ( export T; cd "$top"; . tests/lib.sh; . "$file"; set -e; "$fn" ) \
            >"$log" 2>&1 </dev/null
        rc=$?
        report "$name" "$rc" "$log"
        [ "$rc" -eq 0 ] && rm -rf "$T"
    done
done

[ -n "${XLSR_COUNTS:-}" ] && echo "$pass $fail $skipn" >"$XLSR_COUNTS"
if [ "$fail" -ne 0 ]; then
    echo "failed in [$label]:"; printf '  %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $fail failed, $skipn skipped"
[ "$fail" -eq 0 ]
