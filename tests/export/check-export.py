#!/usr/bin/env python3
"""tests/export/check-export.py - judges an `xlsr export` output against
the stream it came from, with readers that share no code with xlsr.

  check-export.py STREAM FORMAT OUTPUT [--samples N]

The reference memory comes from our own walk of the stream here
(independent of plugins/export): xl header, libxl records, the inline
libxc stream; PAGE_DATA copies with the last one winning; checkpoints as
libxenguest applies them (pages of checkpoint N > 1 only once its libxl
CHECKPOINT_END arrived; none after the last CHECKPOINT; the memory of
the last complete checkpoint when the stream breaks).

Then, per format:
  elf   readelf -lW: one PT_LOAD per reference run, p_paddr = gpa,
        p_filesz == p_memsz; python3-libkdumpfile reads sampled physical
        addresses (KDUMP_MACHPHYSADDR) and the vCPU registers (rip).
  raw   size = end of the last run; sampled bytes at offset = gpa; hole
        pages read as zeros.
  lime  its range headers (parsed here): one per run, ascending.
  dump-core  libkdumpfile opens it as xc_core_elf and reads sampled
        guest-physical pages (KDUMP_KPHYSADDR); .xen_pfn/.xen_p2m (parsed
        here) lists exactly the stream's pfns.
Prints "ok: ..." or fails with a reason (exit 1).
"""
import random
import re
import struct
import subprocess
import sys

PAGE = 4096
HAS_DATA = [1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0]


def die(msg):
    print("check-export: " + msg)
    sys.exit(1)


