#!/bin/bash
# tests/xen/bundle.sh - builds (or finds in the cache) the boot bundle of the
# real-Xen suite: everything that comes from Debian packages and does not
# change with the xlsr checkout.
#
#   bash tests/xen/bundle.sh        # prints BUNDLE=<dir> as its last line
#
# The bundle directory holds
#   xen.elf          the hypervisor (xen-hypervisor-4.17-amd64, gunzipped:
#                    QEMU's -kernel boots it as a multiboot ELF)
#   vmlinuz          the Debian kernel as packaged (bzImage)
#   vmlinux          its ELF image, which dom0 and the guest boot
#   dom0-base.cpio.gz  dom0's root: busybox, the Xen tools we run, their
#                    shared libraries, the kernel modules dom0 needs, and the
#                    guest's kernel + initramfs under /guest
#   versions.txt     the package versions it was made from
# The per-run part (this checkout's xlsr, /init, the test script) is a second
# small cpio that tests/xen/boot.sh appends; the kernel unpacks both.
#
# Cache: $XLSR_XEN_CACHE, else /var/cache/xlsr-xen when writable, else
# build/xen-cache.  A bundle lives in a folder named after a hash of the
# package versions and of the inputs in tests/xen it is built from, so a
# second run finds it and a new package or script builds a new one.
#
# Exit status: 0 ok; 77 when this machine cannot build it (packages missing
# and not root, no network for apt-get download), with the reason on the
# last line of stdout; anything else is a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

skip() { echo "SKIP: $*"; exit 77; }
say() { echo "bundle: $*" >&2; }

# Host tools needed to build the bundle or to boot it.  Package -> a file it
# installs, to tell whether it is there without asking dpkg.
declare -A NEED=(
    [qemu-system-x86]=/usr/bin/qemu-system-x86_64
    [busybox-static]=/bin/busybox
    [xen-utils-4.17]=/usr/lib/xen-4.17/bin/xl
    [xenstore-utils]=/usr/bin/xenstore-read
    [cpio]=/usr/bin/cpio
    [kmod]=/usr/bin/kmod
    [xz-utils]=/usr/bin/xz
    [qemu-system-xen]=/usr/libexec/xen-qemu-system-i386
    [seabios]=/usr/share/seabios/bios-256k.bin
    [qemu-system-data]=/usr/share/qemu/linuxboot_dma.bin
)
missing=()
for p in "${!NEED[@]}"; do [ -e "${NEED[$p]}" ] || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || skip "packages missing and not root: ${missing[*]}"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
        { apt-get update -q >&2 &&
          apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } ||
        skip "apt-get install ${missing[*]} failed"
fi
# The busybox we copy must be the static one (the initramfs has no libc
# for it otherwise).
file -b /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
    ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' ||
    skip "/bin/busybox is not static (install busybox-static)"

# The kernel: whatever linux-image-amd64 points at in this apt.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
       awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || skip "apt knows no linux-image-amd64 (apt-get update?)"
kver=${kpkg#linux-image-}
cand() { apt-cache policy "$1" | awk '/Candidate:/ {print $2; exit}'; }
inst() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo none; }

# The cache key: every input that changes what ends up in the bundle.
versions=$(
    echo "xen-hypervisor-4.17-amd64 $(cand xen-hypervisor-4.17-amd64)"
    echo "$kpkg $(cand "$kpkg")"
    for p in busybox-static xen-utils-4.17 xenstore-utils libc6 libgcc-s1 \
             qemu-system-xen seabios qemu-system-data; do
        echo "$p $(inst "$p")"
    done
)
key=$( { echo "$versions"; cat "$here/bundle.sh" "$here/guest-init"; } |
       sha256sum | cut -c1-16)

cache=${XLSR_XEN_CACHE:-}
if [ -z "$cache" ]; then
    if mkdir -p /var/cache/xlsr-xen 2>/dev/null && [ -w /var/cache/xlsr-xen ]
    then cache=/var/cache/xlsr-xen
    else cache=$top/build/xen-cache
    fi
fi
mkdir -p "$cache"
out=$cache/bundle-$key
# One builder at a time: the sanitizer pass or a second checkout may ask
# for the same bundle while we build it.
exec 9>"$cache/.lock"
flock 9
if [ -f "$out/done" ]; then
    say "cached: $out"
    echo "BUNDLE=$out"
    exit 0
