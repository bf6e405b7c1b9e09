/*
 * libxc.h - private declarations shared by the files of the libxc plugin.
 *
 * The plugin is bound to LIBXL record LIBXC_CONTEXT.  In verify, dump and
 * dry-run modes it parses the inline libxc stream itself (verify.c, rules
 * in records.c, report in report.c); in restore mode it hands the fd to
 * libxenguest's xc_domain_restore() (restore.c).
 */
#ifndef XLSR_PLUGIN_LIBXC_H
#define XLSR_PLUGIN_LIBXC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <xlsr/plugin.h>

/* libxc-migration-stream spec, section 4: record types 0x00..0x12. */
#define LX_REC_END                      0x00u
#define LX_REC_PAGE_DATA                0x01u
#define LX_REC_X86_PV_INFO              0x02u
#define LX_REC_X86_PV_P2M_FRAMES        0x03u
#define LX_REC_X86_PV_VCPU_BASIC        0x04u
#define LX_REC_X86_PV_VCPU_EXTENDED     0x05u
#define LX_REC_X86_PV_VCPU_XSAVE        0x06u
#define LX_REC_SHARED_INFO              0x07u
#define LX_REC_X86_TSC_INFO             0x08u
#define LX_REC_HVM_CONTEXT              0x09u
#define LX_REC_HVM_PARAMS               0x0Au
#define LX_REC_TOOLSTACK                0x0Bu
#define LX_REC_X86_PV_VCPU_MSRS         0x0Cu
#define LX_REC_VERIFY                   0x0Du
#define LX_REC_CHECKPOINT               0x0Eu
#define LX_REC_CHECKPOINT_DIRTY_PFN_LIST 0x0Fu
#define LX_REC_STATIC_DATA_END          0x10u
#define LX_REC_X86_CPUID_POLICY         0x11u
#define LX_REC_X86_MSR_POLICY           0x12u
#define LX_NR_TYPES                     0x13u
#define LX_REC_OPTIONAL                 0x80000000u
/* The largest record libxenguest reads (xg_sr_common.h REC_LENGTH_MAX). */
#define LX_REC_LENGTH_MAX               (128u << 20)

/* Domain header guest types (spec 3.2). */
#define LX_GUEST_PV     1u
#define LX_GUEST_HVM    2u

/* Per-type rule flags (records.c). */
#define LX_V3_ONLY      0x01u   /* only in stream version 3 and later */
#define LX_PV_ONLY      0x02u   /* only an x86 PV restore handles it */
#define LX_HVM_ONLY     0x04u   /* only an x86 HVM restore handles it */
#define LX_REFUSED      0x08u   /* never valid in a forward stream */

/* Static rules of one record type: sizes the body must have. */
struct lx_rule {
    const char *name;
    uint8_t flags;
    uint8_t inspect;        /* leading body bytes the content checks need */
    uint32_t min;           /* smallest body */
    uint32_t max;           /* largest body (UINT32_MAX: unbounded) */
    uint32_t multiple;      /* body (after `min` bytes when noted) step */
    const char *why;        /* for LX_REFUSED: the reason */
};

extern const struct lx_rule lx_rules[LX_NR_TYPES];

/* Page types: PAGE_DATA pfn bits 60-63 (XEN_DOMCTL_PFINFO_* >> 28). */
extern const char *const lx_page_type_names[16];
/* 1 for types followed by a page of data, 2 for invalid types, else 0. */
extern const uint8_t lx_page_type_class[16];

/* What a verification pass saw; report.c prints it. */
struct lx_stats {
    uint32_t version;
    uint32_t guest_type;
    uint16_t page_shift;
    uint32_t xen_major, xen_minor;
    uint64_t records;
    uint64_t by_type[LX_NR_TYPES];
    uint64_t optional;          /* optional records skipped */
    uint64_t pages[16];         /* pfn entries by page type */
    uint64_t data_bytes;        /* page contents skipped */
    uint32_t checkpoints;
    bool complete;              /* reached the libxc END */
    uint64_t warnings;          /* conformance findings (not --strict) */
    uint64_t pt_pages;          /* PV page tables read and checked */
};

/*
 * What the guest's saved xl configuration says (xlcfg.c): the facts a
 * restore takes from the domain xl builds from it, not from the stream.
 */
struct lx_config {
    bool present;               /* the stream carried a JSON config */
    uint32_t max_vcpus;         /* b_info.max_vcpus; 0 when absent */
    char type[8];               /* c_info.type: "pv", "pvh", "hvm", "" */
};

/*
 * Per-pfn facts, sparse (pfnmap.c): 16 bits per pfn the stream names, in
 * chunks allocated as pfns appear, within a fixed budget.  Bits 0-3: the
 * page type of its last PAGE_DATA entry; the rest below.
 */