class Ref:
    """pfn -> stream offset of its page, as a restore would apply it."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.committed, self.pending = {}, {}
        self.types = {}                     # pfn -> page type, last copy
        self.cpu_committed, self.cpu_pending = {}, {}
        # vCPU -> FXSAVE image or None; PV SHARED_INFO page or None
        self.fpu_committed, self.fpu_pending = {}, {}
        self.shinfo, self.shinfo_pending = None, None
        self.ckpts, self.in_ckpt_mode = 0, False
        self.guest = None

    def rd(self, n):
        b = self.f.read(n)
        if len(b) != n:
            raise EOFError
        return b

    def walk(self):
        f = self.f
        if f.read(32) != b"Xen saved domain, xl format\n \0 \r":
            f.seek(0)
        else:
            _, _, _, optlen = struct.unpack("<IIII", self.rd(16))
            self.rd(optlen)
        self.rd(16)                         # libxl header
        t, ln = struct.unpack("<II", self.rd(8))
        assert t == 1 and ln == 0, "first libxl record is not LIBXC_CONTEXT"
        try:
            self.libxc()
        except EOFError:
            if not self.ckpts:
                die("reference: stream ends before the first checkpoint")
        return self

    def commit(self):
        self.committed.update(self.pending)
        self.cpu_committed.update(self.cpu_pending)
        self.fpu_committed.update(self.fpu_pending)
        if self.shinfo_pending is not None:
            self.shinfo = self.shinfo_pending
        self.pending, self.cpu_pending, self.fpu_pending = {}, {}, {}
        self.shinfo_pending = None

    def libxc(self):
        self.rd(24)
        self.guest = struct.unpack("<I", self.rd(16)[:4])[0]
        while True:
            t, ln = struct.unpack("<II", self.rd(8))
            at = self.f.tell()
            if t == 0x01:
                n = struct.unpack("<I", self.rd(8)[:4])[0]
                ents = struct.unpack("<%dQ" % n, self.rd(8 * n))
                off = self.f.tell()
                for e in ents:
                    if HAS_DATA[e >> 60]:
                        self.pending[e & ((1 << 52) - 1)] = off
                        self.types[e & ((1 << 52) - 1)] = e >> 60
                        off += PAGE
            elif t == 0x09:
                body = self.rd(ln)
                i = 0
                while i + 8 <= len(body):
                    code, inst, dl = struct.unpack_from("<HHI", body, i)
                    if code == 2:
                        self.cpu_pending[inst] = struct.unpack_from(
                            "<Q", body, i + 8 + 640)[0]
                        # fpu_regs at 0, flags (FPU_INITIALISED) at 1024
                        ok = dl >= 1028 and struct.unpack_from(
                            "<I", body, i + 8 + 1024)[0] & 1
                        self.fpu_pending[inst] = (body[i + 8:i + 520]
                                                  if ok else None)
                    i += 8 + dl
                    if code == 0:
                        break
            elif t == 0x04:
                body = self.rd(ln)
                v = struct.unpack_from("<I", body)[0]
                self.cpu_pending[v] = struct.unpack_from("<Q", body, 8 + 648)[0]
                # fpu_ctxt at 0, flags (VGCF_i387_valid) at 512
                ok = struct.unpack_from("<Q", body, 8 + 512)[0] & 1
                self.fpu_pending[v] = body[8:520] if ok else None
            elif t == 0x07 and self.guest == 1:
                self.shinfo_pending = self.rd(ln)
            self.f.seek(at + ln + (8 - ln % 8) % 8)
            if t == 0x00:
                if not self.in_ckpt_mode:
                    self.commit()
                return
            if t == 0x0E:
                while True:                 # libxl part up to CHECKPOINT_END
                    lt, ll = struct.unpack("<II", self.rd(8))
                    self.rd(ll + (8 - ll % 8) % 8)
                    if lt == 4:
                        break
                self.commit()
                self.ckpts += 1
                self.in_ckpt_mode = True

    def runs(self):
        out = []
        for p in sorted(self.committed):
            if out and out[-1][1] == p:
                out[-1][1] = p + 1
            else:
                out.append([p, p + 1])
        return out

    def page(self, pfn):
        self.f.seek(self.committed[pfn])
        return self.f.read(PAGE)


def samples(ref, n):
    pf = sorted(ref.committed)
    pick = set(random.Random(7).sample(pf, min(n, len(pf))))
    for a, b in ref.runs():
        pick.update((a, b - 1))
    return sorted(pick)


def check_elf(ref, out, picks):
    txt = subprocess.run(["readelf", "-lW", out], capture_output=True,
                         text=True, check=True).stdout
    loads = []
    for m in re.finditer(r"^\s*LOAD\s+(0x\S+)\s+(0x\S+)\s+(0x\S+)\s+(0x\S+)"
                         r"\s+(0x\S+)", txt, re.M):
        off, va, pa, fs, ms = (int(x, 16) for x in m.groups())
        if fs != ms:
            die("PT_LOAD at %#x: p_filesz %#x != p_memsz %#x" % (pa, fs, ms))
        loads.append([pa // PAGE, (pa + fs) // PAGE])
    if loads != ref.runs():
        die("PT_LOADs %s differ from the stream's runs %s" %
            (loads[:5], ref.runs()[:5]))
    import kdumpfile
    k = kdumpfile.kdumpfile(out)
    for p in picks:
        got = k.read(kdumpfile.KDUMP_MACHPHYSADDR, p * PAGE, PAGE)
        if bytes(got) != ref.page(p):
            die("libkdumpfile: gpa %#x differs from the stream" % (p * PAGE))
    n = k.attr["cpu.number"]
    if n != len(ref.cpu_committed):
        die("libkdumpfile sees %d vCPUs, the stream has %d" %
            (n, len(ref.cpu_committed)))
    for i, (v, rip) in enumerate(sorted(ref.cpu_committed.items())):
        got = k.attr["cpu.%d.reg.rip" % i]
        if got != rip:
            die("vCPU %d: rip %#x, the stream says %#x" % (v, got, rip))
    nf = check_fpregs(ref, out)
    return "%d PT_LOADs, %d vCPUs, %d NT_PRFPREG" % (len(loads), n, nf)


def elf_notes(path):
    """(name, type, desc) of every note in the PT_NOTE segments."""
    f = open(path, "rb")
    e = f.read(64)
    phoff, = struct.unpack_from("<Q", e, 32)
    phnum, = struct.unpack_from("<H", e, 56)
    out = []
    for i in range(phnum):
        f.seek(phoff + 56 * i)
        pt, _, off, _, _, fs = struct.unpack("<IIQQQQ", f.read(40))
        if pt != 4:
            continue
        f.seek(off)
        b = f.read(fs)
        j = 0
        while j + 12 <= len(b):
            nsz, dsz, typ = struct.unpack_from("<III", b, j)
            j += 12
            name = b[j:j + nsz].rstrip(b"\0").decode()
            j += (nsz + 3) & ~3
            out.append((name, typ, b[j:j + dsz]))
            j += (dsz + 3) & ~3
    return out


def check_fpregs(ref, out):
    """NT_PRFPREG per vCPU exactly where the stream has its FPU state,
    each vCPU's notes following its NT_PRSTATUS; bytes as sent."""
    cur, seen = None, {}
    for name, typ, desc in elf_notes(out):
        if name == "CORE" and typ == 1:
            cur = struct.unpack_from("<I", desc, 32)[0] - 1     # pr_pid
        elif name == "CORE" and typ == 2:
            seen[cur] = desc
    want = {v: b for v, b in ref.fpu_committed.items() if b is not None}
    if sorted(seen) != sorted(want):
        die("NT_PRFPREG for vCPUs %s, the stream has FPU state for %s" %
            (sorted(seen), sorted(want)))
    for v, b in want.items():
        if seen[v] != b:
            die("vCPU %d: NT_PRFPREG differs from the stream's FXSAVE" % v)
    return len(seen)


