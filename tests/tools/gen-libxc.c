/*
 * tests/tools/gen-libxc.c - the libxc stream that follows LIBXC_CONTEXT:
 * image and domain headers, static data, memory, end-of-checkpoint state,
 * END; the --libxc-corrupt variants; and the checkpointed (Remus/COLO)
 * shape.
 *
 * Record bodies follow docs/specs/libxc-migration-stream.pandoc and pass
 * every check of Xen 4.17's python verifier (xen/migration/libxc.py):
 * exact sizes, reserved fields zero, version-3-only records only in v3.
 * Sizes of the PV vCPU records are those of a real Xen 4.17 x86-64 save
 * (corpus/real/hb-pv-save.xl): BASIC 8+5168, EXTENDED 8+64, XSAVE 8+848.
 *
 * Checkpointed streams, and where each rule comes from (Xen 4.17 sources):
 *  - xg_sr_save.c save(): the first iteration sends all of memory (the
 *    "live" pass), then, for every checkpoint, the dirty pages
 *    (send_domain_memory_checkpointed), ops.end_of_checkpoint (PV: TSC,
 *    SHARED_INFO, vCPU records; HVM: TSC, HVM_CONTEXT, HVM_PARAMS) and a
 *    CHECKPOINT record instead of END.  The loop never ends by itself: a
 *    Remus/COLO sender stops or dies, so no END follows the last one.
 *  - The CHECKPOINT record hands the fd to libxl (spec 4.12); libxl's
 *    save side then writes its checkpoint records via
 *    libxl__stream_write_start_checkpoint (emulator records for HVM) and
 *    CHECKPOINT_END.  libxl_stream_read.c buffers records after a
 *    checkpoint (PHASE_BUFFERING) up to CHECKPOINT_END, then hands the fd
 *    back to libxc for the next checkpoint.
 *  - COLO only (libxl_colo_save.c, colo_start_new_checkpoint): after a
 *    checkpoint, the primary's wait_checkpoint callback writes a libxl
 *    CHECKPOINT_STATE with id CHECKPOINT_NEW (0) on the main stream before
 *    the next checkpoint's libxc records; the secondary reads it in
 *    libxl_colo_restore.c (colo_restore_commit_cb ->
 *    libxl__stream_read_checkpoint_state).  SVM_SUSPENDED/READY/RESUMED
 *    travel on the back channel, not in this stream.  The record's body is
 *    sizeof(libxl_sr_checkpoint_state) = 4 bytes (libxl_sr_stream_format.h).
 */
#include "gen.h"

#include <stdlib.h>
#include <string.h>

#define REC_END             0x00
#define REC_PAGE_DATA       0x01
#define REC_PV_INFO         0x02
#define REC_PV_P2M_FRAMES   0x03
#define REC_PV_VCPU_BASIC   0x04
#define REC_PV_VCPU_EXT     0x05
#define REC_PV_VCPU_XSAVE   0x06
#define REC_SHARED_INFO     0x07
#define REC_TSC_INFO        0x08
#define REC_HVM_CONTEXT     0x09
#define REC_HVM_PARAMS      0x0a
#define REC_CHECKPOINT      0x0e
#define REC_STATIC_DATA_END 0x10
#define REC_CPUID_POLICY    0x11
#define REC_MSR_POLICY      0x12

#define PFN_TYPE_SHIFT 60
#define PFN_TYPE_XTAB  0xfull
#define PFN_TYPE_L4PIN 0xcull
#define XEN_CPUID_NO_SUBLEAF 0xffffffffu
#define CKPT_PAGES 3          /* dirty pages per checkpoint */
#define BASIC_CTX 5168        /* vcpu_guest_context, x86-64 */
#define EXT_CTX   64          /* xen_domctl_ext_vcpucontext */
#define XSAVE_CTX 848         /* mask, xcr0 accumulated, 832-byte area */

