# tests/lib.sh - helpers for the shell tests (sourced by tests/run.sh).
#
# Every test function runs with `set -e` in its own scratch directory $T.
# XLSR_BUILD is the build under test; XLSR_TOP the checkout.

B=${XLSR_BUILD:-build}
XLSR=$B/bin/xlsr
GEN=$B/tests/xlsr-gen
CONF=$XLSR_TOP/conf/build.ini

# The real-Xen corpus (zstd images written by Xen 4.17): $XLSR_CORPUS,
# else ../shared/corpus/real beside the checkout.  ($XLSR_REAL_CORPUS is
# the older name, still honoured.)
XLSR_CORPUS=${XLSR_CORPUS:-${XLSR_REAL_CORPUS:-$XLSR_TOP/../shared/corpus/real}}

skip() { echo "$*" >&2; exit 77; }  # stderr: seen even inside $(...)
fail() { echo "FAILED: $*"; exit 1; }

# run CMD...: runs it, keeps stdout in $T/out, stderr in $T/err, rc in $RC.
run() {
    set +e
    "$@" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    return 0
}

# expect RC CMD...: runs CMD and fails the test unless it exits with RC.
# A sanitizer report (exit 99) is always a failure.
expect() {
    want=$1; shift
    run "$@"
    if [ "$RC" -ne "$want" ]; then
        echo "--- command: $*"; echo "--- stdout:"; tail -n 20 "$T/out"
        echo "--- stderr:"; tail -n 20 "$T/err"
        fail "exit status $RC, wanted $want"
    fi
}

# has FILE REGEX: the file contains a line matching the extended regex.
has() {
    grep -Eq -- "$2" "$1" || { echo "--- $1:"; tail -n 20 "$1"; fail "no line matching /$2/ in $1"; }
}
hasnt() {
    if grep -Eq -- "$2" "$1"; then grep -E -- "$2" "$1" | head -5; fail "unexpected /$2/ in $1"; fi
}
# err_has REGEX / out_has REGEX: shorthands on the last run.
err_has() { has "$T/err" "$1"; }
out_has() { has "$T/out" "$1"; }

# eq A B MESSAGE
eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: '$1' != '$2'"; }

# A config file in $T whose plugin_dir points at this build.
# mkconf NAME <<EOF ... (body appended after [core])
mkconf() {
    f=$T/$1
    { echo "[core]"; echo "plugin_dir = $B/plugins:$B/test-plugins"; cat; } >"$f"
    echo "$f"
}

# preload_build NAME SRC: $T/NAME.so, an LD_PRELOAD shim built from SRC
# (relative to the checkout) without sanitizers; in the sanitizer pass
# ASan is told not to insist on coming first (a shim only wraps a few
# entry points of libc or libxenguest).
preload_build() {
    command -v "${CC:-cc}" >/dev/null || skip "no C compiler for $1.so"
    "${CC:-cc}" -std=gnu11 -shared -fPIC -O1 -o "$T/$1.so" \
        "$XLSR_TOP/$2" -ldl || fail "building $2"
    [ -z "$XLSR_SAN" ] ||
        export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
}

# --- the real corpus ------------------------------------------------------
# need_corpus: skips, saying why, unless the real corpus ($XLSR_CORPUS,
# its *.xl.zst images) and zstd are here.
need_corpus() {
    ls "$XLSR_CORPUS"/*.xl.zst >/dev/null 2>&1 ||
        skip "no real corpus at $XLSR_CORPUS (set XLSR_CORPUS)"
    command -v zstd >/dev/null || skip "zstd missing (package zstd)"
}

# corpus_image NAME OUT: the real image NAME (NAME.zst in the corpus,
# e.g. hb-pv-save.xl) unpacked to OUT; skips, saying why, without it.
corpus_image() {
    [ -r "$XLSR_CORPUS/$1.zst" ] ||
        skip "no real image $XLSR_CORPUS/$1.zst (set XLSR_CORPUS)"
    command -v zstd >/dev/null || skip "zstd missing (package zstd)"
    zstd -dqf "$XLSR_CORPUS/$1.zst" -o "$2"
}

# real_conf [export]: a configuration for a real image: every shipped
# stream plugin, emulator state into $T/d; LIBXC_CONTEXT to libxc
# verifying, or with "export" to the export plugin (export.ini).
real_conf() {
    mkdir -p "$T/d"
    if [ "${1:-}" = export ]; then
        set -- export.ini "plugin = export"
    else
        set -- real.ini "plugin = libxc
mode = verify"
    fi
    mkconf "$1" <<EOT
[record.end]
plugin = end
[record.libxc_context]
$2
[record.emulator_xenstore_data]
plugin = xenstore
[record.emulator_context]
plugin = emulator
dir = $T/d
EOT
}

# bindconf NAME TYPE=PLUGIN...: mkconf NAME binding each record type to a
# plugin, e.g. bindconf c.ini end=end libxc_context=libxc
bindconf() {
    n=$1
    shift
    for b in "$@"; do
        printf '[record.%s]\nplugin = %s\n' "${b%%=*}" "${b#*=}"
    done | mkconf "$n"
}
