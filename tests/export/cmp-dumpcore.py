#!/usr/bin/env python3
"""tests/export/cmp-dumpcore.py - an `xl dump-core` of a paused domain
against xlsr's raw export of an `xl save` of the same paused domain:
every guest page the dump-core holds must be equal.

  cmp-dumpcore.py CORE SAVE RAW

The dump-core (Xen docs/misc/dump-core-format.txt) is read here: ELF64
sections .note.Xen, .xen_pages, and .xen_p2m ({pfn, gmfn}, PV) or
.xen_pfn (HVM/PVH).  A PV dump-core holds page tables as the hypervisor
has them (machine frames); the save holds them as the saver normalised
them (xg_sr_save_x86_pv.c normalise_pagetable: every present entry's
frame turned into a pfn, the Xen slots 256-272 of an L4 cleared), so
page-table pages (types from the save's PAGE_DATA) are compared after the
same normalisation, with the dump-core's own p2m.
Prints "ok: N pages equal (K page tables normalised)" or the differences.
"""
import importlib.util
import os
import struct
import sys

PAGE = 4096
FRAME = 0x000FFFFFFFFFF000

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "check_export", os.path.join(here, "check-export.py"))
ce = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ce)


def sections(f):
    f.seek(0)
    e = f.read(64)
    if e[:4] != b"\x7fELF" or e[4] != 2:
        sys.exit("cmp-dumpcore: %s is not ELF64" % f.name)
    shoff, = struct.unpack_from("<Q", e, 40)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", e, 58)
    hdrs = []
    for i in range(shnum):
        f.seek(shoff + i * shentsize)
        h = struct.unpack("<IIQQQQIIQQ", f.read(64))
        hdrs.append(h)
    strtab = hdrs[shstrndx]
    f.seek(strtab[4])
    names = f.read(strtab[5])
    out = {}
    for h in hdrs:
        n = names[h[0]:names.index(b"\0", h[0])].decode()
        out[n] = (h[4], h[5])           # offset, size
    return out


def normalise(page, level, m2p):
    out = bytearray(page)
    for i in range(PAGE // 8):
        pte, = struct.unpack_from("<Q", page, 8 * i)
        if level == 4 and 256 <= i <= 272:
            pte = 0
        if pte & 1:
            mfn = (pte & FRAME) >> 12
            if mfn not in m2p:
                return None
            pte = (pte & ~FRAME) | (m2p[mfn] << 12)
        struct.pack_into("<Q", out, 8 * i, pte)
    return bytes(out)


def main():
    core_path, save, raw = sys.argv[1:]
    core = open(core_path, "rb")
    sec = sections(core)
    poff, psize = sec[".xen_pages"]
    if ".xen_p2m" in sec:
        off, size = sec[".xen_p2m"]
        core.seek(off)
        ents = [struct.unpack_from("<QQ", core.read(size), 16 * i)
                for i in range(size // 16)]
    else:
        off, size = sec[".xen_pfn"]
        core.seek(off)
        data = core.read(size)
        ents = [(struct.unpack_from("<Q", data, 8 * i)[0], None)
                for i in range(size // 8)]
    m2p = {g: p for p, g in ents if g is not None and p != 2**64 - 1}
    ref = ce.Ref(save).walk()
    r = open(raw, "rb")
    equal = tables = 0
    bad = []
    for i, (pfn, _) in enumerate(ents):
        if pfn == 2**64 - 1:
            continue
        core.seek(poff + i * PAGE)
        cpage = core.read(PAGE)
        r.seek(pfn * PAGE)
        ours = r.read(PAGE)
        t = ref.types.get(pfn, 0) & 7
        if t in (1, 2, 3, 4) and ".xen_p2m" in sec:
            cpage = normalise(cpage, t, m2p)
            tables += 1
        if pfn not in ref.committed:
            bad.append("pfn %#x: in the dump-core, not in the save" % pfn)
        elif cpage != ours:
            bad.append("pfn %#x (type %d) differs" % (pfn, t))
        else:
            equal += 1
    if bad:
        print("cmp-dumpcore: %d of %d pages differ:" % (len(bad), len(ents)))
        print("\n".join(bad[:20]))
        sys.exit(1)
    print("ok: %d pages equal (%d page tables normalised), dump-core %s" %
          (equal, tables, "PV .xen_p2m" if ".xen_p2m" in sec else ".xen_pfn"))


if __name__ == "__main__":
    main()
