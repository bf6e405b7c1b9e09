#!/usr/bin/env python3
"""tests/tools/gen-export.py - libxl v2 streams shaped for the export tests.

xlsr-gen writes contiguous memory; the exporter needs what live and
checkpointed saves really send: holes, pfns sent again (live migration:
the last copy wins), several checkpoints, a stream cut inside the last
one, vCPU registers in HVM_CONTEXT (struct hvm_hw_cpu, typecode 2) or
X86_PV_VCPU_BASIC (vcpu_guest_context_x86_64).  Framing as in Xen's
libxl-migration-stream and libxc-migration-stream specs.

Page contents: every u64 holds pfn | copy << 40 | 0x5a << 56, copy
counting the times that pfn was sent, so a stale copy is told apart.

  gen-export.py [--pv] [--xl MAXMEMKB] --pass PFNS [--pass PFNS ...]
                [--ckpt PFNS ...] [--cut-last] [--rip N] [--vcpus N] [--fpu] [--shinfo] -o OUT
PFNS: "0-15,32,40-47,100-199/2" (/N: every Nth; one PAGE_DATA per 64
pfns of each list).
--pass lists are live passes before the first checkpoint (or END);
each --ckpt is one checkpoint (its pages, vCPU state, CHECKPOINT, libxl
CHECKPOINT_END).  Without --ckpt the stream ends with libxc END; with
them it ends after the last checkpoint (a Remus sender never sends END),
or inside it with --cut-last (half of its pages written).
"""
import argparse
import struct
import sys

PAGE = 4096


def rec(t, body):
    pad = (8 - len(body) % 8) % 8
    return struct.pack("<II", t, len(body)) + body + b"\0" * pad


def fxsave(v, k):
    """A recognisable FXSAVE image of vCPU v in checkpoint k."""
    return bytes((0x40 + v * 7 + k * 13 + i) & 0xFF for i in range(512))