static const struct { const char *name; enum lxc_corrupt c; } corruptions[] = {
    { "bad-marker", LXC_BAD_MARKER }, { "bad-id", LXC_BAD_ID },
    { "version-1", LXC_VERSION_1 }, { "version-4", LXC_VERSION_4 },
    { "options-reserved", LXC_OPTIONS_RESERVED },
    { "ihdr-reserved", LXC_IHDR_RESERVED },
    { "page-shift", LXC_PAGE_SHIFT }, { "domain-type", LXC_DOMAIN_TYPE },
    { "dhdr-reserved", LXC_DHDR_RESERVED },
    { "pagedata-count", LXC_PAGEDATA_COUNT },
    { "pagedata-reserved", LXC_PAGEDATA_RESERVED },
    { "pfn-reserved", LXC_PFN_RESERVED },
    { "page-type-5", LXC_PAGE_TYPE_5 }, { "page-type-6", LXC_PAGE_TYPE_6 },
    { "page-type-7", LXC_PAGE_TYPE_7 }, { "page-type-8", LXC_PAGE_TYPE_8 },
    { "v3-record-in-v2", LXC_V3_IN_V2 }, { "no-end", LXC_NO_END },
    { "big-record", LXC_BIG_RECORD }, { "nonzero-pad", LXC_NONZERO_PAD },
};

int lxc_corrupt_parse(const char *name, enum lxc_corrupt *c)
{
    size_t i;

    for (i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++)
        if (strcmp(name, corruptions[i].name) == 0) {
            *c = corruptions[i].c;
            return 0;
        }
    return -1;
}

void lxc_corrupt_list(FILE *f)
{
    size_t i;

    for (i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++)
        fprintf(f, "%s%s", i ? " " : "", corruptions[i].name);
    fputc('\n', f);
}

static void lxc_rec(struct gen *g, uint32_t type, const void *body,
                    size_t len, unsigned ckpt)
{
    rec_small(&g->out, LVL_LIBXC, type, body, len, 0, ckpt);
}

static void write_headers(struct gen *g, int pv)
{
    unsigned char ih[24], dh[16];
    uint32_t version = g->lxc_version;

    switch (g->corrupt) {
    case LXC_VERSION_1: version = 1; break;
    case LXC_VERSION_4: version = 4; break;
    case LXC_V3_IN_V2:  version = 2; break;
    default: break;
    }
    /* Image header: big-endian whatever the options say (spec 3.1). */
    put_be64(ih, g->corrupt == LXC_BAD_MARKER ? 0xffffffffffffff00ull
                                              : ~0ull);
    put_be32(ih + 8, g->corrupt == LXC_BAD_ID ? 0x58454e47 : 0x58454e46);
    put_be32(ih + 12, version);
    put_be16(ih + 16, g->corrupt == LXC_OPTIONS_RESERVED ? 0x0002 : 0);
    put_be16(ih + 18, g->corrupt == LXC_IHDR_RESERVED ? 1 : 0);
    put_be32(ih + 20, g->corrupt == LXC_IHDR_RESERVED ? 1 : 0);
    out_bytes(&g->out, ih, sizeof(ih));

    /* Domain header, stream endianness: a Xen 4.17 x86 domain. */
    put_le32(dh, g->corrupt == LXC_DOMAIN_TYPE ? 99 : pv ? 1 : 2);
    put_le16(dh + 4, g->corrupt == LXC_PAGE_SHIFT ? 13 : 12);
    put_le16(dh + 6, g->corrupt == LXC_DHDR_RESERVED ? 1 : 0);
    put_le32(dh + 8, 4);
    put_le32(dh + 12, 17);
    out_bytes(&g->out, dh, sizeof(dh));
}

