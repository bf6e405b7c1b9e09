/*
 * dumpcore.c - the layout `xl dump-core` writes (Xen's
 * docs/misc/dump-core-format.txt; the writer is tools/libs/ctrl/xc_core.c),
 * so crash and libkdumpfile read an export as they read a dump-core:
 *
 *   ELF64 ET_CORE header, no program headers       at 0
 *   .xen_pages      every present page, ascending pfn  at EX_DC_PAGES
 *   .shstrtab                                          after the pages
 *   .note.Xen       "Xen" notes NONE, HEADER (magic, vCPUs, pages, page
 *                   size), XEN_VERSION (the saving Xen's major.minor from
 *                   the stream; the rest empty), FORMAT_VERSION 1
 *   .xen_prstatus   one vcpu_guest_context_x86_64 per vCPU, rebuilt from
 *                   the registers cpu.c keeps (general registers, segment
 *                   selectors, FS/GS bases, cr0/2/3/4, the FXSAVE image
 *                   in fpu_ctxt with VGCF_i387_valid when the stream has
 *                   it; not the trap table or callbacks)
 *   .xen_shared_info the PV SHARED_INFO record's page (present when the
 *                   stream has one).  HVM/PVH streams carry no shared
 *                   info record, nor the page where the guest mapped it
 *                   (Xen's own page: the saver sends it as XTAB,
 *                   xen/arch/x86/domctl.c getpageframeinfo3), so the
 *                   section is left out.
 *   .xen_pfn        u64 pfn per page (HVM/PVH), or .xen_p2m {pfn, gmfn}
 *                   per page (PV) with gmfn = pfn: the save already
 *                   rewrote the guest's page tables and cr3 to pfns, so
 *                   the identity keeps the image consistent
 *   section headers null, .shstrtab, .note.Xen, .xen_prstatus,
 *                   [.xen_shared_info,] .xen_pages, .xen_pfn/.xen_p2m
 *
 * xl dump-core puts the section headers and notes first; readers find
 * sections by the headers and their names (xc_core.c asks analysis tools
 * not to rely on the sections' order), and with .xen_pages
 * first its offset is known before the stream says how many vCPUs and
 * pages there are: a planned stream (plan.c) and one from a pipe whose
 * pfns ascend (stream.c) write each page in place as it comes.  Else
 * the pages wait in a raw scratch file (store.c) like LiME's and are
 * copied here run by run.
 */
#include <string.h>

#include "export.h"

#define NOTE_NONE       0x2000000u
#define NOTE_HEADER     0x2000001u
#define NOTE_VERSION    0x2000002u
#define NOTE_FORMAT     0x2000003u
#define MAGIC_PV        0xF00FEBEDull
#define MAGIC_HVM       0xF00FEBEEull
/* xen_dumpcore_elfnote_xen_version_desc: major, minor (u64 each),
 * extraversion[16], compile_info (64 + 16 + 32 + 32), capabilities[1024],
 * changeset[64], platform_parameters (u64), pagesize (u64). */
#define VERSION_DESC    (8 + 8 + 16 + 144 + 1024 + 64 + 8 + 8)
#define NSEC_MAX        7

static const char strtab[] = "\0.shstrtab\0.note.Xen\0.xen_prstatus\0"
                             ".xen_pages\0.xen_pfn\0.xen_p2m\0"
                             ".xen_shared_info";
enum { N_STRTAB = 1, N_NOTE = 11, N_PRSTATUS = 21, N_PAGES = 35,
       N_PFN = 46, N_P2M = 55, N_SHINFO = 64 };

static uint8_t *note(uint8_t *p, uint32_t type, uint32_t descsz)
{
    ex_put32(p, 4);
    ex_put32(p + 4, descsz);
    ex_put32(p + 8, type);
    memcpy(p + 12, "Xen", 4);
    return p + 16;
}

static size_t notes(struct ex_state *s, uint8_t *p, uint32_t nvcpu)
{
    uint8_t *start = p;
    p = note(p, NOTE_NONE, 0);
    p = note(p, NOTE_HEADER, 32);
    ex_put64(p, s->guest_type == 1 ? MAGIC_PV : MAGIC_HVM);
    ex_put64(p + 8, nvcpu);
    ex_put64(p + 16, s->map.pages);
    ex_put64(p + 24, EX_PAGE);
    p += 32;
    p = note(p, NOTE_VERSION, VERSION_DESC);
    memset(p, 0, VERSION_DESC);
    ex_put64(p, s->xen_major);
    ex_put64(p + 8, s->xen_minor);
    ex_put64(p + VERSION_DESC - 8, EX_PAGE);
    p += VERSION_DESC;
    p = note(p, NOTE_FORMAT, 8);
    ex_put64(p, 1);
    return (size_t)(p + 8 - start);
}

static void shdr(uint8_t *p, uint32_t name, uint32_t type, uint64_t off,
                 uint64_t size, uint64_t align, uint64_t entsize)
{
    memset(p, 0, 64);
    ex_put32(p, name);
    ex_put32(p + 4, type);
    ex_put64(p + 24, off);
    ex_put64(p + 32, size);
    ex_put64(p + 48, align);
    ex_put64(p + 56, entsize);
}

/* Where everything goes; the notes are written into s->buf. */
struct geom {
    uint64_t str, noff, nlen, poff, plen, soff, tab, tlen, shoff;
};

