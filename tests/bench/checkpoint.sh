#!/bin/sh
# tests/bench/checkpoint.sh - memory of checkpointed streams: peak RSS of
# `xlsr verify` on 1, 10 and 50 checkpoints whose libxl part carries a
# 4 MiB emulator blob, beside one checkpoint's buffered bytes.  Target: the
# 50-checkpoint peak is no more than one checkpoint's bytes plus a constant
# (the 1-checkpoint peak), i.e. nothing accumulates across checkpoints.
set -eu
B=$(cd "${XLSR_BUILD:-build}" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/xlsr-bench-ckpt.XXXXXX")
trap 'rm -rf "$dir"' EXIT
blob=$((4 * 1024 * 1024))
cat >"$dir/c.ini" <<EOF
[core]
plugin_dir = $B/plugins
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.emulator_context]
plugin = emulator
EOF
"$B/bin/xlsr" verify -c "$dir/c.ini" /dev/null >/dev/null 2>&1 || true
base=
printf '%-14s %14s %14s %16s\n' checkpoints "buffered/ckpt" "peak RSS KiB" "over 1-ckpt KiB"
for n in 1 10 50; do
    "$B/tests/xlsr-gen" --libxc hvm --pages 64 --checkpoints "$n" --remus \
        --ckpt-rec "emulator_context:emublob:2:0:$blob:{K}" -o "$dir/s"
    /usr/bin/time -f '%M' -o "$dir/rss" "$B/bin/xlsr" verify -c "$dir/c.ini" "$dir/s" >"$dir/out" 2>"$dir/err" ||
        { cat "$dir/err"; exit 1; }
    grep -q "failover after checkpoint $n;" "$dir/out" || { cat "$dir/out"; exit 1; }
    rss=$(cat "$dir/rss")
    [ -n "$base" ] || base=$rss
    printf '%-14s %14s %14s %16s\n' "$n" "$((blob + 8))" "$rss" "$((rss - base))"
done
echo "checkpoint memory: 50-checkpoint peak $rss KiB; bound = 1-checkpoint peak $base KiB (one checkpoint's bytes plus a constant): $( [ "$rss" -le $((base + 1024)) ] && echo PASS || echo FAIL)"
