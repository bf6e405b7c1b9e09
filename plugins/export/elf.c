/*
 * elf.c - the ELF core layout around pages already in place.
 *
 *   0        ELF header (ET_CORE, EM_X86_64, little-endian)
 *   4096     guest physical 0: page pfn at 4096 + pfn * 4096 (holes stay
 *            sparse), so pages were written where they belong while the
 *            stream was read, pipe or not
 *   T        program headers: PT_NOTE, then one PT_LOAD per contiguous
 *            run of present frames, ascending (p_paddr = p_vaddr = guest
 *            physical address, p_filesz == p_memsz, p_offset = 4096 +
 *            p_paddr)
 *   T + ...  notes: per vCPU an NT_PRSTATUS ("CORE"), an NT_PRFPREG
 *            ("CORE", the 512-byte FXSAVE image) when the stream has the
 *            vCPU's FPU state, and an "XLSR" note with its control
 *            registers; section header 0 only when the
 *            run count needs PN_XNUM
 *
 * Headers at the end are legal ELF (e_phoff points anywhere) and are the
 * only way to write pages at their final offset before the number of
 * runs is known.  Readers seen to accept it: readelf, gdb, libkdumpfile.
 */
#include <string.h>

#include "export.h"

#define EHDR_SIZE       64
#define PHDR_SIZE       56
#define SHDR_SIZE       64
#define PN_XNUM         0xffffu
#define NT_PRSTATUS     1
#define NT_PRFPREG      2               /* elf_fpregset_t: FXSAVE, x86-64 */
#define FPREG_SIZE      512
#define NT_XLSR_VCPU    0x58430001u     /* "XC" + 1: our control regs */
#define PRSTATUS_SIZE   336             /* struct elf_prstatus, x86-64 */
#define PR_PID          32
#define PR_REG          112             /* elf_gregset_t: 27 x u64 */
#define PR_FPVALID      328             /* int: an NT_PRFPREG follows */
#define XLSR_DESC       64
#define TAIL_BUF        (64 * 1024)

struct tail {
    struct ex_state *s;
    uint64_t off;
    size_t len;
    uint8_t b[TAIL_BUF];
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static int flush(struct tail *t)
{
    int rc = ex_pwrite(t->s, t->s->store, t->b, t->len, t->off, "ELF "
                       "headers");
    t->off += t->len;
    t->len = 0;
    return rc;
}

/* Room for n bytes (n <= TAIL_BUF), zeroed. */
static uint8_t *room(struct tail *t, size_t n, int *rc)
{
    if (t->len + n > sizeof(t->b) && (*rc = flush(t)))
        return NULL;
    uint8_t *p = t->b + t->len;
    memset(p, 0, n);
    t->len += n;
    return p;
}

static void phdr(uint8_t *p, uint32_t type, uint32_t flags, uint64_t off,
                 uint64_t addr, uint64_t size, uint64_t align)
{
    ex_put32(p, type);
    ex_put32(p + 4, flags);
    ex_put64(p + 8, off);
    ex_put64(p + 16, addr);            /* p_vaddr */
    ex_put64(p + 24, addr);            /* p_paddr */
    ex_put64(p + 32, size);            /* p_filesz */
    ex_put64(p + 40, size);            /* p_memsz */
    ex_put64(p + 48, align);
}

/* One note: namesz, descsz, type, name (padded to 4), desc. */
static uint8_t *note(uint8_t *p, const char *name, uint32_t type,
                     uint32_t descsz)
{
    uint32_t nsz = (uint32_t)strlen(name) + 1;
    ex_put32(p, nsz);
    ex_put32(p + 4, descsz);
    ex_put32(p + 8, type);
    memcpy(p + 12, name, nsz);
    return p + 12 + ((nsz + 3) & ~3u);
}

static size_t notes_size(const struct ex_state *s)
{
    size_t n = 0;
    for (uint32_t i = 0; i < s->cpu.n; i++)
        if (s->cpu.v[i].valid)
            n += 12 + 8 + PRSTATUS_SIZE + 12 + 8 + XLSR_DESC +
                 (s->cpu.v[i].fpu ? 12 + 8 + FPREG_SIZE : 0);
    return n;
}

/* Linux x86-64 user_regs_struct order, as elf_gregset_t. */
static void prstatus(uint8_t *d, const struct ex_vcpu *v)
{
    const uint64_t regs[27] = {
        v->r15, v->r14, v->r13, v->r12, v->rbp, v->rbx, v->r11, v->r10,
        v->r9, v->r8, v->rax, v->rcx, v->rdx, v->rsi, v->rdi, v->orig_rax,
        v->rip, v->cs, v->rflags, v->rsp, v->ss, v->fs_base, v->gs_base,
        v->ds, v->es, v->fs, v->gs,
    };
    ex_put32(d + PR_PID, v->id + 1);   /* gdb numbers threads by pid */
    for (int i = 0; i < 27; i++)
        ex_put64(d + PR_REG + 8 * i, regs[i]);
    ex_put32(d + PR_FPVALID, v->fpu);
}

static int write_notes(struct tail *t)
{
    const struct ex_vcpus *c = &t->s->cpu;
    int rc = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        const struct ex_vcpu *v = &c->v[i];
        if (!v->valid)
            continue;
        uint8_t *p = room(t, 12 + 8 + PRSTATUS_SIZE, &rc);
        if (!p)
            return rc;
        prstatus(note(p, "CORE", NT_PRSTATUS, PRSTATUS_SIZE), v);
        if (v->fpu) {
            if (!(p = room(t, 12 + 8 + FPREG_SIZE, &rc)))
                return rc;
            memcpy(note(p, "CORE", NT_PRFPREG, FPREG_SIZE), v->fxsave,
                   FPREG_SIZE);
        }
        if (!(p = room(t, 12 + 8 + XLSR_DESC, &rc)))
            return rc;
        uint8_t *d = note(p, "XLSR", NT_XLSR_VCPU, XLSR_DESC);
        const uint64_t x[7] = { v->cr0, v->cr2, v->cr3, v->cr4, v->efer,
                                v->kernel_gs_base, 0 };
        ex_put32(d, v->id);
        for (int k = 0; k < 7; k++)
            ex_put64(d + 8 + 8 * k, x[k]);
    }
    return XLSR_OK;
}

