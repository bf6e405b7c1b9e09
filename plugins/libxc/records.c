/*
 * records.c - the rules every libxc record must follow, as data where the
 * rule is a size, as code where it needs the body.
 *
 * Sources, cited per rule: "spec" is docs/specs/libxc-migration-stream
 * (revision 3, Xen 4.17); "restore" is what Xen 4.17's libxenguest
 * (xg_sr_restore*.c) refuses, which is what a real restore would hit; the
 * Python verifier (xen/migration/libxc.py) was used as a checklist.
 * PAGE_DATA is checked in verify.c, where its pfn array streams past.
 */
#include <stdio.h>
#include <string.h>

#include "libxc.h"

#define NOMAX UINT32_MAX

const struct lx_rule lx_rules[LX_NR_TYPES] = {
    /* spec 4.1: no fields */
    [LX_REC_END] = { "END", 0, 0, 0, 0, 0, NULL },
    /* spec 4.2: at least the count/reserved header; verify.c does the rest */
    [LX_REC_PAGE_DATA] = { "PAGE_DATA", 0, 0, 8, NOMAX, 0, NULL },
    /* spec 4.3: w, ptl, 6 reserved bytes; restore: PV only */
    [LX_REC_X86_PV_INFO] = { "X86_PV_INFO", LX_PV_ONLY, 8, 8, 8, 0, NULL },
    /* spec 4.4: start, end, then u64 frames */
    [LX_REC_X86_PV_P2M_FRAMES] = { "X86_PV_P2M_FRAMES", LX_PV_ONLY, 8, 8,
                                   NOMAX, 8, NULL },
    /* spec 4.5: vcpu_id, reserved, blob */
    [LX_REC_X86_PV_VCPU_BASIC] = { "X86_PV_VCPU_BASIC", LX_PV_ONLY, 8, 8,
                                   NOMAX, 0, NULL },
    /* restore: extended blob at most 128 bytes */
    [LX_REC_X86_PV_VCPU_EXTENDED] = { "X86_PV_VCPU_EXTENDED", LX_PV_ONLY, 8,
                                      8, 8 + 128, 0, NULL },
    [LX_REC_X86_PV_VCPU_XSAVE] = { "X86_PV_VCPU_XSAVE", LX_PV_ONLY, 8, 8,
                                   NOMAX, 0, NULL },
    /* spec 4.6: exactly one page */
    [LX_REC_SHARED_INFO] = { "SHARED_INFO", LX_PV_ONLY, 0, 4096, 4096, 0,
                             NULL },
    /* spec 4.7: mode, khz, nsec, incarnation, reserved */
    [LX_REC_X86_TSC_INFO] = { "X86_TSC_INFO", 0, 24, 24, 24, 0, NULL },
    /* restore: an empty HVM context is refused */
    [LX_REC_HVM_CONTEXT] = { "HVM_CONTEXT", LX_HVM_ONLY, 0, 1, NOMAX, 0,
                             NULL },
    /* spec 4.9: count, reserved, count (index, value) pairs */
    [LX_REC_HVM_PARAMS] = { "HVM_PARAMS", LX_HVM_ONLY, 8, 8, NOMAX, 0,
                            NULL },
    /* spec 4.10: deprecated; no Xen 4.17 restore handles it (mandatory) */
    [LX_REC_TOOLSTACK] = { "TOOLSTACK", LX_REFUSED, 0, 0, NOMAX, 0,
                           "deprecated TOOLSTACK record: Xen 4.17 cannot "
                           "restore it" },
    [LX_REC_X86_PV_VCPU_MSRS] = { "X86_PV_VCPU_MSRS", LX_PV_ONLY, 8, 8,
                                  NOMAX, 0, NULL },
    /* spec 4.11, 4.12: no fields */
    [LX_REC_VERIFY] = { "VERIFY", 0, 0, 0, 0, 0, NULL },
    [LX_REC_CHECKPOINT] = { "CHECKPOINT", 0, 0, 0, 0, 0, NULL },
    /* spec 4.13: only on COLO's back channel, secondary to primary */
    [LX_REC_CHECKPOINT_DIRTY_PFN_LIST] = {
        "CHECKPOINT_DIRTY_PFN_LIST", LX_REFUSED, 0, 0, NOMAX, 0,
        "CHECKPOINT_DIRTY_PFN_LIST belongs on the COLO back channel, not "
        "in a saved stream" },
    /* spec 4.14, 6.1: v3 only, no fields */
    [LX_REC_STATIC_DATA_END] = { "STATIC_DATA_END", LX_V3_ONLY, 0, 0, 0, 0,
                                 NULL },
    /* spec 4.15/4.16: arrays of xen_cpuid_leaf_t (24 bytes) and
     * xen_msr_entry_t (16 bytes); restore refuses empty ones */
    [LX_REC_X86_CPUID_POLICY] = { "X86_CPUID_POLICY", LX_V3_ONLY, 0, 24,
                                  NOMAX, 24, NULL },
    [LX_REC_X86_MSR_POLICY] = { "X86_MSR_POLICY", LX_V3_ONLY, 0, 16, NOMAX,
                                16, NULL },
};

