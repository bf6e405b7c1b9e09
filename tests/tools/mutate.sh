# tests/tools/mutate.sh - in-place mutations of a saved image, for the
# semantic verify tests and the real-Xen differential (sourced; POSIX sh).
#
#   lx_offsets IMAGE >OFFS        "NAME OFFSET" of each libxc record (dump -v)
#   lx_rec OFFS NAME              offset of the first libxc record NAME
#   poke FILE OFFSET HEX          overwrite bytes at OFFSET with HEX bytes
#   le32 N / le64 N               N as little-endian hex bytes

lx_offsets() {
    "$XLSR" dump -v -c "$2" "$1" |
        sed -n 's/^  offset \([0-9]*\): libxc record 0x[0-9a-f]* \([A-Z0-9_]*\),.*/\2 \1/p'
}

lx_rec() { awk -v n="$2" '$1 == n { print $2; exit }' "$1"; }

poke() {
    printf "$(echo "$3" | sed 's/../\\x&/g')" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

le32() { printf '%08x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/'; }
le64() { printf "%s%s" "$(le32 $(($1 & 0xffffffff)))" "$(le32 $((($1 >> 32) & 0xffffffff)))"; }

# lx_pages IMAGE OFFS TYPE: "PFN-ENTRY-OFFSET PAGE-OFFSET PFN" of each page
# of page type TYPE (0-15) in the PAGE_DATA records listed in OFFS.
lx_pages() {
    python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
img, offs, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
f = open(img, 'rb')
for line in open(offs):
    name, off = line.split()
    if name != 'PAGE_DATA':
        continue
    f.seek(int(off) + 8)
    count, _ = struct.unpack('<II', f.read(8))
    pfns = struct.unpack('<%dQ' % count, f.read(8 * count))
    data = int(off) + 16 + 8 * count
    for i, e in enumerate(pfns):
        t = e >> 60
        if t == want:
            print(int(off) + 16 + 8 * i, data, e & ((1 << 52) - 1))
        if t in (0, 1, 2, 3, 4, 9, 10, 11, 12):
            data += 4096
PY
}