static void write_static(struct gen *g, int pv)
{
    static const uint32_t leaves[][6] = {
        /* leaf, subleaf, eax, ebx, ecx, edx */
        { 0, XEN_CPUID_NO_SUBLEAF, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 },
        { 1, XEN_CPUID_NO_SUBLEAF, 0x000806ec, 0x00100800, 0xf6f83203,
          0x178bfbff },
        { 7, 0, 0, 0x009c4fbb, 0, 0 },
    };
    static const uint32_t msrs[] = { 0xce, 0x10a };  /* PLATFORM_INFO, ARCH_CAPS */
    unsigned char b[sizeof(leaves)], m[sizeof(msrs) / 4 * 16];
    size_t i, j;

    if (pv) {
        unsigned char info[8] = { 8, 4, 0, 0, 0, 0, 0, 0 };  /* 64-bit, 4 levels */

        lxc_rec(g, REC_PV_INFO, info, sizeof(info), 0);
    }
    if (g->lxc_version >= 3 && g->corrupt != LXC_V3_IN_V2) {
        for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
            for (j = 0; j < 6; j++)
                put_le32(b + i * 24 + j * 4, leaves[i][j]);
        lxc_rec(g, REC_CPUID_POLICY, b, sizeof(b), 0);
        memset(m, 0, sizeof(m));
        for (i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
            put_le32(m + i * 16, msrs[i]);          /* flags 0, value 0 */
        lxc_rec(g, REC_MSR_POLICY, m, sizeof(m), 0);
    }
    if (g->lxc_version >= 3 || g->corrupt == LXC_V3_IN_V2)
        lxc_rec(g, REC_STATIC_DATA_END, NULL, 0, 0);
}

/* One frame per 512 pfns of a 64-bit guest's p2m, placed at the top. */
static void write_p2m_frames(struct gen *g)
{
    uint64_t end = g->pages ? g->pages - 1 : 0;
    uint64_t frames = end / 512 + 1, i;
    unsigned char h[8];

    put_le32(h, 0);
    put_le32(h + 4, (uint32_t)end);
    rec_begin(&g->out, LVL_LIBXC, REC_PV_P2M_FRAMES, 8 + frames * 8, 0,
              NULL, 0);
    out_bytes(&g->out, h, 8);
    for (i = 0; i < frames; i++)
        put_le64(out_reserve(&g->out, 8),
                 g->pages ? g->pages - 1 - (i % g->pages) : 0);
    rec_end(&g->out, 8 + frames * 8, NULL);
}

static inline uint64_t to_le64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

/*
 * A page's contents: its pfn (plus the checkpoint number in the high half)
 * in every u64, or pseudo-random from the page seed, the pfn and the
 * checkpoint.  Either way a test can tell which version of a page it has.
 */
static void fill_page(const struct gen *g, unsigned char *p, uint64_t pfn,
                      unsigned ckpt)
{
    unsigned i;

    if (g->page_seeded) {
        uint64_t s = g->page_seed ^ (pfn * 0xd6e8feb86659fd93ull) ^
                     ((uint64_t)ckpt << 56);

        for (i = 0; i < GEN_PAGE; i += 8) {
            uint64_t w = to_le64(prng_next(&s));

            memcpy(p + i, &w, 8);
        }
    } else {
        uint64_t w = to_le64(pfn | (uint64_t)ckpt << 32);

        for (i = 0; i < GEN_PAGE; i += 8)
            memcpy(p + i, &w, 8);
    }
}

/* A PAGE_DATA of normal pages; the first one of the stream may be spoilt. */
static void write_pages(struct gen *g, const uint64_t *pfns, uint32_t count,
                        unsigned ckpt)
{
    struct gen_out *o = &g->out;
    uint64_t len = 8 + (uint64_t)count * (8 + GEN_PAGE);
    enum lxc_corrupt c = g->first_page_done ? LXC_OK : g->corrupt;
    unsigned char *h;
    uint32_t i;

    g->first_page_done = 1;
    rec_begin(o, LVL_LIBXC, REC_PAGE_DATA, len, 0, NULL, ckpt);
    h = out_reserve(o, 8);
    put_le32(h, c == LXC_PAGEDATA_COUNT ? count + 1 : count);
    put_le32(h + 4, c == LXC_PAGEDATA_RESERVED ? 1 : 0);
    for (i = 0; i < count; i++) {
        uint64_t e = pfns[i];

        if (i == 0 && c == LXC_PFN_RESERVED)
            e |= 1ull << 52;
        if (i == 0 && c >= LXC_PAGE_TYPE_5 && c <= LXC_PAGE_TYPE_8)
            e |= (uint64_t)(5 + (c - LXC_PAGE_TYPE_5)) << PFN_TYPE_SHIFT;
        /* PV: pfn 0 (its contents have no present entry: an empty table)
         * is the vcpu's pinned top-level page table, as a restore needs
         * (cr3 = 0). */
        else if (g->lx_pv && pfns[i] == 0 && g->pages >= 2)
            e |= PFN_TYPE_L4PIN << PFN_TYPE_SHIFT;
        put_le64(out_reserve(o, 8), e);
    }
    for (i = 0; i < count; i++)
        fill_page(g, out_reserve(o, GEN_PAGE), pfns[i], ckpt);
    rec_end(o, len, NULL);
}

/* All pages in --batch sized records, then the --xtab records. */
static void write_memory_pass(struct gen *g)
{
    uint64_t pfn = 0, i;
    uint64_t *pfns = NULL;
    unsigned char b[16];

    if (g->pages) {
        size_t n = g->batch < g->pages ? g->batch : (size_t)g->pages;

        pfns = calloc(n, sizeof(*pfns));
        if (!pfns)
            gen_die(GEN_EXIT_IO, "out of memory");
    }
    while (pfn < g->pages) {
        uint64_t left = g->pages - pfn;
        uint32_t count = left < g->batch ? (uint32_t)left : g->batch;

        for (i = 0; i < count; i++)
            pfns[i] = pfn + i;
        write_pages(g, pfns, count, 0);
        pfn += count;
    }
    free(pfns);
    /* XTAB: a pfn that became invalid; no page data follows it. */
    for (i = 0; i < g->xtab; i++) {
        /* From pfn 2 up: pfns 0 and 1 are the vcpu's cr3 and start info,
         * which a restore needs populated. */
        uint64_t x = g->pages > 2 ? 2 + i % (g->pages - 2)
                                  : g->pages ? i % g->pages : i;

        put_le32(b, 1);
        put_le32(b + 4, 0);
        put_le64(b + 8, x | PFN_TYPE_XTAB << PFN_TYPE_SHIFT);
        lxc_rec(g, REC_PAGE_DATA, b, sizeof(b), 0);
    }
}

static void write_tsc(struct gen *g, unsigned ckpt)
{
    unsigned char t[24];

    put_le32(t, 0);                          /* TSC_MODE_DEFAULT */
    put_le32(t + 4, 2400000);                /* kHz */
    put_le64(t + 8, 1000000000ull * (10 + ckpt));
    put_le32(t + 16, 1);                     /* incarnation */
    put_le32(t + 20, 0);
    lxc_rec(g, REC_TSC_INFO, t, sizeof(t), ckpt);
}

/* nonzero-pad: one record gets 4 more body bytes and 0xaa padding. */
static void write_padded(struct gen *g, uint32_t type, const void *body,
                         size_t len, unsigned ckpt)
{
    static const struct rec_ov junk = { .has_pad = 1, .pad = 0xaa };
    static const unsigned char zero4[4];

    if (g->corrupt != LXC_NONZERO_PAD || g->pad_done) {
        lxc_rec(g, type, body, len, ckpt);
        return;
    }
    g->pad_done = 1;
    rec_begin(&g->out, LVL_LIBXC, type, len + 4, 0, NULL, ckpt);
    out_bytes(&g->out, body, len);
    out_bytes(&g->out, zero4, 4);
    rec_end(&g->out, len + 4, &junk);
}

static void write_pv_eoc(struct gen *g, unsigned ckpt)
{
    unsigned char buf[8 + BASIC_CTX];

    memset(buf, 0, sizeof(buf));
    buf[1] = 1;                               /* vcpu0 evtchn_upcall_mask */
    lxc_rec(g, REC_SHARED_INFO, buf, GEN_PAGE, ckpt);

    /* vcpu_id 0, reserved 0, then the context */
    memset(buf, 0, sizeof(buf));
    put_le16(buf + 8, 0x37f);                 /* FPU control word */
    put_le32(buf + 8 + 24, 0x1f80);           /* MXCSR */
    put_le64(buf + 8 + 512, 1u << 2 | 1u << 5); /* VGCF_in_kernel|online */
    put_le64(buf + 8 + 616, 1);               /* rdx: start info at pfn 1 */
    lxc_rec(g, REC_PV_VCPU_BASIC, buf, 8 + BASIC_CTX, ckpt);

    memset(buf, 0, sizeof(buf));
    put_le32(buf + 12, EXT_CTX);              /* ext ctx: vcpu 0, size */
    write_padded(g, REC_PV_VCPU_EXT, buf, 8 + EXT_CTX, ckpt);

    memset(buf, 0, sizeof(buf));
    put_le64(buf + 8, 7);                     /* xfeature mask x87|SSE|AVX */
    put_le64(buf + 16, 7);                    /* xcr0 accumulated */
    put_le16(buf + 24, 0x37f);
    put_le32(buf + 24 + 24, 0x1f80);
    put_le64(buf + 24 + 512, 7);              /* xstate_bv */
    lxc_rec(g, REC_PV_VCPU_XSAVE, buf, 8 + XSAVE_CTX, ckpt);
}

static void write_hvm_eoc(struct gen *g, unsigned ckpt)
{
    /* hvm_save_descriptor HEADER (1), hvm_save_header, END descriptor */
    unsigned char c[40], p[8 + 4 * 16];
    /* The store and console pfns name populated pages (the last two of
     * the stream's), as a restore needs. */
    uint64_t top = g->pages >= 2 ? g->pages : 0x100000;
    const uint64_t params[][2] = {
        { 1, top - 2 },    /* HVM_PARAM_STORE_PFN */
        { 5, 0xfeffd },    /* HVM_PARAM_IOREQ_PFN */
        { 6, 0xfeffe },    /* HVM_PARAM_BUFIOREQ_PFN */
        { 17, top - 1 },   /* HVM_PARAM_CONSOLE_PFN */
    };
    unsigned i;

    memset(c, 0, sizeof(c));
    put_le16(c, 1);
    put_le16(c + 2, 0);
    put_le32(c + 4, 24);
    put_le32(c + 8, 0x54381286);              /* HVM_FILE_MAGIC */
    put_le32(c + 12, 1);                      /* HVM_FILE_VERSION */
    put_le32(c + 24, 0x000806ec);             /* cpuid */
    put_le32(c + 28, 2400000);                /* gtsc_khz */
    write_padded(g, REC_HVM_CONTEXT, c, sizeof(c), ckpt);

    put_le32(p, 4);
    put_le32(p + 4, 0);
    for (i = 0; i < 4; i++) {
        put_le64(p + 8 + i * 16, params[i][0]);
        put_le64(p + 16 + i * 16, params[i][1]);
    }
    lxc_rec(g, REC_HVM_PARAMS, p, sizeof(p), ckpt);
}

/* Spec 5.1/5.2 and xg_sr_save_x86_{pv,hvm}.c end_of_checkpoint. */
static void write_eoc(struct gen *g, int pv, unsigned ckpt)
{
    write_tsc(g, ckpt);
    if (pv)
        write_pv_eoc(g, ckpt);
    else
        write_hvm_eoc(g, ckpt);
}

static void write_checkpoint(struct gen *g, int pv, unsigned k)
{
    uint64_t pfns[CKPT_PAGES];
    uint32_t n = g->pages < CKPT_PAGES ? (uint32_t)g->pages : CKPT_PAGES, i;

    if (g->colo && k > 1) {
        unsigned char st[4] = { 0 };   /* CHECKPOINT_NEW */

        rec_small(&g->out, LVL_LIBXL, 5, st, sizeof(st), g->big, k);
    }
    for (i = 0; i < n; i++)
        pfns[i] = ((uint64_t)(k - 1) * CKPT_PAGES + i) % g->pages;
    if (n)
        write_pages(g, pfns, n, k);
    write_eoc(g, pv, k);
    lxc_rec(g, REC_CHECKPOINT, NULL, 0, k);
    libxl_ckpt_write(g, k);
}

int libxc_write(struct gen *g, int pv)
{
    static const struct rec_ov gib = { .has_len = 1, .len = 1u << 30 };
    unsigned k;

    rec_small(&g->out, LVL_LIBXL, 1, NULL, 0, g->big, 0);  /* LIBXC_CONTEXT */
    g->lx_pv = pv;
    write_headers(g, pv);
    write_static(g, pv);
    if (pv)
        write_p2m_frames(g);
    if (g->corrupt == LXC_BIG_RECORD) {
        /* A header claiming 1 GiB, then EOF: a reader must not trust it. */
        rec_begin(&g->out, LVL_LIBXC, REC_PAGE_DATA, 0, 0, &gib, 0);
        return 1;
    }
    write_memory_pass(g);
    if (g->checkpoints) {
        for (k = 1; k <= g->checkpoints; k++)
            write_checkpoint(g, pv, k);
        if (!g->final_end)
            return 1;
    } else {
        write_eoc(g, pv, 0);
    }
    if (g->corrupt == LXC_NO_END)
        return 1;
    lxc_rec(g, REC_END, NULL, 0, 0);
    return 0;
}
