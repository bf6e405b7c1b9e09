/*
 * pvpt.c - what a PV restore resolves through the guest's p2m, checked
 * from the file: page-table entries (L1-L4 pages are read, the only page
 * contents verify reads), the p2m frame list, and each vcpu's cr3, GDT
 * frames and start info page.
 *
 * Facts from Xen 4.17:
 *  - tools/libs/guest/xg_sr_restore_x86_pv.c x86_pv_localise_page(): every
 *    present entry of an L1-L4 page is looked up with pfn_to_mfn(), which
 *    asserts pfn <= max_pfn (the p2m's end pfn): libxenguest aborts.
 *  - same file, update_guest_p2m(), process_vcpu_basic(),
 *    process_start_info(): p2m frames, GDT frames and start info must be
 *    populated NOTAB pages within the p2m; cr3 must be populated and typed
 *    as the guest's top-level table; at most FIRST_RESERVED_GDT_ENTRY GDT
 *    entries.
 *  - xen/arch/x86/mm.c (get_page_type, pinning): a page is a page table or
 *    writable, never both; a pinned table's entries are validated as
 *    tables of the level below.  So a pinned table mapped writable by an
 *    L1 entry, or a data (NOTAB) page named as a table by a pinned table,
 *    makes the pin fail.  (Unpinned tables are validated only when
 *    reachable, which the file cannot tell; they are not judged.)
 * Only 64-bit PV vcpu contexts are decoded (the 32-bit layout differs).
 */
#include <stdio.h>

#include "libxc.h"

#define PTE_PRESENT     0x001ull
#define PTE_RW          0x002ull
#define PTE_PSE         0x080ull
#define PTE_FRAME_MASK  0x000ffffffffff000ull   /* xg_sr_common_x86_pv.h */

/* xen/include/public/arch-x86/xen-x86_64.h vcpu_guest_context (5168 B) */
#define VGC64_RDX       616         /* user_regs.rdx: start info pfn */
#define VGC64_GDT_FRAMES 4832
#define VGC64_GDT_ENTS  4960
#define VGC64_CR3       5008        /* ctrlreg[3] */
#define FIRST_RESERVED_GDT_ENTRY (14u * 512u)   /* xen/include/public/xen.h */

const char *lx_pv_mark(struct lx_verify *v, uint64_t pfn, uint16_t bit,
                       const char *what, char *why, size_t whylen)
{
    if (pfn > v->max_pfn) {
        snprintf(why, whylen, "%s names pfn %#llx, beyond the p2m's max "
                 "pfn %#llx", what, (unsigned long long)pfn,
                 (unsigned long long)v->max_pfn);
        return why;
    }
    uint16_t *f = lx_pfn_slot(&v->map, pfn, true);
    if (f)
        *f |= bit;
    return NULL;
}

const char *lx_pv_table(struct lx_verify *v, uint64_t pfn, unsigned type,
                        const uint8_t *page, char *why, size_t whylen)
{
    unsigned level = type & 7;
    bool pinned = type & 8;

    v->s->st.pt_pages++;
    uint64_t max_pfn = v->max_pfn;
    /* The chunk of the frame before, held here (as in check_pfns): an L1
     * table maps runs of frames. */
    struct lx_pfnchunk *c = NULL;
    uint64_t cbase = UINT64_MAX;
    for (unsigned i = 0; i < 512; i++) {
        uint64_t pte = lx_le64(page + 8 * i);
        if (!(pte & PTE_PRESENT))
            continue;
        uint64_t frame = (pte & PTE_FRAME_MASK) >> 12;
        if (frame > max_pfn) {
            snprintf(why, whylen, "L%u table pfn %#llx entry %u = %#018llx "
                     "names pfn %#llx beyond the p2m's max pfn %#llx "
                     "(libxenguest asserts in x86_pv_localise_page)", level,
                     (unsigned long long)pfn, i, (unsigned long long)pte,
                     (unsigned long long)frame,
                     (unsigned long long)v->max_pfn);
            return why;
        }
        uint16_t bit = 0;
        if (level == 1 && (pte & PTE_RW))
            bit = LX_PFN_RW;
        else if (level >= 2 && pinned && (level == 4 || !(pte & PTE_PSE)))
            bit = LX_PFN_TABREF;
        if (!bit)
            continue;
        if (frame >> LX_PFN_CHUNK_SHIFT == cbase) {
            c->f[frame & ((1u << LX_PFN_CHUNK_SHIFT) - 1)] |= bit;
        } else {
            uint16_t *f = lx_pfn_at(&v->map, frame);
            if (f) {
                *f |= bit;
                c = v->map.chunks[v->map.last];
                cbase = c->base;
            }
        }
    }
    return NULL;
}

