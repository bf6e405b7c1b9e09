#!/bin/sh
# tests/pkg/deb-check.sh - `make deb-check`: the Debian packages as a
# packager and an operator meet them.
#
#   1. a clean clone of HEAD (nothing of this worktree's build leaks in);
#   2. dpkg-buildpackage -us -uc -b there: xlsr, libxlsr0, libxlsr-dev;
#   3. lintian on the result: no errors (warnings are printed);
#   4. the packages installed with dpkg into a scratch root (its own dpkg
#      database: nothing of this machine changes), the conffile checked,
#      and the installed xlsr verifies the bundled example with the
#      installed plugins; then removed and purged.
#
# Needs dpkg-dev, debhelper, lintian and the build dependencies (`sh
# tests/deps.sh deb` installs them); about two minutes on 2 cores.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
# XLSR_DEB_WORK=DIR keeps the packages and logs there (a fresh dir).
if [ -n "${XLSR_DEB_WORK:-}" ]; then
    work=$XLSR_DEB_WORK
    mkdir -p "$work"
else
    work=$(mktemp -d /tmp/xlsr-deb.XXXXXX)
    trap 'rm -rf "$work"' EXIT INT TERM
fi
fail() { echo "deb-check: FAILED: $*" >&2; exit 1; }
step() { echo "deb-check: $*"; }

[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] ||
    echo "deb-check: note: uncommitted changes are not in the clone (HEAD is built)"
step "clean clone of $(git -C "$top" rev-parse --short HEAD) in $work/src"
git clone -q --no-hardlinks "$top" "$work/src"

step "dpkg-buildpackage -us -uc -b"
(cd "$work/src" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
    { tail -n 40 "$work/build.log"; fail "dpkg-buildpackage"; }
arch=$(dpkg --print-architecture)
ver=$(dpkg-parsechangelog -l "$work/src/debian/changelog" -S Version)
for p in xlsr libxlsr0 libxlsr-dev; do
    [ -f "$work/${p}_${ver}_${arch}.deb" ] || fail "no ${p}_${ver}_${arch}.deb"
done
changes=$work/xlsr_${ver}_${arch}.changes

step "lintian"
lintian --fail-on error --tag-display-limit 0 "$changes" >"$work/lintian.log" 2>&1 ||
    { cat "$work/lintian.log"; fail "lintian reports errors"; }
if [ -s "$work/lintian.log" ]; then
    sed 's/^/  lintian: /' "$work/lintian.log"
fi
grep -q '^E:' "$work/lintian.log" && fail "lintian errors"

step "contents"
dpkg-deb -f "$work/xlsr_${ver}_${arch}.deb" Depends | grep -q libyajl2 ||
    fail "xlsr does not depend on libyajl2"
dpkg-deb --ctrl-tarfile "$work/xlsr_${ver}_${arch}.deb" | tar -xO ./conffiles |
    grep -qx /etc/xlsr/xlsr.ini || fail "/etc/xlsr/xlsr.ini is not a conffile"
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
dpkg-deb -c "$work/libxlsr0_${ver}_${arch}.deb" >"$work/lib.list"
grep -q "^-rw-r--r-- .*/usr/lib/$ma/libxlsr\.so\.0\.1\.0$" "$work/lib.list" ||
    fail "libxlsr0: no 0644 real-name library"
grep -q "/usr/lib/$ma/libxlsr\.so\.0 -> libxlsr\.so\.0\.1\.0$" "$work/lib.list" ||
    fail "libxlsr0: no soname link"
dpkg-deb -c "$work/xlsr_${ver}_${arch}.deb" >"$work/xlsr.list"
grep -q "guestmeta" "$work/xlsr.list" && fail "the example plugin is in xlsr"
dpkg-deb -c "$work/libxlsr-dev_${ver}_${arch}.deb" | grep -q 'examples/guestmeta/guestmeta\.c$' ||
    fail "libxlsr-dev lacks the example sources"

step "install into a scratch root"
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
# Dependencies (libc6, libinih1, libyajl2) are this machine's; the scratch
# database does not know them, hence --force-depends.
dpkg --root="$root" --log=/dev/null --force-depends --force-not-root \
    --force-script-chrootless -i "$work"/*.deb >"$work/dpkg.log" 2>&1 ||
    { cat "$work/dpkg.log"; fail "dpkg -i"; }
for p in xlsr libxlsr0 libxlsr-dev; do
    dpkg --root="$root" -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' ||
        fail "$p not installed"
done
has_plugin_dir=$(sed -n 's/^plugin_dir = //p' "$root/etc/xlsr/xlsr.ini")
[ "$has_plugin_dir" = "/usr/lib/$ma/xlsr/plugins" ] ||
    fail "installed plugin_dir is '$has_plugin_dir'"
X=$root/usr/bin/xlsr
"$X" --version
"$X" help | grep -q '^/etc/xlsr/xlsr\.ini\.$' || fail "default configuration is not /etc/xlsr/xlsr.ini"

step "xlsr verify of the bundled example with the installed plugins"
make -C "$top" --no-print-directory -s build/example.xl >/dev/null
sed "s|^plugin_dir = .*|plugin_dir = $root/usr/lib/$ma/xlsr/plugins|" \
    "$root/etc/xlsr/xlsr.ini" >"$work/scratch.ini"
"$X" verify -c "$work/scratch.ini" "$top/build/example.xl" >"$work/verify.out"
cat "$work/verify.out"
grep -q '^verify: ok: 4 records' "$work/verify.out" || fail "verify of the example"
"$X" verify --json -c "$work/scratch.ini" "$top/build/example.xl" | tail -n 1 |
    python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["ok"] and r["records"] == 4, r'
"$X" plugins -c "$work/scratch.ini" | grep -q "libxc .*$root/usr/lib/$ma/xlsr/plugins/libxc\.so" ||
    fail "xlsr plugins does not list the installed libxc"
LC_ALL=C.UTF-8 man --warnings -l "$root/usr/share/man/man1/xlsr.1.gz" >/dev/null 2>"$work/man.err" &&
    [ ! -s "$work/man.err" ] || fail "xlsr.1: $(cat "$work/man.err")"

step "an edited conffile survives removal; purge removes it"
echo '; edited' >>"$root/etc/xlsr/xlsr.ini"
dpkg --root="$root" --log=/dev/null --force-depends --force-not-root \
    --force-script-chrootless -r xlsr >/dev/null 2>&1 || fail "dpkg -r"
[ ! -e "$root/usr/bin/xlsr" ] || fail "xlsr not removed"
[ -f "$root/etc/xlsr/xlsr.ini" ] || fail "conffile removed by dpkg -r"
dpkg --root="$root" --log=/dev/null --force-depends --force-not-root \
    --force-script-chrootless -P xlsr >/dev/null 2>&1 || fail "dpkg -P"
[ ! -e "$root/etc/xlsr/xlsr.ini" ] || fail "conffile left after purge"
echo "deb-check: ok: xlsr, libxlsr0, libxlsr-dev $ver built from a clean clone, lintian clean of errors, installed and verified"