static void ehdr(uint8_t *e, uint64_t phoff, uint64_t phnum, uint64_t shoff)
{
    memset(e, 0, EHDR_SIZE);
    memcpy(e, "\177ELF", 4);
    e[4] = 2;                       /* ELFCLASS64 */
    e[5] = 1;                       /* ELFDATA2LSB */
    e[6] = 1;                       /* EV_CURRENT */
    put16(e + 16, 4);               /* ET_CORE */
    put16(e + 18, 62);              /* EM_X86_64 */
    ex_put32(e + 20, 1);
    ex_put64(e + 32, phoff);
    ex_put64(e + 40, shoff);
    put16(e + 52, EHDR_SIZE);
    put16(e + 54, PHDR_SIZE);
    put16(e + 56, phnum >= PN_XNUM ? PN_XNUM : (uint16_t)phnum);
    put16(e + 58, shoff ? SHDR_SIZE : 0);
    put16(e + 60, shoff ? 1 : 0);
}

int ex_elf_finish(struct ex_state *s)
{
    struct tail *t = (struct tail *)s->buf;     /* reuse the page buffer */
    _Static_assert(sizeof(struct tail) <= EX_BUF_PAGES * EX_PAGE,
                   "tail buffer fits the page buffer");
    uint64_t runs = ex_map_runs(&s->map), phnum = runs + 1;
    uint64_t phoff = s->base + (s->map.end << EX_PAGE_SHIFT);
    uint64_t noff = phoff + phnum * PHDR_SIZE;
    uint64_t nlen = notes_size(s);
    uint64_t shoff = phnum >= PN_XNUM ? noff + nlen : 0;
    int rc = 0;

    t->s = s;
    t->off = phoff;
    t->len = 0;
    uint8_t *p = room(t, PHDR_SIZE, &rc);
    if (!p)
        return rc;
    phdr(p, 4 /* PT_NOTE */, 0, noff, 0, nlen, 4);
    for (uint64_t pfn = 0, end; ex_map_next_run(&s->map, &pfn, &end);
         pfn = end) {
        if (!(p = room(t, PHDR_SIZE, &rc)))
            return rc;
        phdr(p, 1 /* PT_LOAD */, 7 /* RWX */,
             s->base + (pfn << EX_PAGE_SHIFT), pfn << EX_PAGE_SHIFT,
             (end - pfn) << EX_PAGE_SHIFT, EX_PAGE);
    }
    if ((rc = write_notes(t)))
        return rc;
    if (shoff) {    /* PN_XNUM: section 0's sh_info holds the count */
        if (!(p = room(t, SHDR_SIZE, &rc)))
            return rc;
        ex_put32(p + 44, (uint32_t)phnum);
    }
    if ((rc = flush(t)))
        return rc;
    uint8_t e[EHDR_SIZE];
    ehdr(e, phoff, phnum, shoff);
    return ex_pwrite(s, s->store, e, sizeof(e), 0, "ELF header");
}