static uint64_t align8(uint64_t x)
{
    return (x + 7) & ~7ull;
}

static void geometry(struct ex_state *s, uint32_t nvcpu, bool shinfo,
                     struct geom *g)
{
    g->str = EX_DC_PAGES + s->map.pages * EX_PAGE;
    g->noff = align8(g->str + sizeof(strtab));
    g->nlen = notes(s, s->buf, nvcpu);      /* fits: < 2 KiB */
    g->poff = align8(g->noff + g->nlen);
    g->plen = (uint64_t)nvcpu * ex_cpu_pv64_size();
    g->soff = align8(g->poff + g->plen);
    g->tab = g->soff + (shinfo ? EX_PAGE : 0);
    g->tlen = s->map.pages * (s->guest_type == 1 ? 16 : 8);
    g->shoff = align8(g->tab + g->tlen);
}

/* Everything but the pages and the pfn table: ELF header, strings,
 * notes, contexts, shared info, section headers.  *tab_off: where the
 * pfn table goes. */
static int frame(struct ex_state *s, uint64_t *tab_off)
{
    uint32_t nvcpu = ex_vcpus_count(&s->cpu);
    size_t ctx = ex_cpu_pv64_size();
    bool pv = s->guest_type == 1;
    bool shinfo = s->shinfo_ok && pv;
    unsigned nsec = shinfo ? NSEC_MAX : NSEC_MAX - 1, sh = 4;
    uint8_t *b = s->buf, eh[64] = { 0 }, shdrs[NSEC_MAX * 64] = { 0 };
    struct geom g;
    int rc;

    geometry(s, nvcpu, shinfo, &g);     /* the notes are in b now */
    if ((rc = ex_pwrite(s, s->out.fd, strtab, sizeof(strtab), g.str,
                        ".shstrtab")) ||
        (rc = ex_pwrite(s, s->out.fd, b, (size_t)g.nlen, g.noff,
                        ".note.Xen")))
        return rc;
    for (uint32_t i = 0, k = 0; i < s->cpu.n; i++) {
        if (!s->cpu.v[i].valid)
            continue;
        ex_cpu_to_pv64(&s->cpu.v[i], b, ctx);
        if ((rc = ex_pwrite(s, s->out.fd, b, ctx, g.poff + (k++) * ctx,
                            ".xen_prstatus")))
            return rc;
    }
    if (shinfo && (rc = ex_pwrite(s, s->out.fd, s->shinfo, EX_PAGE, g.soff,
                                  ".xen_shared_info")))
        return rc;
    shdr(shdrs + 64, N_STRTAB, 3, g.str, sizeof(strtab), 0, 0);
    shdr(shdrs + 128, N_NOTE, 7, g.noff, g.nlen, 0, 0);
    shdr(shdrs + 192, N_PRSTATUS, 1, g.poff, g.plen, 8, ctx);
    if (shinfo)
        shdr(shdrs + 64 * sh++, N_SHINFO, 1, g.soff, EX_PAGE, 8, EX_PAGE);
    shdr(shdrs + 64 * sh++, N_PAGES, 1, EX_DC_PAGES, s->map.pages * EX_PAGE,
         EX_PAGE, EX_PAGE);
    shdr(shdrs + 64 * sh, pv ? N_P2M : N_PFN, 1, g.tab, g.tlen, 8,
         pv ? 16 : 8);
    if ((rc = ex_pwrite(s, s->out.fd, shdrs, 64 * nsec, g.shoff,
                        "dump-core section headers")))
        return rc;
    memcpy(eh, "\177ELF\2\1\1", 7);
    eh[16] = 4;                 /* ET_CORE */
    eh[18] = 62;                /* EM_X86_64 */
    ex_put32(eh + 20, 1);
    ex_put64(eh + 40, g.shoff);
    eh[52] = 64;                /* e_ehsize */
    eh[58] = 64;                /* e_shentsize */
    eh[60] = (uint8_t)nsec;
    eh[62] = 1;                 /* e_shstrndx */
    *tab_off = g.tab;
    return ex_pwrite(s, s->out.fd, eh, sizeof(eh), 0, "ELF header");
}

int ex_dumpcore_finish(struct ex_state *s)
{
    uint64_t at = EX_DC_PAGES, tab = 0, n = 0;
    int rc = frame(s, &tab);
    if (rc)
        return rc;
    uint8_t *t = s->buf;        /* pfn table entries, batched */
    size_t tl = 0, esz = s->guest_type == 1 ? 16 : 8;
    for (uint64_t pfn = 0, end; ex_map_next_run(&s->map, &pfn, &end);
         pfn = end) {
        uint64_t len = (end - pfn) * EX_PAGE;
        if (!s->planned && !s->streaming &&
            (rc = ex_copy_range(s, s->base + pfn * EX_PAGE, at, len)))
            return rc;
        at += len;
        for (uint64_t p = pfn; p < end; p++) {
            ex_put64(t + tl, p);
            if (esz == 16)
                ex_put64(t + tl + 8, p);
            tl += esz;
            if (tl == EX_BUF_PAGES * EX_PAGE) {
                if ((rc = ex_pwrite(s, s->out.fd, t, tl, tab + n,
                                    "dump-core pfn table")))
                    return rc;
                n += tl;
                tl = 0;
            }
        }
    }
    return ex_pwrite(s, s->out.fd, t, tl, tab + n, "dump-core pfn table");
}
