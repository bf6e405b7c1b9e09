#!/bin/sh
# tests/deps.sh - installs the Debian packages xlsr needs, if missing.
#
#   sh tests/deps.sh run     build + the bundled example (`make run`)
#   sh tests/deps.sh check   + everything the test suites use (`make check`)
#   sh tests/deps.sh fuzz    build + clang with libFuzzer (`make fuzz` only)
#   sh tests/deps.sh deb     + what `make deb-check` needs (Debian packaging)
#
# Only missing packages are installed, so a second run is a quick no-op.
# Needs root (or sudo) only when something is missing.
set -eu
level=${1:-run}

# Build: compiler, the three Xen libraries (libxen-dev), inih, yajl (the
# xl config JSON, as libxl reads it), cmocka for
# the unit tests (a build dependency of the test binaries).
run_pkgs="gcc make libc6-dev pkg-config libxen-dev libinih-dev libyajl-dev \
    libcmocka-dev"
# Tests: Xen's verify-stream-v2 and xenstored (xen-utils-4.17), the
# xenstore-* commands, zstd for the real corpus, GNU time for peak RSS,
# xxd for byte checks, python3 for verify-stream-v2, python3-jsonschema
# to check --json output, bash-completion for the completion test, clang
# for the clang build test, man-db for the man pages, util-linux for
# unshare (the --syslog test), bsdutils for script (the progress test);
# the export tests' independent readers: readelf (binutils) and
# python3-libkdumpfile.
check_pkgs="xen-utils-4.17 xenstore-utils zstd time xxd python3 \
    python3-jsonschema bash-completion clang man-db util-linux bsdutils \
    binutils python3-libkdumpfile"
# `make deb-check`: Debian packaging tools (not needed by make check).
deb_pkgs="dpkg-dev debhelper lintian fakeroot git"
# The real-Xen suite's embedding toolstack reads JSON (xl config, QMP)
# with yajl, as libxl does.
check_pkgs="$check_pkgs libyajl-dev"
# The real-Xen suite (tests/xen) boots Xen under QEMU from these.
# HVM guests in it run Debian's qemu-xen device model, hvmloader (in
# xen-utils-4.17) and SeaBIOS, and QEMU's option ROMs (direct kernel boot).
xen_pkgs="qemu-system-x86 busybox-static cpio xz-utils kmod"
# `make fuzz` only: clang ships libFuzzer and its sanitizer runtimes.
fuzz_pkgs="clang libclang-rt-14-dev"
xen_pkgs="$xen_pkgs qemu-system-xen seabios qemu-system-data"

case $level in
run) want=$run_pkgs ;;
check|bench) want="$run_pkgs $check_pkgs $xen_pkgs" ;;
fuzz) want="$run_pkgs $fuzz_pkgs" ;;
deb) want="$run_pkgs $deb_pkgs" ;;
*) echo "deps.sh: unknown level '$level' (run, check, bench, fuzz, deb)" >&2; exit 2 ;;
esac

missing=
for p in $want; do
    s=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
    case $s in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "deps: not root; run as root: apt-get install$missing" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