def shinfo(k):
    """A recognisable shared info page of checkpoint k."""
    return struct.pack("<Q", 0x5348494E464F0000 | k) * (4096 // 8)


def pfns_of(spec):
    out = []
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, step = part.split("/")
            step = int(step, 0)
        if "-" in part:
            a, b = part.split("-")
            out += range(int(a, 0), int(b, 0) + 1, step)
        elif part:
            out.append(int(part, 0))
    return out


class Gen:
    def __init__(self, a):
        self.a = a
        self.copies = {}
        self.chunks = []

    def page(self, pfn):
        c = self.copies.get(pfn, 0) + 1
        self.copies[pfn] = c
        return struct.pack("<Q", pfn | c << 40 | 0x5A << 56) * (PAGE // 8)

    def page_data(self, pfns):
        for i in range(0, len(pfns), 64):
            batch = pfns[i:i + 64]
            body = struct.pack("<II", len(batch), 0)
            body += b"".join(struct.pack("<Q", p) for p in batch)
            body += b"".join(self.page(p) for p in batch)
            self.chunks.append(rec(0x01, body))

    def vcpus(self, k):
        a = self.a
        if a.pv:
            for v in range(a.vcpus):
                ctx = bytearray(5168)
                struct.pack_into("<Q", ctx, 520 + 128, a.rip + v + k)  # rip
                struct.pack_into("<Q", ctx, 520 + 10 * 8, 0xA0 + v)    # rax
                struct.pack_into("<Q", ctx, 4984 + 3 * 8, 0x1000)      # cr3
                if a.fpu:       # fpu_ctxt at 0, VGCF_i387_valid in flags
                    ctx[0:512] = fxsave(v, k)
                    struct.pack_into("<Q", ctx, 512, 1)
                self.chunks.append(rec(0x04, struct.pack("<II", v, 0) +
                                       bytes(ctx)))
            if a.shinfo:        # SHARED_INFO (0x07), one page
                page = shinfo(k)
                if a.shinfo_len is not None:    # hostile length
                    page = (page * 2)[:a.shinfo_len]
                self.chunks.append(rec(0x07, page))
            return
        body = struct.pack("<HHI", 1, 0, 24) + bytes(24)   # HEADER
        for v in range(a.vcpus):
            cpu = bytearray(1032)
            struct.pack_into("<Q", cpu, 512, 0xA0 + v)         # rax
            struct.pack_into("<Q", cpu, 640, a.rip + v + k)    # rip
            struct.pack_into("<Q", cpu, 672, 0x2000)           # cr3
            if a.fpu:           # fpu_regs at 0, XEN_X86_FPU_INITIALISED
                cpu[0:512] = fxsave(v, k)
                struct.pack_into("<I", cpu, 1024, 1)
            body += struct.pack("<HHI", 2, v, len(cpu)) + bytes(cpu)
        body += struct.pack("<HHI", 0, 0, 0)                   # END
        self.chunks.append(rec(0x09, body))

    def libxc(self):
        a = self.a
        out = [struct.pack(">QIIHHI", 2**64 - 1, 0x58454E46, 3, 0, 0, 0),
               struct.pack("<IHHII", 1 if a.pv else 2, 12, 0, 4, 17)]
        self.chunks = out
        if a.pv:
            self.chunks.append(rec(0x02, struct.pack("<BBHI", 8, 4, 0, 0)))
            top = max(max(pfns_of(s)) for s in a.passes + a.ckpt) + 16
            frames = (top + 511) // 512
            self.chunks.append(rec(0x03, struct.pack("<II", 0, top - 1) +
                                   bytes(8 * frames)))
        self.chunks.append(rec(0x10, b""))                     # STATIC_DATA_END
        for s in a.passes:
            self.page_data(pfns_of(s))
        if not a.ckpt:
            self.vcpus(0)
            self.chunks.append(rec(0x00, b""))
            return b"".join(self.chunks), True
        for k, s in enumerate(a.ckpt, 1):
            pf = pfns_of(s)
            last = k == len(a.ckpt)
            if last and a.cut_last:
                self.page_data(pf[:max(1, len(pf) // 2)])
                return b"".join(self.chunks), False
            self.page_data(pf)
            self.vcpus(k)
            self.chunks.append(rec(0x0E, b""))                 # CHECKPOINT
            self.chunks.append(rec(0x04, b""))                 # libxl CHECKPOINT_END
        return b"".join(self.chunks), False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pv", action="store_true")
    p.add_argument("--xl", type=int, metavar="MAXMEMKB")
    p.add_argument("--pass", dest="passes", action="append", default=[])
    p.add_argument("--ckpt", action="append", default=[])
    p.add_argument("--cut-last", action="store_true")
    p.add_argument("--rip", type=lambda s: int(s, 0), default=0xffffffff81000000)
    p.add_argument("--vcpus", type=int, default=2)
    p.add_argument("--fpu", action="store_true",
                   help="vCPU records carry an initialised FXSAVE image")
    p.add_argument("--shinfo", action="store_true",
                   help="PV: a SHARED_INFO record per checkpoint")
    p.add_argument("--shinfo-len", type=int, help="its length, not 4096")
    p.add_argument("-o", required=True)
    a = p.parse_args()
    g = Gen(a)
    head = b""
    if a.xl is not None:
        cfg = ('{"b_info": {"max_memkb": %d, "target_memkb": %d}}'
               % (a.xl, a.xl)).encode() + b"\0"
        opt = struct.pack("<I", len(cfg)) + cfg
        head = (b"Xen saved domain, xl format\n \0 \r" +
                struct.pack("<IIII", 0x01020304, 3, 0, len(opt)) + opt)
    libxl = struct.pack(">QII", 0x4C6962786C466D74, 2, 0)
    inner, end = g.libxc()
    data = head + libxl + rec(0x01, b"") + inner
    if end:
        data += rec(0x00, b"")
    out = sys.stdout.buffer if a.o == "-" else open(a.o, "wb")
    out.write(data)


if __name__ == "__main__":
    main()