def check_raw(ref, out, picks):
    f = open(out, "rb")
    runs = ref.runs()
    end = runs[-1][1] * PAGE if runs else 0
    f.seek(0, 2)
    if f.tell() != end:
        die("raw size %d, the last run ends at %d" % (f.tell(), end))
    for p in picks:
        f.seek(p * PAGE)
        if f.read(PAGE) != ref.page(p):
            die("raw: gpa %#x differs from the stream" % (p * PAGE))
    holes = [a for (_, a), (b, _) in zip(runs, runs[1:])][:50]
    for h in holes:
        f.seek(h * PAGE)
        if f.read(PAGE) != bytes(PAGE):
            die("raw: hole page %#x is not zero" % h)
    return "%d runs, %d holes read as zeros" % (len(runs), len(holes))


def check_lime(ref, out, picks):
    f = open(out, "rb")
    where, ranges = {}, []
    while True:
        h = f.read(32)
        if not h:
            break
        magic, ver, s, e, _ = struct.unpack("<IIQQQ", h)
        if magic != 0x4C694D45 or ver != 1:
            die("LiME header at %d: magic %#x version %d" %
                (f.tell() - 32, magic, ver))
        if ranges and s < ranges[-1][1] * PAGE:
            die("LiME ranges not ascending at %#x" % s)
        ranges.append([s // PAGE, (e + 1) // PAGE])
        where[s // PAGE] = f.tell()
        f.seek(e + 1 - s, 1)
    if ranges != ref.runs():
        die("LiME ranges %s differ from the stream's runs %s" %
            (ranges[:5], ref.runs()[:5]))
    for p in picks:
        start = max(s for s in where if s <= p)
        f.seek(where[start] + (p - start) * PAGE)
        if f.read(PAGE) != ref.page(p):
            die("LiME: gpa %#x differs from the stream" % (p * PAGE))
    return "%d ranges" % len(ranges)


def check_dumpcore(ref, out, picks):
    import kdumpfile
    k = kdumpfile.kdumpfile(out)
    if k.attr["file.format"] != "xc_core_elf":
        die("libkdumpfile reads %s as %s" % (out, k.attr["file.format"]))
    for p in picks:
        got = k.read(kdumpfile.KDUMP_KPHYSADDR, p * PAGE, PAGE)
        if bytes(got) != ref.page(p):
            die("libkdumpfile: gpa %#x differs from the stream" % (p * PAGE))
    # the pfn table, read here from the section headers
    f = open(out, "rb")
    e = f.read(64)
    shoff, = struct.unpack_from("<Q", e, 40)
    shnum, strndx = struct.unpack_from("<HH", e, 60)
    hs = []
    for i in range(shnum):
        f.seek(shoff + 64 * i)
        hs.append(struct.unpack("<IIQQQQIIQQ", f.read(64)))
    f.seek(hs[strndx][4])
    names = f.read(hs[strndx][5])
    sec = {names[h[0]:names.index(b"\0", h[0])].decode(): h for h in hs}
    name = ".xen_p2m" if ".xen_p2m" in sec else ".xen_pfn"
    esz = 16 if name == ".xen_p2m" else 8
    f.seek(sec[name][4])
    tab = f.read(sec[name][5])
    pfns = [struct.unpack_from("<Q", tab, esz * i)[0]
            for i in range(len(tab) // esz)]
    if pfns != sorted(ref.committed):
        die("%s lists %d pfns, the stream %d" % (name, len(pfns),
                                                 len(ref.committed)))
    if sec[".xen_pages"][5] != PAGE * len(pfns):
        die(".xen_pages size %d for %d pages" % (sec[".xen_pages"][5],
                                                 len(pfns)))
    # .xen_shared_info: the PV SHARED_INFO page, absent without one
    si = sec.get(".xen_shared_info")
    if (si is None) != (ref.shinfo is None):
        die(".xen_shared_info %s, the stream's SHARED_INFO %s" %
            ("absent" if si is None else "present",
             "absent" if ref.shinfo is None else "present"))
    if si is not None:
        f.seek(si[4])
        if f.read(si[5]) != ref.shinfo:
            die(".xen_shared_info differs from the stream's SHARED_INFO")
    # .xen_prstatus: vcpu_guest_context per vCPU, fpu_ctxt at 0, flags
    # at 512 (VGCF_i387_valid only with the stream's FPU state)
    ps = sec[".xen_prstatus"]
    nf = 0
    for i, v in enumerate(sorted(ref.cpu_committed)):
        f.seek(ps[4] + ps[9] * i)
        ctx = f.read(ps[9])
        want = ref.fpu_committed.get(v)
        valid = struct.unpack_from("<Q", ctx, 512)[0] & 1
        if bool(valid) != (want is not None):
            die("vCPU %d: VGCF_i387_valid %d, the stream %s FPU state" %
                (v, valid, "has" if want is not None else "has no"))
        if want is not None and ctx[:512] != want:
            die("vCPU %d: fpu_ctxt differs from the stream's FXSAVE" % v)
        nf += want is not None
    return "%s of %d pfns, libkdumpfile xc_core_elf, %s, %d fpu_ctxt" % (
        name, len(pfns), "shared info" if si else "no shared info", nf)


def main():
    args = sys.argv[1:]
    n = 200
    if "--samples" in args:
        i = args.index("--samples")
        n = int(args[i + 1])
        del args[i:i + 2]
    stream, fmt, out = args
    ref = Ref(stream).walk()
    picks = samples(ref, n)
    what = {"elf": check_elf, "raw": check_raw, "lime": check_lime,
            "dump-core": check_dumpcore}[fmt](
        ref, out, picks)
    print("ok: %s: %d pages, %s, %d sampled pages equal the stream%s" %
          (fmt, len(ref.committed), what, len(picks),
           ", checkpoint %d" % ref.ckpts if ref.ckpts else ""))


if __name__ == "__main__":
    main()