const char *const lx_page_type_names[16] = {
    "NOTAB", "L1TAB", "L2TAB", "L3TAB", "L4TAB", "TYPE5", "TYPE6", "TYPE7",
    "TYPE8", "L1TAB_PIN", "L2TAB_PIN", "L3TAB_PIN", "L4TAB_PIN", "BROKEN",
    "XALLOC", "XTAB",
};

/* spec 4.2: NOTAB and L1-L4 tables, pinned or not, carry a page; BROKEN,
 * XALLOC and XTAB carry none; 5-8 are reserved, "restoring an image with
 * unrecognised page types shall fail". */
const uint8_t lx_page_type_class[16] = {
    1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0,
};

static bool zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* A reserved field libxenguest never reads: with --strict the reason is
 * the record's error; otherwise a warning, and the checks go on. */
static const char *reserved(struct lx_verify *v, const char *why)
{
    if (v->strict)
        return why;
    (void)lx_conform(v, v->rec_off, v->rec_what, "%s", why);
    return NULL;
}

/* spec 6.1 and restore: in a v2 stream the first X86_PV_P2M_FRAMES or
 * PAGE_DATA stands in for STATIC_DATA_END; v3 must have sent it. */
const char *lx_need_static_end(struct lx_verify *v, const char *name,
                               char *why, size_t whylen)
{
    if (v->seen_static_end)
        return NULL;
    if (v->version < 3) {
        v->seen_static_end = true;
        return NULL;
    }
    snprintf(why, whylen, "%s before STATIC_DATA_END in a v3 stream", name);
    return why;
}

static const char *check_pv_info(struct lx_verify *v, const uint8_t *b,
                                 char *why, size_t whylen)
{
    if (v->seen_pv_info)    /* restore: "Already received X86_PV_INFO" */
        return "second X86_PV_INFO record";
    /* restore: the only legitimate width/levels pairs are 4/3 and 8/4 */
    if (!((b[0] == 4 && b[1] == 3) || (b[0] == 8 && b[1] == 4))) {
        snprintf(why, whylen, "invalid guest width %u with %u page-table "
                 "levels (4/3 or 8/4)", b[0], b[1]);
        return why;
    }
    if (!zero(b + 2, 6) &&
        reserved(v, "reserved bytes of X86_PV_INFO are not zero"))
        return "reserved bytes of X86_PV_INFO are not zero (--strict)";
    v->seen_pv_info = true;
    v->pv_width = b[0];
    v->pv_levels = b[1];
    return NULL;
}

static const char *check_p2m_frames(struct lx_verify *v, uint32_t len,
                                    const uint8_t *b, char *why,
                                    size_t whylen)
{
    const char *r = lx_need_static_end(v, "X86_PV_P2M_FRAMES", why, whylen);
    if (r)
        return r;
    if (!v->seen_pv_info)
        return "X86_PV_P2M_FRAMES before X86_PV_INFO";
    uint32_t start = lx_le32(b), end = lx_le32(b + 4);
    if (start > end) {
        snprintf(why, whylen, "p2m start pfn %#x above end pfn %#x",
                 start, end);
        return why;
    }
    /* restore: one u64 per p2m frame covering start..end */
    uint32_t fpp = 4096u / v->pv_width;
    uint64_t want = 8 + ((uint64_t)(end / fpp + 1) - start / fpp) * 8;
    if (len != want) {
        snprintf(why, whylen, "length %u for pfns %#x-%#x, expected %llu",
                 len, start, end, (unsigned long long)want);
        return why;
    }
    /* restore: the p2m grows to end pfn (expand_p2m), never shrinks */
    v->have_p2m = true;
    if (end > v->max_pfn)
        v->max_pfn = end;
    return NULL;
}

