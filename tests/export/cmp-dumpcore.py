#!/usr/bin/env python3
"""tests/export/cmp-dumpcore.py - judges what the real-Xen step
tests/xen/image-tests/export-dumpcore.sh left: `xl dump-core` of a paused
PV domain against xlsr's raw export of an `xl save -p` of the same paused
domain.  dom0 compared .xen_pages with the raw export by cmp and kept the
pages that differ; here, with the dump-core's .xen_p2m ({pfn, gmfn}
pairs, Xen docs/misc/dump-core-format.txt):

  - its pfns are 0 .. N-1 in order and the export is N pages long, so
    page i of .xen_pages is the export's page at i * 4096;
  - every page that differs is a page table, equal once the dump-core's
    machine frames are turned into pfns through its own p2m, as the saver
    normalises them (xg_sr_save_x86_pv.c normalise_pagetable: each present
    entry's frame becomes its pfn; in an L4, the Xen slots 256-272 are
    cleared).

  cmp-dumpcore.py SHARE   (files theirs.p2m diff-idx.txt diff-theirs.bin
                           diff-ours.bin; results.txt export_p2m_theirs,
                           export_raw_bytes)

PVH/HVM are compared by pfn in dom0 (tests/xen/dumpcmp.c) and judged by
tests/xen/t-xen-export.sh from its facts.
Prints "ok: ..." or the differences (exit 1).
"""
import os
import struct
import sys

PAGE = 4096
FRAME = 0x000FFFFFFFFFF000


def result(share, key):
    v = None
    for line in open(os.path.join(share, "results.txt")):
        if line.startswith(key + " "):
            v = line[len(key) + 1:].strip()
    return v


def p2m(share, who):
    off, size = (int(x) for x in result(share, "export_p2m_" + who).split())
    data = open(os.path.join(share, who + ".p2m"), "rb").read()
    data = data[off % PAGE:off % PAGE + size]
    return [struct.unpack_from("<QQ", data, 16 * i) for i in range(size // 16)]


def normalise(page, m2p, l4):
    out = bytearray(PAGE)
    for i in range(PAGE // 8):
        pte, = struct.unpack_from("<Q", page, 8 * i)
        if l4 and 256 <= i <= 272:
            pte = 0
        if pte & 1:
            mfn = (pte & FRAME) >> 12
            if mfn not in m2p:
                return None
            pte = (pte & ~FRAME) | (m2p[mfn] << 12)
        struct.pack_into("<Q", out, 8 * i, pte)
    return bytes(out)


def main():
    share = sys.argv[1]
    theirs = p2m(share, "theirs")
    valid = [e for e in theirs if e[0] != 2**64 - 1]
    # dom0 compared page i of .xen_pages with the raw export at i * 4096:
    # right only when the dump-core's pfns are exactly 0 .. N-1 and the
    # export ends there too (a PV guest's p2m is dense).
    if [p for p, _ in valid] != list(range(len(valid))):
        sys.exit("cmp-dumpcore: the dump-core's pfns are not 0 .. %d in "
                 "order; dom0's page-by-page cmp does not apply" %
                 (len(valid) - 1))
    raw = int(result(share, "export_raw_bytes"))
    if raw != len(valid) * PAGE:
        sys.exit("cmp-dumpcore: the export holds %d bytes, the dump-core "
                 "%d pages" % (raw, len(valid)))
    m2p = {g: p for p, g in valid}
    idx = [int(x) for x in open(os.path.join(share, "diff-idx.txt"))]
    a = open(os.path.join(share, "diff-theirs.bin"), "rb").read()
    b = open(os.path.join(share, "diff-ours.bin"), "rb").read()
    bad = []
    for k, i in enumerate(idx):
        tp, op = a[k * PAGE:(k + 1) * PAGE], b[k * PAGE:(k + 1) * PAGE]
        if normalise(tp, m2p, False) != op and normalise(tp, m2p, True) != op:
            bad.append("pfn %#x differs (not a page table in pfn form)" %
                       valid[i][0])
    if bad:
        print("cmp-dumpcore: %d pages differ:\n%s" % (len(bad),
                                                      "\n".join(bad[:20])))
        sys.exit(1)
    print("ok: %d pages of the dump-core, %d equal byte for byte, %d page "
          "tables equal once normalised to pfns" %
          (len(valid), len(valid) - len(idx), len(idx)))


if __name__ == "__main__":
    main()
