#!/usr/bin/env bash
# tests/run.sh - the test runner behind `make test` and `make check`.
#
# Runs every cmocka unit binary ($XLSR_BUILD/tests/unit-*) and every shell
# test function t_* in tests/**/t-*.sh, each in its own process with its own
# scratch directory $T, and ends with the line "N passed, N failed, N
# skipped".  A test skips by calling `skip "why"` (exit 77); the reason is
# printed.  Environment:
#   XLSR_BUILD   build directory to test (build, build-asan)
#   XLSR_FAST=1  leave out test files that set SLOW=1 (a line of its own;
#                SLOW=0 or none: fast), and the functions a file names in
#                its SLOW_TESTS='t_a t_b' line (long loops, big inputs)
#   XLSR_SAN=1   this is the sanitizer pass (files with NO_SAN=1 skip)
#   XLSR_COUNTS  file to write "passed failed skipped" to
#   XLSR_ONLY    run only test functions matching this glob
#   XLSR_JOBS    test files run at once (default 2; 1 = one after another)
#   XLSR_TIMES=1 end with the 15 slowest tests (wall seconds); every
#                test's time is in $XLSR_BUILD/test-logs/times
#
# Parallelism is per file: the functions of one file run in order, one at
# a time (a file may share state between them, e.g. one Xen boot), and
# files run up to XLSR_JOBS at once, their reports printed in file order.
# A SLOW=1 file (real-Xen boots, fresh builds, whole corpora) runs alone:
# nothing else competes with it for the CPU its timeouts assume.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export XLSR_TOP=$top
export XLSR_BUILD=${XLSR_BUILD:-build}
case $XLSR_BUILD in /*) ;; *) XLSR_BUILD=$top/$XLSR_BUILD ;; esac
export XLSR_FAST=${XLSR_FAST:-} XLSR_SAN=${XLSR_SAN:-}
jobs=${XLSR_JOBS:-2}
case $jobs in '' | *[!0-9]* | 0) echo "run.sh: XLSR_JOBS='$jobs' is not a count >= 1" >&2; exit 2 ;; esac
logdir=$XLSR_BUILD/test-logs
rm -rf "$logdir"; mkdir -p "$logdir"
units=$logdir/.units        # per file: .out (report lines), .res (counts)
mkdir -p "$units"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}
label=$(basename "$XLSR_BUILD")
times=$logdir/times
: >"$times"
# log_time T0 NAME: NAME took the milliseconds from T0 (an $EPOCHREALTIME)
# to now.  No fork: the runner's own cost per test adds up over hundreds.
log_time() {
    local a=${1/[.,]/} b=${EPOCHREALTIME/[.,]/}
    echo "$(((b - a) / 1000)) $2" >>"$times"
}

# A unit's counts, kept in its own shell and written to its .res file.
pass=0 fail=0 skipn=0
failed_names=()

report() { # name rc log
    case $2 in
    0) pass=$((pass + 1)); echo "PASS [$label] $1"
       # Figures a test wants seen (boot and restore times, ratios).
       sed -n 's/^NOTE: /    note: /p' "$3" ;;
    77) skipn=$((skipn + 1))
        echo "SKIP [$label] $1: $(tail -n 1 "$3")" ;;
    *) fail=$((fail + 1)); failed_names+=("$1")
       echo "FAIL [$label] $1 (rc $2, log $3)"; tail -n 25 "$3" | sed 's/^/    | /' ;;
    esac
}

# save_counts FILE: this unit's counts, then its failed tests, one a line.
save_counts() {
    { echo "$pass $fail $skipn"
      [ "${#failed_names[@]}" -eq 0 ] || printf '%s\n' "${failed_names[@]}"
    } >"$1"
}

# cmocka binaries: one process each, their own counts.
run_units() {
    local bin name log rc p f t0
    for bin in "$XLSR_BUILD"/tests/unit-*; do
        [ -x "$bin" ] || continue
        name=$(basename "$bin"); log=$logdir/$name.log
        t0=$EPOCHREALTIME
        "$bin" >"$log" 2>&1; rc=$?
        log_time "$t0" "$name"
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
}

# run_file FILE NO_SAN SLOW_TESTS: every t_* function of FILE, one after
# another (in the fast loop, none of SLOW_TESTS).
run_file() {
    local file=$1 no_san=$2 slow=" $3 " fns fn name log rc t0
    fns=$(bash -c ". tests/lib.sh; . '$file'; declare -F" | awk '{print $3}' | grep '^t_')
    for fn in $fns; do
        name=${file#tests/}:$fn
        [ -n "${XLSR_ONLY:-}" ] && case $fn in $XLSR_ONLY) ;; *) continue ;; esac
        [ -n "$XLSR_FAST" ] && case $slow in *" $fn "*) continue ;; esac
        log=$logdir/${name//[\/:]/_}.log
        if [ -n "$XLSR_SAN" ] && [ -n "$no_san" ]; then
            echo "runs in the non-sanitizer pass only (it boots a whole Xen, or measures what a sanitizer would distort)" >"$log"
            report "$name" 77 "$log"; continue
        fi
        T=$(mktemp -d "${TMPDIR:-/tmp}/xlsr-test.XXXXXX")
        t0=$EPOCHREALTIME
        ( export T; cd "$top"; . tests/lib.sh; . "$file"; set -e; "$fn" ) \
            >"$log" 2>&1 </dev/null
        rc=$?
        log_time "$t0" "$name"
        report "$name" "$rc" "$log"
        [ "$rc" -eq 0 ] && rm -rf "$T"
    done
}

# The units: the cmocka binaries as one (unit 0), then each test file,
# with its NO_SAN, SLOW_TESTS and whether it runs alone (SLOW).
list=(:units) nosan=("") slowfns=("") alone=("")
for file in $(find tests -name 't-*.sh' | sort); do
    SLOW=; NO_SAN=; SLOW_TESTS=
    eval "$(grep -E '^(SLOW|NO_SAN|SLOW_TESTS)=' "$file")"
    # SLOW=0 (as NO_SAN=0) says "not slow", as one would read it.
    [ "$SLOW" = 0 ] && SLOW=
    [ "$NO_SAN" = 0 ] && NO_SAN=
    [ -n "$XLSR_FAST" ] && [ -n "$SLOW" ] && continue
    list+=("$file") nosan+=("$NO_SAN") slowfns+=("$SLOW_TESTS") alone+=("$SLOW")
done

# start I: runs unit I in a background shell; its report goes to I.out
# (or straight to stdout when it runs alone), its counts to I.res.
start() {
    local i=$1
    (
        if [ "$i" -eq 0 ]; then run_units
        else run_file "${list[$i]}" "${nosan[$i]}" "${slowfns[$i]}"
        fi
        save_counts "$units/$i.res.tmp"
        mv "$units/$i.res.tmp" "$units/$i.res"
    )
}

tp=0 tf=0 ts=0
all_failed=()
next=0      # the first unit whose report is not printed yet
# add_counts I: unit I's counts and failed tests into the totals.
add_counts() {
    local a b c n
    { read -r a b c; tp=$((tp + a)); tf=$((tf + b)); ts=$((ts + c))
      while IFS= read -r n; do all_failed+=("$n"); done
    } <"$units/$1.res"
}
# died I: unit I's shell died before it wrote its counts: a failure,
# never a pass by omission.
died() {
    echo "FAIL [$label] ${list[$1]}: the runner's shell for it died (no counts)" >>"$units/$1.out"
    printf '0 1 0\n%s\n' "${list[$1]}" >"$units/$1.res"
}
# flush: prints, in order, the reports of the units that have finished.
flush() {
    while [ "$next" -lt "${#list[@]}" ] && [ -e "$units/$next.res" ]; do
        [ -e "$units/$next.out" ] && cat "$units/$next.out"
        add_counts "$next"
        next=$((next + 1))
    done
}

running=0
for i in "${!list[@]}"; do
    if [ -n "${alone[$i]}" ] || [ "$jobs" -eq 1 ]; then
        # Alone: wait for the others, print them, then run it in the
        # foreground, its lines as they come.
        wait; running=0; flush
        start "$i"
        [ -e "$units/$i.res" ] || died "$i"
        flush
        continue
    fi
    while [ "$running" -ge "$jobs" ]; do
        wait -n; running=$((running - 1)); flush
    done
    start "$i" >"$units/$i.out" &
    running=$((running + 1))
done
wait
for i in "${!list[@]}"; do [ -e "$units/$i.res" ] || died "$i"; done
flush

if [ -n "${XLSR_TIMES:-}" ]; then
    echo "slowest tests (wall s):"
    sort -rn "$times" | head -n 15 |
        awk '{ printf "  %7.2f %s\n", $1 / 1000, $2 }'
fi
[ -n "${XLSR_COUNTS:-}" ] && echo "$tp $tf $ts" >"$XLSR_COUNTS"
if [ "$tf" -ne 0 ]; then
    echo "failed in [$label]:"; printf '  %s\n' "${all_failed[@]}"
fi
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ]
