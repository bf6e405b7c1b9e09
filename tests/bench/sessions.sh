#!/bin/sh
# tests/bench/sessions.sh - embedding API throughput: sessions per second
# (open a session, which loads and inits every plugin the configuration
# binds, run a small stream in verify mode, close it) from 1 thread and
# from 16 threads of one process, side by side, the same number of
# sessions each (tests/api/api-sessions.c, `bench` mode; every session's
# plugins and verdict are checked as in the tests).  Each side runs $RUNS
# times, alternating; the best run counts.  Environment: XLSR_BUILD
# (build), RUNS (3), SESSIONS (1600, total per side).
set -eu
B=${XLSR_BUILD:-build}
RUNS=${RUNS:-3}
SESSIONS=${SESSIONS:-1600}
W=$(mktemp -d /var/tmp/xlsr-bench-sessions.XXXXXX)
trap 'rm -rf "$W"' EXIT

cat >"$W/conf.ini" <<EOT
[core]
plugin_dir = $(cd "$B" && pwd)/plugins
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.emulator_xenstore_data]
plugin = xenstore
[record.emulator_context]
plugin = emulator
EOT
"$B/tests/xlsr-gen" --xl-header --libxc hvm --pages 16 \
    --rec 'emulator_xenstore_data:xs:2:0:k=v' \
    --rec emulator_context:emublob:2:0:4096 -o "$W/s"
verdict=$("$B/bin/xlsr" verify -c "$W/conf.ini" "$W/s" |
          sed -n 's/^verify: ok: \([0-9]*\) records, \([0-9]*\) bytes.*/ok \1 \2/p')
[ -n "$verdict" ] || { echo "the bench stream does not verify"; exit 1; }
printf '%s\t%s\t0\t%s\t%s\n' "$W/conf.ini" "$W/s" "$verdict" \
    end=end,libxc_context=libxc,emulator_xenstore_data=xenstore,emulator_context=emulator \
    >"$W/jobs"

# rate THREADS: sessions/s of one run (the driver fails on any wrong
# plugin or verdict).
rate() {
    "$B/tests/api-sessions" bench "$1" $((SESSIONS / $1)) "$W/jobs" |
        sed -n 's/.*: \([0-9]*\) sessions\/s$/\1/p'
}
best() { sort -g | tail -n 1; }

: >"$W/r1"; : >"$W/r16"
i=0
while [ $i -lt "$RUNS" ]; do
    rate 1 >>"$W/r1"
    rate 16 >>"$W/r16"
    i=$((i + 1))
done
r1=$(best <"$W/r1"); r16=$(best <"$W/r16")
[ -n "$r1" ] && [ -n "$r16" ] || { echo "a run failed"; exit 1; }
echo "stream: $(stat -c %s "$W/s") bytes ($verdict), 4 plugins per session, $SESSIONS sessions per side, best of $RUNS"
echo " 1 thread:   $r1 sessions/s"
echo "16 threads:  $r16 sessions/s"
awk -v a="$r16" -v b="$r1" 'BEGIN { printf "ratio 16/1:  %.2fx (on %d cores)\n", a / b, '"$(nproc)"' }'