static const char *check_vcpu(struct lx_verify *v, uint32_t type,
                              uint32_t len, const uint8_t *b, char *why,
                              size_t whylen)
{
    uint32_t blob = len - 8;

    if (!v->seen_pv_info)   /* spec 5.1: X86_PV_INFO comes first */
        return "vcpu record before X86_PV_INFO";
    if (lx_le32(b + 4) &&
        reserved(v, "reserved field of the vcpu header is not zero"))
        return "reserved field of the vcpu header is not zero (--strict)";
    /* restore: handle_x86_pv_vcpu_blob, "vcpu_id exceeds domain max";
     * the domain xl creates has the config's max_vcpus */
    uint32_t id = lx_le32(b);
    if (v->cfg.max_vcpus && id >= v->cfg.max_vcpus) {
        snprintf(why, whylen, "vcpu_id %u, the domain has %u vcpus (xl "
                 "config b_info.max_vcpus)", id, v->cfg.max_vcpus);
        return why;
    }
    if (blob == 0)          /* spec errata: tolerate empty ones */
        return NULL;
    /* restore: exactly a vcpu_guest_context of the guest's width
     * (x86_64 5168 bytes, x86_32 2800, xen/foreign/x86_{64,32}.h) */
    uint32_t basic = v->pv_width == 8 ? 5168 : 2800;
    if (type == LX_REC_X86_PV_VCPU_BASIC && blob != basic) {
        snprintf(why, whylen, "vcpu context of %u bytes, a %u-bit guest's "
                 "is %u", blob, v->pv_width * 8u, basic);
        return why;
    }
    if (type == LX_REC_X86_PV_VCPU_XSAVE && blob < 16) {
        snprintf(why, whylen, "xsave blob of %u bytes, at least 16", blob);
        return why;
    }
    /* restore: a whole number of xen_domctl_vcpu_msr_t (16 bytes) */
    if (type == LX_REC_X86_PV_VCPU_MSRS && blob % 16) {
        snprintf(why, whylen, "msr blob of %u bytes, not a multiple of 16",
                 blob);
        return why;
    }
    return NULL;
}

static const char *check_hvm_params(struct lx_verify *v, uint32_t len,
                                    const uint8_t *b, char *why,
                                    size_t whylen)
{
    uint32_t count = lx_le32(b);
    if (lx_le32(b + 4) &&
        reserved(v, "reserved field of HVM_PARAMS is not zero"))
        return "reserved field of HVM_PARAMS is not zero (--strict)";
    uint64_t want = 8 + (uint64_t)count * 16;
    if (len != want) {
        snprintf(why, whylen, "length %u for %u params, expected %llu",
                 len, count, (unsigned long long)want);
        return why;
    }
    return NULL;
}

const char *lx_check_record(struct lx_verify *v, uint32_t type,
                            uint32_t len, const uint8_t *b, char *why,
                            size_t whylen)
{
    switch (type) {
    case LX_REC_X86_PV_INFO:
        return check_pv_info(v, b, why, whylen);
    case LX_REC_X86_PV_P2M_FRAMES:
        return check_p2m_frames(v, len, b, why, whylen);
    case LX_REC_X86_PV_VCPU_BASIC:
    case LX_REC_X86_PV_VCPU_EXTENDED:
    case LX_REC_X86_PV_VCPU_XSAVE:
    case LX_REC_X86_PV_VCPU_MSRS:
        return check_vcpu(v, type, len, b, why, whylen);
    case LX_REC_SHARED_INFO:    /* restore: needs the guest width first */
        return v->seen_pv_info ? NULL : "SHARED_INFO before X86_PV_INFO";
    case LX_REC_X86_TSC_INFO:
        if (lx_le32(b + 20) &&
            reserved(v, "reserved field of X86_TSC_INFO is not zero"))
            return "reserved field of X86_TSC_INFO is not zero (--strict)";
        return lx_check_tsc(b, why, whylen);
    case LX_REC_HVM_PARAMS:
        return check_hvm_params(v, len, b, why, whylen);
    case LX_REC_STATIC_DATA_END:
        /* restore: "Multiple STATIC_DATA_END records found" */
        if (v->seen_static_end)
            return "second STATIC_DATA_END record";
        v->seen_static_end = true;
        return NULL;
    default:
        return NULL;
    }
}