const char *lx_pv_vcpu_basic(struct lx_verify *v, const uint8_t *c,
                             uint32_t id, char *why, size_t whylen)
{
    const char *r;
    char what[48];

    if (v->pv_width != 8)
        return NULL;
    if (id == 0) {
        v->vcpu0_basic = true;
        r = lx_pv_mark(v, lx_le64(c + VGC64_RDX), LX_PFN_SINFO,
                       "vcpu0's start info (rdx)", why, whylen);
        if (r)
            return r;
    }
    uint64_t ents = lx_le64(c + VGC64_GDT_ENTS);
    if (ents > FIRST_RESERVED_GDT_ENTRY) {
        snprintf(why, whylen, "vcpu%u: %llu GDT entries, at most %u", id,
                 (unsigned long long)ents, FIRST_RESERVED_GDT_ENTRY);
        return why;
    }
    for (unsigned i = 0; i < (ents + 511) / 512; i++) {
        snprintf(what, sizeof(what), "vcpu%u's GDT frame %u", id, i);
        r = lx_pv_mark(v, lx_le64(c + VGC64_GDT_FRAMES + 8 * i), LX_PFN_GDT,
                       what, why, whylen);
        if (r)
            return r;
    }
    snprintf(what, sizeof(what), "vcpu%u's cr3", id);
    return lx_pv_mark(v, lx_le64(c + VGC64_CR3) >> 12, LX_PFN_CR3, what,
                      why, whylen);
}

struct end_arg {
    struct lx_verify *v;
    char *why;
    size_t whylen;
};

static const char *end_one(void *arg, uint64_t pfn, uint16_t f)
{
    struct end_arg *a = arg;
    unsigned type = f & LX_PFN_TYPE, level = type & 7;

    bool seen = f & LX_PFN_SEEN;
    bool table = seen && type >= 1 && type <= 12 && level >= 1 &&
                 level <= 4;
    const char *who = f & LX_PFN_P2M ? "a p2m frame" :
                      f & LX_PFN_GDT ? "a GDT frame" :
                      f & LX_PFN_SINFO ? "vcpu0's start info" : NULL;

    if (who && (!seen || type != 0)) {
        snprintf(a->why, a->whylen, "pfn %#llx, %s, is %s (a restore needs "
                 "a populated NOTAB page)", (unsigned long long)pfn, who,
                 seen ? lx_page_type_names[type] : "not in the stream");
        return a->why;
    }
    if ((f & LX_PFN_CR3) && (!seen || level != a->v->pv_levels ||
                             type >= 13)) {
        snprintf(a->why, a->whylen, "pfn %#llx, a vcpu's cr3, is %s, "
                 "expected an L%u table", (unsigned long long)pfn,
                 seen ? lx_page_type_names[type] : "not in the stream",
                 a->v->pv_levels);
        return a->why;
    }
    if ((f & LX_PFN_RW) && table && (type & 8)) {
        snprintf(a->why, a->whylen, "pfn %#llx is a pinned %s table and is "
                 "mapped writable by an L1 entry: Xen refuses to pin it",
                 (unsigned long long)pfn, lx_page_type_names[type]);
        return a->why;
    }
    if ((f & LX_PFN_TABREF) && seen && !table) {
        snprintf(a->why, a->whylen, "pfn %#llx is named as a page table by "
                 "a pinned table but is %s: libxc leaves its entries "
                 "untranslated and Xen refuses to validate it",
                 (unsigned long long)pfn, lx_page_type_names[type]);
        return a->why;
    }
    return NULL;
}

const char *lx_pv_end(struct lx_verify *v, char *why, size_t whylen)
{
    if (!v->vcpu0_basic && v->pv_width == 8)
        return "no X86_PV_VCPU_BASIC for vcpu0 (xg_sr_restore_x86_pv.c: "
               "\"Sender didn't send vcpu0's basic state\")";
    struct end_arg a = { v, why, whylen };
    /* An L1 entry maps most of memory writable; that matters for pinned
     * tables only (type bit 3): those pfns alone, not every RW one, are
     * visited for it (the walk was most of verify's time on a real PV
     * image). */
    return lx_pfnmap_each(&v->map, LX_PFN_TABREF | LX_PFN_P2M | LX_PFN_GDT |
                          LX_PFN_SINFO | LX_PFN_CR3, LX_PFN_RW | 8, end_one,
                          &a);
}