#define LX_PFN_TYPE     0x000Fu
#define LX_PFN_SEEN     0x0010u     /* populated by the stream */
#define LX_PFN_RW       0x0020u     /* mapped writable by an L1 table */
#define LX_PFN_TABREF   0x0040u     /* named as a table by a pinned table */
#define LX_PFN_P2M      0x0080u     /* a frame of the guest's p2m list */
#define LX_PFN_GDT      0x0100u     /* a GDT frame of a vcpu */
#define LX_PFN_SINFO    0x0200u     /* vcpu0's start info page */
#define LX_PFN_CR3      0x0400u     /* a vcpu's top-level page table */

#define LX_PFN_CHUNK_SHIFT 12
struct lx_pfnchunk {
    uint64_t base;                  /* pfn >> LX_PFN_CHUNK_SHIFT */
    uint16_t f[1u << LX_PFN_CHUNK_SHIFT];
};
struct lx_pfnmap {
    struct lx_pfnchunk **chunks;    /* sorted by base pfn */
    size_t n, cap;
    size_t last;                    /* index of the last chunk used */
    size_t bytes, budget;
    bool overflow;                  /* budget hit: per-pfn checks off */
};

uint16_t *lx_pfn_slot(struct lx_pfnmap *m, uint64_t pfn, bool create);
/* The same, inline for the chunk used last (the PAGE_DATA hot path). */
static inline uint16_t *lx_pfn_at(struct lx_pfnmap *m, uint64_t pfn)
{
    uint64_t base = pfn >> LX_PFN_CHUNK_SHIFT;
    if (m->last < m->n && m->chunks[m->last]->base == base)
        return &m->chunks[m->last]->f[pfn & ((1u << LX_PFN_CHUNK_SHIFT) - 1)];
    return lx_pfn_slot(m, pfn, true);
}
void lx_pfnmap_free(struct lx_pfnmap *m);
/* Calls fn for every pfn with any of `any` set, or all of `all` (when
 * not 0); stops at its first non-NULL result and returns it. */
const char *lx_pfnmap_each(struct lx_pfnmap *m, uint16_t any, uint16_t all,
                           const char *(*fn)(void *arg, uint64_t pfn,
                                             uint16_t f),
                           void *arg);

/* One verification pass over a libxc stream (verify.c). */
struct lx_verify {
    struct lx_state *s;
    uint64_t off;               /* stream offset of the next byte */
    uint64_t max;               /* largest record body allowed */
    uint32_t version;           /* image header version, 2 or 3 */
    uint32_t guest;             /* domain header type */
    bool verbose;               /* dump -v: one line per record */
    bool seen_static_end;       /* STATIC_DATA_END seen or inferred */
    bool seen_pv_info;
    uint8_t pv_width;           /* X86_PV_INFO guest width, 4 or 8 */
    bool after_ckpt;            /* next record is the first after one */
    bool failover;              /* libxenguest would fail over here */
    char why[512];              /* the last vfail() reason */
    char deferred[600];         /* first content error while buffering */
    bool strict;                /* conformance findings are errors */
    uint64_t rec_off;           /* the record being checked (records.c) */
    const char *rec_what;
    uint8_t pv_levels;          /* X86_PV_INFO page-table levels */
    bool have_p2m;              /* X86_PV_P2M_FRAMES seen */
    uint64_t max_pfn;           /* PV: end pfn of the p2m */
    bool vcpu0_basic;           /* PV: vcpu 0's basic state seen */
    uint64_t store_pfn, console_pfn;    /* HVM_PARAMS, ~0 when absent */
    struct lx_config cfg;
    struct lx_pfnmap map;
    /* PV page tables of the current PAGE_DATA: (data page index, pfn,
     * type) of each, read after its pfn array (pvpt.c). */
    struct lx_ptpage { uint32_t idx; uint32_t type; uint64_t pfn; } *pt;
    size_t npt, ptcap;
    /* A regular file (host->input_file): page tables by pread (ptread.c);
     * in_fd is -1 otherwise. */
    int in_fd;
    uint64_t in_base;
    uint64_t in_size;           /* its size when verify began */
    uint64_t ahead_upto;        /* record headers announced below this */
    uint8_t *ptbuf;
    /* Cold cache: the tables of the records walked since the last check,
     * announced, checked together (ptread.c). */
    struct lx_ptpend {
        struct lx_ptpage *pt;   /* every record's, one after the other */
        size_t n, cap;
        struct lx_ptrec {
            uint64_t off, data; /* the record's offset, its data's file pos */
            size_t first, n;    /* its tables in pt[] */
        } *rec;
        size_t nrec, reccap;
    } pend;
};

/* Internal result: libxenguest's "goto remus_failover" (xg_sr_restore.c
 * restore()): it stops reading and resumes the last checkpoint, and its
 * xc_domain_restore() returns success. */
#define LX_FAILOVER 100
/* Internal result of lx_pt_direct(): read the rest through the stream. */
#define LX_PT_STREAM 101

/* Plugin state, one per stream. */
struct lx_state {
    const struct xlsr_host *host;
    xlsr_handle *h;
    struct xlsr_restore_ctx *ctx;
    bool verify;                /* parse ourselves instead of restoring */
    void *xc;                   /* restore.c's state (NULL in verify) */
    struct lx_stats st;
};

