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
};

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
};

/* Internal result: libxenguest's "goto remus_failover" (xg_sr_restore.c
 * restore()): it stops reading and resumes the last checkpoint, and its
 * xc_domain_restore() returns success. */
#define LX_FAILOVER 100

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

/* report.c */
const char *lx_type_name(uint32_t type);
const char *lx_guest_name(uint32_t guest_type);
void lx_report(struct lx_state *s);

/* restore.c */
int lx_restore_init(struct lx_state *s);
int lx_restore_stream(struct lx_state *s);
void lx_restore_fini(struct lx_state *s);

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
