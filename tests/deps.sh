#!/bin/sh
# tests/deps.sh - installs the Debian packages xlsr needs, if missing.
#
#   sh tests/deps.sh run     build + the bundled example (`make run`)
#   sh tests/deps.sh check   + everything the test suites use (`make check`)
#
# Only missing packages are installed, so a second run is a quick no-op.
# Needs root (or sudo) only when something is missing.
set -eu
level=${1:-run}

# Build: compiler, the three Xen libraries (libxen-dev), inih, cmocka for
# the unit tests (a build dependency of the test binaries).
run_pkgs="gcc make libc6-dev pkg-config libxen-dev libinih-dev libcmocka-dev"
# Tests: Xen's verify-stream-v2 and xenstored (xen-utils-4.17), the
# xenstore-* commands, zstd for the real corpus, GNU time for peak RSS,
# xxd for byte checks, python3 for verify-stream-v2; the export tests'
# independent readers: readelf (binutils) and python3-libkdumpfile.
check_pkgs="xen-utils-4.17 xenstore-utils zstd time xxd python3 binutils python3-libkdumpfile"
# The real-Xen suite (tests/xen) boots Xen under QEMU from these.
xen_pkgs="qemu-system-x86 busybox-static cpio xz-utils kmod"

case $level in
run) want=$run_pkgs ;;
check|bench) want="$run_pkgs $check_pkgs $xen_pkgs" ;;
*) echo "deps.sh: unknown level '$level' (run, check, bench)" >&2; exit 2 ;;
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