/* verify.c */
int lx_verify_stream(struct lx_state *s);

/* records.c: content checks of one non-PAGE_DATA record whose first
 * min(len, inspect) bytes are in `body`.  Returns NULL or a reason. */
const char *lx_check_record(struct lx_verify *v, uint32_t type,
                            uint32_t len, const uint8_t *body,
                            char *why, size_t whylen);

/* records.c: STATIC_DATA_END must be seen (v3) or is inferred (v2) before
 * the first X86_PV_P2M_FRAMES or PAGE_DATA.  Returns NULL or a reason. */
const char *lx_need_static_end(struct lx_verify *v, const char *name,
                               char *why, size_t whylen);

/* verify.c: a finding Xen's restore ignores (reserved fields, padding):
 * a warning, or with --strict an error.  Returns XLSR_OK or an error. */
int lx_conform(struct lx_verify *v, uint64_t off, const char *what,
               const char *fmt, ...) XLSR_PRINTF(4, 5);

/* xlcfg.c: parses ctx->xl_config with yajl.  NULL or why it does not. */
const char *lx_config_parse(const char *json, struct lx_config *cfg,
                            char *why, size_t whylen);

/* pvpt.c: PV page tables and the references a PV restore resolves. */
const char *lx_pv_table(struct lx_verify *v, uint64_t pfn, unsigned type,
                        const uint8_t *page, char *why, size_t whylen);
const char *lx_pv_vcpu_basic(struct lx_verify *v, const uint8_t *ctx,
                             uint32_t vcpu_id, char *why, size_t whylen);
const char *lx_pv_mark(struct lx_verify *v, uint64_t pfn, uint16_t bit,
                       const char *what, char *why, size_t whylen);
const char *lx_pv_end(struct lx_verify *v, char *why, size_t whylen);

/* policy.c: X86_TSC_INFO, X86_CPUID_POLICY, X86_MSR_POLICY entries. */
const char *lx_check_tsc(const uint8_t *b, char *why, size_t whylen);
const char *lx_check_cpuid(const uint8_t *leaf, uint32_t i, char *why,
                           size_t whylen);
const char *lx_check_msr(const uint8_t *ent, uint32_t i, char *why,
                         size_t whylen);
#define LX_CPUID_MAX_LEAVES 120u    /* CPUID_MAX_SERIALISED_LEAVES */
#define LX_MSR_MAX_ENTRIES  2u      /* MSR_MAX_SERIALISED_ENTRIES */

/* verify.c: exact reads and skips of the libxc stream, and the error
 * they report, for the checkers in other files. */
int lx_rd(struct lx_verify *v, void *buf, size_t n, uint64_t off,
          const char *what);
int lx_sk(struct lx_verify *v, uint64_t n, uint64_t off, const char *what);
int lx_vfail(struct lx_verify *v, int rc, uint64_t off, const char *what,
             const char *fmt, ...) XLSR_PRINTF(5, 6);

/* ptread.c: on a regular file, the page tables v->pt of the PAGE_DATA
 * at off (body length len, count pfns) read and checked by pread, with
 * read-ahead hints; XLSR_OK, an error, or LX_PT_STREAM: read tables
 * *checked.. through the stream (not a file, or the file ends early). */
int lx_pt_open(struct lx_verify *v);
/* The tables lx_pt_direct() left to check: before any record that is not
 * PAGE_DATA, and before the next PAGE_DATA's own. */
int lx_pt_flush(struct lx_verify *v);
int lx_pt_direct(struct lx_verify *v, uint64_t off, uint32_t len,
                 uint32_t count, size_t *checked);

/* hvm.c: the HVM_CONTEXT blob (len bytes at off, streamed) and one
 * HVM_PARAMS entry; the params are judged at the libxc END. */
int lx_hvm_context(struct lx_verify *v, uint64_t off, uint32_t len);
const char *lx_hvm_param(struct lx_verify *v, uint64_t index,
                         uint64_t value, char *why, size_t whylen);
const char *lx_hvm_end(struct lx_verify *v, char *why, size_t whylen);

/* report.c */
const char *lx_type_name(uint32_t type);
const char *lx_guest_name(uint32_t guest_type);
void lx_report(struct lx_state *s);

/* restore.c */
int lx_restore_init(struct lx_state *s);
int lx_restore_stream(struct lx_state *s);
void lx_restore_fini(struct lx_state *s);

/* Room in *a (elements of size bytes, *cap of them) for need: doubling
 * from first.  false, leaving *a as it was, when realloc() fails. */
static inline bool lx_grow(void **a, size_t *cap, size_t need, size_t size,
                           size_t first)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    void *n = realloc(*a, c * size);
    if (!n)
        return false;
    *a = n;
    *cap = c;
    return true;
}

static inline uint32_t lx_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint16_t lx_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint64_t lx_le64(const uint8_t *p)
{
    return (uint64_t)lx_le32(p) | (uint64_t)lx_le32(p + 4) << 32;
}

static inline uint32_t lx_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint16_t lx_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

#endif /* XLSR_PLUGIN_LIBXC_H */