fi
say "building $out"
t0=$(date +%s)
rm -rf "$out" "$out.tmp"
mkdir -p "$out.tmp"
w=$out.tmp

# --- packages: apt-get download + dpkg -x (never installed) ----------------
debs=$cache/debs
# As root, apt drops to user _apt to download, which cannot write here.
aptopt=; [ "$(id -u)" = 0 ] && aptopt="-o APT::Sandbox::User=root"
mkdir -p "$debs"
fetch() { # fetch PACKAGE: the .deb of the candidate version into $debs
    local v f
    v=$(cand "$1" | sed 's/^[0-9]*://; s/:/%3a/g')
    f=$(ls "$debs/$1_${v}_"*.deb 2>/dev/null | head -n 1 || true)
    if [ -z "$f" ]; then
        (cd "$debs" && apt-get download -q $aptopt "$1" >&2) ||
            { apt-get update -q >&2 && (cd "$debs" && apt-get download -q $aptopt "$1" >&2); } ||
            skip "apt-get download $1 failed (no network or mirror?)"
        f=$(ls "$debs/$1_"*.deb | head -n 1)
    fi
    dpkg -x "$f" "$w/x"
}
fetch xen-hypervisor-4.17-amd64
fetch "$kpkg"
zcat "$w/x/boot/xen-4.17-amd64.gz" >"$w/xen.elf"
cp "$w/x/boot/vmlinuz-$kver" "$w/vmlinuz"
depmod -b "$w/x" "$kver"
# The kernel's ELF image, unpacked from the bzImage here once: Xen (for
# dom0) and libxenguest (for the guest) load either, but unpacking the xz
# payload under TCG costs each of them about ten seconds per boot.
xzoff=$(LC_ALL=C grep -abo "$(printf '\3757zXZ')" "$w/vmlinuz" | head -n 1 | cut -d: -f1)
# (The payload is followed by other data, hence --single-stream.)
if [ -n "$xzoff" ] &&
   tail -c +$((xzoff + 1)) "$w/vmlinuz" >"$w/payload.xz" &&
   xz -dc --single-stream "$w/payload.xz" >"$w/vmlinux" 2>/dev/null &&
   [ "$(head -c 4 "$w/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
    say "unpacked vmlinux ($(stat -c %s "$w/vmlinux") bytes)"
else
    say "no xz payload found in vmlinuz: booting the bzImage"
    rm -f "$w/vmlinux"
    cp "$w/vmlinuz" "$w/vmlinux"
fi

# --- the guest's initramfs: busybox + guest-init ---------------------------
g=$w/guest
mkdir -p "$g"/{bin,dev,proc}
cp /bin/busybox "$g/bin/"
for a in sh echo cat cut sleep mount; do ln -s busybox "$g/bin/$a"; done
install -m 755 "$here/guest-init" "$g/init"
(cd "$g" && find . | cpio -o -H newc --quiet | gzip -9) >"$w/guest-initrd.gz"

# --- dom0's root ------------------------------------------------------------
r=$w/root
mkdir -p "$r"/{bin,sbin,dev,proc,sys,run,tmp,out,root,guest,lib64} \
         "$r"/usr/{bin,sbin,lib} "$r"/etc/xen \
         "$r"/var/{lib/xen,lib/xenstored,log/xen/console}
ln -s ../run "$r/var/run"
cp /bin/busybox "$r/bin/"
for a in $("$r/bin/busybox" --list); do
    [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
done
# Only the Xen tools the suite runs: xl (+ the save helper it execs), the
# daemons, and the xenstore clients (one binary, named by argv[0]).
xbin=/usr/lib/xen-4.17/bin
mkdir -p "$r$xbin"
for t in xl libxl-save-helper xenstored xenconsoled xen-init-dom0 xenconsole; do
    cp "$xbin/$t" "$r$xbin/"
done
for t in xl xenstored xenconsoled xen-init-dom0 xenconsole; do
    ln -s "..${xbin#/usr}/$t" "$r/usr/sbin/$t"
done
cp /usr/bin/xenstore "$r/usr/bin/"
for t in read write list ls rm exists chmod watch; do
    ln -s xenstore "$r/usr/bin/xenstore-$t"
done
cp /etc/xen/xl.conf "$r/etc/xen/"
# HVM: the qemu-xen device model (libxl's compiled-in path), hvmloader
# (libxl loads it from /usr/lib/xen-4.17/boot), SeaBIOS (libxl loads
# bios-256k.bin itself; QEMU finds vgabios-stdvga.bin there) and the ROMs
# QEMU looks up in /usr/share/qemu (linuxboot for direct kernel boot).
mkdir -p "$r/usr/libexec" "$r/usr/lib/xen-4.17/boot" "$r/usr/share/seabios" \
         "$r/usr/share/qemu"
cp -L /usr/libexec/xen-qemu-system-i386 "$r/usr/libexec/"
cp -L /usr/lib/xen-4.17/boot/hvmloader "$r/usr/lib/xen-4.17/boot/"
cp -rL /usr/share/seabios/. "$r/usr/share/seabios/"
# keymaps: QEMU reads en-us for -vnc none too, and exits without it.
for f in linuxboot.bin linuxboot_dma.bin kvmvapic.bin keymaps; do
    cp -rL "/usr/share/qemu/$f" "$r/usr/share/qemu/"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
echo 'root:x:0:' >"$r/etc/group"

# Shared libraries: the ldd closure of every binary above.  glibc also
# dlopen()s libgcc_s for pthread_cancel; xl aborts without it.
libs() {
    for e in "$@"; do
        ldd "$e" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib64/ {print $1}'
    done | sort -u
}
for l in $(libs "$r$xbin"/* /usr/bin/xenstore /usr/libexec/xen-qemu-system-i386) \
         /lib/x86_64-linux-gnu/libgcc_s.so.1; do
    mkdir -p "$r$(dirname "$l")"
    cp -L "$l" "$r$l"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$r/lib64/"

# Kernel modules, in load order.  modules.dep lists every module's whole
# dependency closure, the one to load first last.
md=$w/x/lib/modules/$kver
want="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs virtio_pci 9pnet_virtio 9p"
awk -v want="$want" '
    BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) { gsub("-", "_", w[i]); wanted[w[i]] = i } }
    {
        mod = $1; sub(":$", "", mod)
        name = mod; sub(".*/", "", name); sub("\\.ko(\\.[a-z]+)?$", "", name)
        gsub("-", "_", name)
        if (name in wanted) {
            line[wanted[name]] = ""
            for (i = NF; i >= 2; i--) line[wanted[name]] = line[wanted[name]] " " $i
            line[wanted[name]] = line[wanted[name]] " " mod
        }
    }
    END {
        for (i = 1; i <= n; i++) {
            if (!(i in line)) { print "module not found: " w[i] > "/dev/stderr"; exit 1 }
            k = split(line[i], m, " ")
            for (j = 1; j <= k; j++) if (!(m[j] in seen)) { seen[m[j]] = 1; print m[j] }
        }
    }' "$md/modules.dep" >"$r/modules.order"
while read -r m; do
    mkdir -p "$r/lib/modules/$kver/$(dirname "$m")"
    cp "$md/$m" "$r/lib/modules/$kver/$m"
done <"$r/modules.order"
echo "$kver" >"$r/kver"

# The guest payload.
cp "$w/vmlinux" "$r/guest/vmlinux"
# QEMU's direct kernel boot (HVM) needs the bzImage.
cp "$w/vmlinuz" "$r/guest/vmlinuz"
cp "$w/guest-initrd.gz" "$r/guest/initrd.gz"

(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) >"$w/dom0-base.cpio.gz"
echo "$versions" >"$w/versions.txt"
rm -rf "$w/x" "$w/guest" "$w/root" "$w/payload.xz"
touch "$w/done"
mv "$w" "$out"
say "built in $(( $(date +%s) - t0 )) s: $(du -sh "$out" | cut -f1)"
# Older bundles: another checkout may still use one, so the newest three
# stay; the rest go.
ls -dt "$cache"/bundle-* 2>/dev/null | tail -n +4 | while read -r old; do
    say "removing old bundle $old"
    rm -rf "$old"
done
echo "BUNDLE=$out"
