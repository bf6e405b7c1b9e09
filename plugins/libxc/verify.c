/*
 * verify.c - reads a whole inline libxc stream and checks it, touching
 * nothing: image header, domain header, then records up to the libxc END.
 *
 * Every byte comes through host->read or host->skip (the core buffers in
 * these modes), so the core's offset stays exact and the libxl stream
 * resumes right after our END.  The hot path is PAGE_DATA: its pfn array
 * is read into a stack buffer (whole, or in fixed chunks) and checked
 * entry by entry against one 16-entry table of page types; page contents
 * are skipped, never copied.
 * No allocation happens per record, and nothing is printed per record
 * unless dump -v asked for it.  A length field is checked against
 * host->max_record_bytes() before anything is read on its behalf.
 *
 * Checkpointed streams (Remus, COLO): a libxc CHECKPOINT record hands the
 * fd back to libxl, which reads its records up to CHECKPOINT_END; then the
 * next checkpoint's libxc records follow (spec 4.12; libxl's
 * libxl_stream_read.c and libxenguest's handle_checkpoint()).  We do the
 * same through host->checkpoint(), and judge as libxenguest does
 * (xg_sr_restore.c restore() and handle_checkpoint()):
 *  - before the first checkpoint completes, records are processed as they
 *    come: any error fails the restore;
 *  - after it, records are buffered up to the next CHECKPOINT and only
 *    processed after its callback succeeded: a content error is kept
 *    (v->deferred) and fails the restore only if that CHECKPOINT comes;
 *    a read or framing error (the stream ends, a record too large) is a
 *    failover to the last checkpoint (LX_FAILOVER), and so is a libxc END
 *    or a FAILOVER answer to the checkpoint callback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libxc.h"

#define IHDR_MARKER     0xFFFFFFFFFFFFFFFFull
#define IHDR_ID         0x58454E46u         /* "XENF" */
#define PFN_RESERVED    0x0FF0000000000000ull   /* bits 52-59 */
#define PFN_MASK        0x000FFFFFFFFFFFFFull   /* PAGE_DATA_PFN_MASK */
#define PFN_CHUNK       1024    /* pfn entries per read: a save's batch */

/* Records the reason for the core, which adds the LIBXC_CONTEXT record's
 * offset and our handler name; ours is the offset inside the stream. */
int lx_vfail(struct lx_verify *v, int rc, uint64_t off, const char *what,
             const char *fmt, ...)
{
    char reason[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    snprintf(v->why, sizeof(v->why), "libxc offset %llu (0x%llx), %s: %s",
             (unsigned long long)off, (unsigned long long)off, what, reason);
    v->s->host->fail(v->s->h, "%s", v->why);
    return rc;
}
#define vfail lx_vfail

/*
 * Conformance: a rule of the spec that Xen's restore does not enforce
 * (reserved fields and padding, spec 2.3: "must be zero", ignored on
 * restore; bodies of records that should be empty).  The image restores,
 * so by default this is a warning; --strict makes it the error.
 */
int lx_conform(struct lx_verify *v, uint64_t off, const char *what,
               const char *fmt, ...)
{
    char reason[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (v->strict)
        return vfail(v, XLSR_ERR_STREAM, off, what, "%s (not conformant; "
                     "--strict)", reason);
    v->s->st.warnings++;
    v->s->host->log(v->s->h, XLSR_LOG_WARN, "libxc offset %llu (0x%llx), "
                    "%s: %s (not conformant; Xen's restore ignores it)",
                    (unsigned long long)off, (unsigned long long)off, what,
                    reason);
    return XLSR_OK;
}

/* "record PAGE_DATA (0x1)" for messages. */
static const char *rec_what(uint32_t type, char *buf, size_t len)
{
    snprintf(buf, len, "record %s (0x%x)", lx_type_name(type), type);
    return buf;
}

/* Records are being buffered: the first checkpoint is complete. */
static bool buffering(const struct lx_verify *v)
{
    return v->s->st.checkpoints > 0;
}

/* libxenguest stops here and resumes checkpoint N. */
static int failover(struct lx_verify *v, const char *fmt, ...)
    XLSR_PRINTF(2, 3);
static int failover(struct lx_verify *v, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    v->s->host->log(v->s->h, XLSR_LOG_INFO, "%s: libxenguest fails over to "
                    "checkpoint %u%s%s", what, v->s->st.checkpoints,
                    v->deferred[0] ? ", dropping the buffered records and "
                                     "their error: " : "", v->deferred);
    v->failover = true;
    return LX_FAILOVER;
}

/* A failed read: the stream ended (or broke) inside `what`.  While
 * buffering that is failover (xg_sr_restore.c restore(): a read_record()
 * failure with buffer_all_records goes to remus_failover). */
static int read_failed(struct lx_verify *v, int rc, uint64_t off,
                       const char *what)
{
    struct lx_state *s = v->s;
    uint64_t at = s->host->offset(s->h);
    if (buffering(v))
        return failover(v, "libxc stream %s at offset %llu inside "
                        "checkpoint %u, before its CHECKPOINT record",
                        rc == XLSR_ERR_EOF ? "ends" : "read error",
                        (unsigned long long)at, s->st.checkpoints + 1);
    if (rc != XLSR_ERR_EOF)
        return vfail(v, rc, off, what, "read error");
    return vfail(v, rc, off, what, "stream ends at offset %llu, before "
                 "libxc END", (unsigned long long)at);
}

int lx_rd(struct lx_verify *v, void *buf, size_t len, uint64_t off,
          const char *what)
{
    int rc = v->s->host->read(v->s->h, buf, len);
    if (rc)
        return read_failed(v, rc, off, what);
    v->off += len;
    return XLSR_OK;
}

int lx_sk(struct lx_verify *v, uint64_t len, uint64_t off,
          const char *what)
{
    if (!len)
        return XLSR_OK;
    int rc = v->s->host->skip(v->s->h, len);
    if (rc)
        return read_failed(v, rc, off, what);
    v->off += len;
    return XLSR_OK;
}
#define rd lx_rd
#define sk lx_sk

/* spec 3.1: big-endian whatever the options say. */
static int image_header(struct lx_verify *v)
{
    const char *what = "image header";
    uint64_t off = v->off;
    uint8_t b[24];
    int rc = rd(v, b, sizeof(b), off, what);
    if (rc)
        return rc;

    uint64_t marker = (uint64_t)lx_be32(b) << 32 | lx_be32(b + 4);
    uint32_t id = lx_be32(b + 8), version = lx_be32(b + 12);
    uint16_t options = lx_be16(b + 16);
    if (marker != IHDR_MARKER)
        return vfail(v, XLSR_ERR_STREAM, off, what, "bad marker 0x%016llx, "
                     "expected all ones (a legacy stream has zero bits here)",
                     (unsigned long long)marker);
    if (id != IHDR_ID)
        return vfail(v, XLSR_ERR_STREAM, off + 8, what, "bad id 0x%08x, "
                     "expected 0x%08x (\"XENF\")", id, IHDR_ID);
    if (version < 2 || version > 3)
        return vfail(v, XLSR_ERR_STREAM, off + 12, what, "version %u, "
                     "expected 2 or 3", version);
    /* xg_sr_restore.c read_headers() looks at the endianness bit only. */
    if ((options & 0xFFFEu) &&
        (rc = lx_conform(v, off + 16, what, "reserved option bits set: "
                         "0x%04x", options & 0xFFFEu)))
        return rc;
    if ((lx_be16(b + 18) || lx_be32(b + 20)) &&
        (rc = lx_conform(v, off + 18, what, "reserved fields not zero: "
                         "0x%04x 0x%08x", lx_be16(b + 18), lx_be32(b + 20))))
        return rc;
    /* Valid by the spec, but libxenguest refuses it ("Unable to handle big
     * endian streams"): a stream no Xen restore can use fails here too. */
    if (options & 1)
        return vfail(v, XLSR_ERR_STREAM, off + 16, what, "big-endian "
                     "stream: Xen's restore cannot read it");
    v->version = version;
    v->s->st.version = version;
    return XLSR_OK;
}

/* spec 3.2: in the stream's (little) endianness. */
static int domain_header(struct lx_verify *v)
{
    const char *what = "domain header";
    uint64_t off = v->off;
    uint8_t b[16];
    int rc = rd(v, b, sizeof(b), off, what);
    if (rc)
        return rc;

    uint32_t type = lx_le32(b);
    uint16_t shift = lx_le16(b + 4);
    if (type != LX_GUEST_PV && type != LX_GUEST_HVM)
        return vfail(v, XLSR_ERR_STREAM, off, what, "unknown domain type "
                     "0x%x (1 x86 PV, 2 x86 HVM)", type);
    if (shift != 12)
        return vfail(v, XLSR_ERR_STREAM, off + 4, what, "page_shift %u, "
                     "expected 12", shift);
    if (lx_le16(b + 6) &&
        (rc = lx_conform(v, off + 6, what, "reserved field not zero: "
                         "0x%04x", lx_le16(b + 6))))
        return rc;
    /* xl creates the domain the config describes; libxenguest refuses a
     * stream of the other kind (x86_pv_setup / x86_hvm_setup). */
    const char *ct = v->cfg.type;
    if (*ct && (!strcmp(ct, "pv") ? type != LX_GUEST_PV
                                  : type != LX_GUEST_HVM))
        return vfail(v, XLSR_ERR_STREAM, off, what, "%s stream, but the xl "
                     "config's c_info.type is \"%s\": libxenguest cannot "
                     "restore it into that domain", lx_guest_name(type), ct);
    v->guest = type;
    v->s->st.guest_type = type;
    if (XLSR_HOST_HAS(v->s->host, guest_type))
        v->s->host->guest_type(v->s->h, type);
    v->s->st.page_shift = shift;
    v->s->st.xen_major = lx_le32(b + 8);
    v->s->st.xen_minor = lx_le32(b + 12);
    return XLSR_OK;
}

/* HVM/PVH: libxenguest tracks populated pfns in a bitmap it grows to the
 * highest pfn (xg_sr_restore.c pfn_set_populated) and Xen's p2m maps
 * 48-bit guest physical addresses: pfns from 2^36 on cannot be restored.
 * Below that, pfns beyond the guest's memory or in the MMIO hole are
 * populated and restore fine (x86_hvm_pfn_is_valid accepts every pfn). */
#define HVM_PFN_LIMIT   (1ull << 36)

/* A PV page table of this PAGE_DATA, read once its pfns are checked. */
static int note_pt(struct lx_verify *v, uint32_t idx, unsigned t,
                   uint64_t pfn)
{
    if (!lx_grow((void **)&v->pt, &v->ptcap, v->npt + 1, sizeof(*v->pt), 64))
        return XLSR_ERR_NOMEM;
    v->pt[v->npt++] = (struct lx_ptpage){ idx, t, pfn };
    return XLSR_OK;
}

/* One pfn entry Xen's restore would refuse, or a reserved-bits finding. */
static int odd_pfn(struct lx_verify *v, uint64_t off, uint32_t i,
                   uint64_t e)
{
    const char *what = "record PAGE_DATA (0x1)";
    uint64_t pfn = e & PFN_MASK;
    unsigned t = (unsigned)(e >> 60);
    if (lx_page_type_class[t] == 2)
        return vfail(v, XLSR_ERR_STREAM, off, what, "pfn[%u] = 0x%016llx: "
                     "invalid page type %u", i, (unsigned long long)e, t);
    if (v->guest == LX_GUEST_PV && pfn > v->max_pfn)
        return vfail(v, XLSR_ERR_STREAM, off, what, "pfn[%u] = %#llx beyond "
                     "the p2m's max pfn %#llx%s (xg_sr_restore.c "
                     "handle_page_data: \"outside domain maximum\")", i,
                     (unsigned long long)pfn, (unsigned long long)v->max_pfn,
                     v->have_p2m ? "" : ", before X86_PV_P2M_FRAMES");
    if (v->guest != LX_GUEST_PV && pfn >= HVM_PFN_LIMIT)
        return vfail(v, XLSR_ERR_STREAM, off, what, "pfn[%u] = %#llx: no "
                     "restore can track it (libxc's populated bitmap would "
                     "need %llu GiB; Xen's p2m ends at pfn %#llx)", i,
                     (unsigned long long)pfn,
                     (unsigned long long)(pfn >> 33),
                     HVM_PFN_LIMIT - 1);
    if (e & PFN_RESERVED)   /* masked off by PAGE_DATA_PFN_MASK */
        return lx_conform(v, off, what, "pfn[%u] = 0x%016llx: reserved bits "
                          "52-59 set", i, (unsigned long long)e);
    return XLSR_OK;
}

/* The types of n pfns into the stats: count[] holds all but NOTAB's. */
static void add_counts(struct lx_verify *v, const uint64_t count[16],
                       uint32_t n)
{
    uint64_t typed = 0;
    for (unsigned t = 1; t < 16; t++) {
        v->s->st.pages[t] += count[t];
        typed += count[t];
    }
    v->s->st.pages[0] += n - typed;
}

/* Checks n pfn entries (entry `first` onwards) and counts their types;
 * *ndata grows by the pages of data they announce. */
static int check_pfns(struct lx_verify *v, uint64_t off, const uint8_t *b,
                      uint32_t first, uint32_t n, uint64_t *ndata)
{
    uint64_t count[16] = { 0 }, nd = *ndata;
    uint64_t limit = v->guest == LX_GUEST_PV ? v->max_pfn
                                             : HVM_PFN_LIMIT - 1;
    bool pv = v->guest == LX_GUEST_PV;
    /* The chunk of the pfn before, held here: stores through uint64_t
     * counters could alias the map's fields, and would make the compiler
     * reload them for every pfn (the hot loop of a whole-image verify). */
    struct lx_pfnchunk *c = NULL;
    uint64_t cbase = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t e = lx_le64(b + 8 * i);
        uint64_t pfn = e & PFN_MASK;
        unsigned t = (unsigned)(e >> 60);
        unsigned cls = lx_page_type_class[t];
        if (__builtin_expect((e & PFN_RESERVED) || pfn > limit || cls == 2,
                             0)) {
            int rc = odd_pfn(v, off + 16 + 8 * (uint64_t)(first + i),
                             first + i, e);
            if (rc) {
                add_counts(v, count, i);
                return rc;
            }
        }
        uint16_t *f = NULL;
        if (pfn >> LX_PFN_CHUNK_SHIFT == cbase) {
            f = &c->f[pfn & ((1u << LX_PFN_CHUNK_SHIFT) - 1)];
        } else if ((f = lx_pfn_at(&v->map, pfn))) {
            c = v->map.chunks[v->map.last];
            cbase = c->base;
        }
        if (f)
            *f = (uint16_t)((*f & ~LX_PFN_TYPE) | t |
                            (cls || t == 14 ? LX_PFN_SEEN : 0));
        if (pv && t && cls == 1) {   /* L1-L4, pinned */
            int rc = note_pt(v, (uint32_t)nd, t, pfn);
            if (rc) {
                add_counts(v, count, i);
                return vfail(v, rc, off, "record PAGE_DATA (0x1)",
                             "out of memory");
            }
        }
        nd += cls;
        /* Nearly every pfn is a NOTAB page: counting those in memory
         * chains each iteration to the last through one counter. */
        if (t)
            count[t]++;
    }
    add_counts(v, count, n);
    *ndata = nd;
    return XLSR_OK;
}

/*
 * spec 4.2.  `off` is the record header's offset.  A body that fits the
 * buffer (no page contents, or a record that is wrong anyway) comes in one
 * read; larger ones as header, pfn chunks, then the page contents: PV page
 * tables are read and checked (pvpt.c), everything else skipped (on a
 * file, seeked over).
 */
static int page_data(struct lx_verify *v, uint64_t off, uint32_t len)
{
    const char *what = "record PAGE_DATA (0x1)";
    uint8_t buf[PFN_CHUNK * 8];
    char why[300];
    int rc;

    if (!v->seen_static_end) {
        const char *r = lx_need_static_end(v, "PAGE_DATA", why,
                                           sizeof(why));
        if (r)
            return vfail(v, XLSR_ERR_STREAM, off, what, "%s", r);
    }
    if (len < 8)
        return vfail(v, XLSR_ERR_STREAM, off, what, "length %u, at least 8",
                     len);
    /* No page of data fits in 4096 bytes with its pfn: all pfns, then. */
    bool whole = len <= 4096;
    rc = rd(v, buf, whole ? len : 8, off, what);
    if (rc)
        return rc;
    uint32_t count = lx_le32(buf);
    if (lx_le32(buf + 4) &&
        (rc = lx_conform(v, off + 12, what, "reserved field not zero: "
                         "0x%08x", lx_le32(buf + 4))))
        return rc;
    if (count == 0)     /* spec: "Count is strictly > 0" */
        return vfail(v, XLSR_ERR_STREAM, off + 8, what, "count is zero");
    if (8 + (uint64_t)count * 8 > len)
        return vfail(v, XLSR_ERR_STREAM, off + 8, what, "count %u needs "
                     "%llu bytes of pfns, body length is %u", count,
                     (unsigned long long)count * 8, len);

    uint64_t ndata = 0;
    v->npt = 0;
    if (whole) {
        rc = check_pfns(v, off, buf + 8, 0, count, &ndata);
    } else {
        for (uint32_t done = 0, n; !rc && done < count; done += n) {
            n = count - done < PFN_CHUNK ? count - done : PFN_CHUNK;
            rc = rd(v, buf, (size_t)n * 8, off, what);
            if (!rc)
                rc = check_pfns(v, off, buf, done, n, &ndata);
        }
    }
    if (rc)
        return rc;
    uint64_t want = 8 + (uint64_t)count * 8 + ndata * 4096;
    if (want != len)
        return vfail(v, XLSR_ERR_STREAM, off, what, "count %u with %llu "
                     "pages of data needs length %llu (8 + %u * 8 + %llu * "
                     "4096), record length is %u", count,
                     (unsigned long long)ndata, (unsigned long long)want,
                     count, (unsigned long long)ndata, len);
    v->s->st.data_bytes += ndata * 4096;
    /* The length is a multiple of 8: no padding follows. */
    size_t from;
    rc = lx_pt_direct(v, off, len, count, &from);
    if (rc == XLSR_OK)
        return sk(v, ndata * 4096, off, what);
    if (rc != LX_PT_STREAM)
        return rc;
    uint64_t at = 0;    /* data pages passed */
    for (size_t i = from; i < v->npt; i++) {
        const struct lx_ptpage *p = &v->pt[i];
        rc = sk(v, (p->idx - at) * 4096, off, what);
        if (!rc)
            rc = rd(v, buf, 4096, off, what);
        if (rc)
            return rc;
        at = p->idx + 1;
        const char *r = lx_pv_table(v, p->pfn, p->type, buf, why,
                                    sizeof(why));
        if (r)
            return vfail(v, XLSR_ERR_STREAM, off, what, "%s", r);
    }
    return sk(v, (ndata - at) * 4096, off, what);
}

/* xg_sr_restore_x86_pv.c update_guest_p2m(): within the p2m, and (at
 * the end) a populated NOTAB page. */
static const char *p2m_frame(struct lx_verify *v, uint32_t i, uint64_t pfn,
                             char *why, size_t whylen)
{
    char fw[48];
    snprintf(fw, sizeof(fw), "p2m frame list entry %u", i);
    return lx_pv_mark(v, pfn, LX_PFN_P2M, fw, why, whylen);
}

/* Bodies checked entry by entry after their first `inspect` bytes: read in
 * chunks of whole entries, never allocated by their length. */
static int entries(struct lx_verify *v, uint64_t off, uint32_t type,
                   uint32_t len, const uint8_t *head, uint32_t inspect)
{
    char what[64], why[300];
    uint8_t buf[8 + 5168];
    const char *r = NULL;
    int rc;
    rec_what(type, what, sizeof(what));

    switch (type) {
    case LX_REC_X86_PV_VCPU_BASIC:
        if (len == 8 || v->pv_width != 8)
            return sk(v, len - 8, off, what);
        rc = rd(v, buf, len - 8, off, what);     /* 5168: check_vcpu */
        if (rc)
            return rc;
        r = lx_pv_vcpu_basic(v, buf, lx_le32(head), why, sizeof(why));
        break;
    case LX_REC_HVM_CONTEXT:
        return lx_hvm_context(v, off, len);
    case LX_REC_X86_CPUID_POLICY:
    case LX_REC_X86_MSR_POLICY:
    case LX_REC_X86_PV_P2M_FRAMES:
    case LX_REC_HVM_PARAMS: {
        bool cpuid = type == LX_REC_X86_CPUID_POLICY;
        bool msr = type == LX_REC_X86_MSR_POLICY;
        uint32_t esz = cpuid ? 24 : msr || type == LX_REC_HVM_PARAMS ? 16 : 8;
        uint32_t body = len - (cpuid || msr ? 0 : 8), n = body / esz;
        /* x86_{cpuid,msr}_copy_from_buffer: -E2BIG above the maximum */
        if (cpuid && n > LX_CPUID_MAX_LEAVES)
            return vfail(v, XLSR_ERR_STREAM, off, what, "%u leaves, Xen 4.17 "
                         "takes at most %u (-E2BIG)", n,
                         LX_CPUID_MAX_LEAVES);
        if (msr && n > LX_MSR_MAX_ENTRIES)
            return vfail(v, XLSR_ERR_STREAM, off, what, "%u MSRs, Xen 4.17 "
                         "takes at most %u (-E2BIG)", n, LX_MSR_MAX_ENTRIES);
        for (uint32_t i = 0, k; !r && i < n; i += k) {
            k = n - i < sizeof(buf) / esz ? n - i
                                          : (uint32_t)(sizeof(buf) / esz);
            rc = rd(v, buf, (size_t)k * esz, off, what);
            if (rc)
                return rc;
            for (uint32_t j = 0; !r && j < k; j++) {
                const uint8_t *e = buf + (size_t)j * esz;
                if (cpuid)
                    r = lx_check_cpuid(e, i + j, why, sizeof(why));
                else if (msr)
                    r = lx_check_msr(e, i + j, why, sizeof(why));
                else if (type == LX_REC_HVM_PARAMS)
                    r = lx_hvm_param(v, lx_le64(e), lx_le64(e + 8), why,
                                     sizeof(why));
                else
                    r = p2m_frame(v, i + j, lx_le64(e), why, sizeof(why));
            }
        }
        rc = XLSR_OK;
        if (!r)
            rc = sk(v, body - n * esz, off, what);   /* none: sizes held */
        if (rc)
            return rc;
        break;
    }
    default:
        return sk(v, len - inspect, off, what);
    }
    if (r)
        return vfail(v, XLSR_ERR_STREAM, off, what, "%s", r);
    return XLSR_OK;
}

static bool has_entries(uint32_t type)
{
    return type == LX_REC_X86_PV_VCPU_BASIC || type == LX_REC_HVM_CONTEXT ||
           type == LX_REC_X86_CPUID_POLICY || type == LX_REC_X86_MSR_POLICY ||
           type == LX_REC_X86_PV_P2M_FRAMES || type == LX_REC_HVM_PARAMS;
}

static int padding(struct lx_verify *v, uint64_t off, const char *what,
                   uint32_t len, const uint8_t *pp, uint32_t pad)
{
    for (uint32_t i = 0; i < pad; i++)
        if (pp[i])  /* read_record() reads padding and never looks */
            return lx_conform(v, off + 8 + len + i, what, "padding byte %u "
                              "is 0x%02x, not zero", i, pp[i]);
    return XLSR_OK;
}

/* Every record but PAGE_DATA: sizes from the table, then content. */
static int other_record(struct lx_verify *v, uint64_t off, uint32_t type,
                        uint32_t len)
{
    const struct lx_rule *rule = &lx_rules[type];
    char what[64], why[300];
    rec_what(type, what, sizeof(what));
    int rc;

    if (rule->flags) {
        if (rule->flags & LX_REFUSED)
            return vfail(v, XLSR_ERR_STREAM, off, what, "%s", rule->why);
        if ((rule->flags & LX_V3_ONLY) && v->version < 3)
            return vfail(v, XLSR_ERR_STREAM, off, what, "v3-only record in "
                         "a v%u stream", v->version);
        if (((rule->flags & LX_PV_ONLY) && v->guest != LX_GUEST_PV) ||
            ((rule->flags & LX_HVM_ONLY) && v->guest != LX_GUEST_HVM))
            return vfail(v, XLSR_ERR_STREAM, off, what, "record not valid "
                         "for an %s guest", lx_guest_name(v->guest));
    }
    /* Records with no fields: libxenguest reads a body and ignores it
     * (xg_sr_restore.c: END, VERIFY, CHECKPOINT, STATIC_DATA_END). */
    if (rule->max == 0 && len) {
        rc = lx_conform(v, off + 4, what, "length %u, the record has no "
                        "fields", len);
        if (!rc)
            rc = sk(v, len + ((8 - (len & 7)) & 7), off, what);
        if (rc)
            return rc;
        const char *r = lx_check_record(v, type, 0, NULL, why, sizeof(why));
        return r ? vfail(v, XLSR_ERR_STREAM, off, what, "%s", r) : XLSR_OK;
    }
    if (len < rule->min || len > rule->max) {
        if (rule->min == rule->max)
            return vfail(v, XLSR_ERR_STREAM, off, what, "length %u, must be "
                         "%u", len, rule->min);
        if (len < rule->min)
            return vfail(v, XLSR_ERR_STREAM, off, what, "length %u, at "
                         "least %u", len, rule->min);
        return vfail(v, XLSR_ERR_STREAM, off, what, "length %u, at most %u",
                     len, rule->max);
    }
    if (rule->multiple && len % rule->multiple)
        return vfail(v, XLSR_ERR_STREAM, off, what, "length %u, not a "
                     "multiple of %u", len, rule->multiple);

    /* Small bodies in one read with their padding; others: the bytes the
     * header checks need, the entries (or a skip), then the padding. */
    uint8_t buf[64], padb[8];
    const uint8_t *pp = padb;
    uint32_t pad = (8 - (len & 7)) & 7;
    v->rec_off = off;
    v->rec_what = what;
    if ((uint64_t)len + pad <= sizeof(buf) && !has_entries(type)) {
        rc = rd(v, buf, len + pad, off, what);
        if (rc)
            return rc;
        pp = buf + len;
        const char *r = lx_check_record(v, type, len, buf, why, sizeof(why));
        if (r)
            return vfail(v, XLSR_ERR_STREAM, off, what, "%s", r);
        return padding(v, off, what, len, pp, pad);
    }
    rc = rd(v, buf, rule->inspect, off, what);
    if (rc)
        return rc;
    const char *r = lx_check_record(v, type, len, buf, why, sizeof(why));
    if (r)
        return vfail(v, XLSR_ERR_STREAM, off, what, "%s", r);
    rc = entries(v, off, type, len, buf, rule->inspect);
    if (!rc && pad)
        rc = rd(v, padb, pad, off, what);
    if (rc)
        return rc;
    return padding(v, off, what, len, pp, pad);
}

/* Optional records (bit 31, spec 4): a reader may ignore them. */
static int optional_record(struct lx_verify *v, uint64_t off, uint32_t len)
{
    uint8_t pad[8];
    uint32_t n = (8 - (len & 7)) & 7;
    int rc = sk(v, len, off, "optional record");
    if (!rc && n)
        rc = rd(v, pad, n, off, "optional record");
    if (!rc)
        rc = padding(v, off, "optional record", len, pad, n);
    if (rc)
        return rc;
    v->s->st.optional++;
    return XLSR_OK;
}

/* spec 4.12: the libxl part of this checkpoint follows on the fd. */
static int checkpoint(struct lx_verify *v, uint64_t off)
{
    struct lx_state *s = v->s;
    /* restore: "Found checkpoint in non-checkpointed stream".  Only a
     * restore knows what the stream is meant to be; verify accepts both. */
    if (s->ctx->mode == XLSR_MODE_RESTORE &&
        s->ctx->checkpointed == XLSR_CKPT_NONE)
        return vfail(v, XLSR_ERR_STREAM, off, "record CHECKPOINT (0xe)",
                     "checkpoint in a stream not declared checkpointed "
                     "(Remus or COLO)");
    int rc = s->host->checkpoint(s->h);
    if (rc == XLSR_ERR_EOF && buffering(v))     /* FAILOVER */
        return failover(v, "the libxl part of checkpoint %u broke",
                        s->st.checkpoints + 1);
    if (rc)     /* the first checkpoint (no consistent state), or ERROR */
        return rc;
    if (v->deferred[0]) {
        /* The callback succeeded; then the buffered records are processed
         * and the first bad one fails the restore. */
        s->host->fail(s->h, "%s", v->deferred);
        return XLSR_ERR_STREAM;
    }
    s->st.checkpoints++;
    /* COLO: libxl reads one CHECKPOINT_STATE before libxc goes on (see
     * colo_state() below); the core frames and routes it. */
    if (s->ctx->checkpointed == XLSR_CKPT_COLO &&
        XLSR_HOST_HAS(s->host, libxl_record)) {
        rc = s->host->libxl_record(s->h, XLSR_REC_CHECKPOINT_STATE);
        if (rc == XLSR_ERR_EOF)
            return failover(v, "the stream broke between checkpoints");
        if (rc)
            return rc;
    } else {
        v->after_ckpt = true;
    }
    v->off = s->host->offset(s->h);
    return XLSR_OK;
}

/*
 * COLO: before the next checkpoint's libxc records, the primary writes a
 * libxl CHECKPOINT_STATE (CHECKPOINT_NEW) on the main stream, which the
 * secondary's libxl reads from inside libxenguest's wait_checkpoint
 * callback (libxl_colo_save.c colo_start_new_checkpoint,
 * libxl_colo_restore.c).  Its body is libxl_sr_checkpoint_state, one u32;
 * the spec draws it with 4 bytes of padding, so a body of 8 is accepted
 * too.  It is told apart from a libxc record by its place (first after a
 * checkpoint, where libxc sends pages or X86_TSC_INFO, never its type 5,
 * X86_PV_VCPU_EXTENDED) and its length.
 *
 * When the run is declared COLO (--checkpointed colo) the core reads and
 * routes it (host->libxl_record).  Otherwise (verify and dump cannot be
 * told) it is recognised here and checked in place; a handler bound to
 * CHECKPOINT_STATE does not see those.
 */
static bool is_colo_state(const struct lx_verify *v, uint32_t type,
                          uint32_t len)
{
    return v->after_ckpt && type == XLSR_REC_CHECKPOINT_STATE &&
           (len == 4 || len == 8);
}

static int colo_state(struct lx_verify *v, uint64_t off, uint32_t len)
{
    const char *what = "libxl record CHECKPOINT_STATE (0x5)";
    uint8_t b[8];
    int rc = rd(v, b, 8, off, what);    /* 4 + 4 padding, or 8 */
    if (rc)
        return rc;
    if (lx_le32(b + 4))
        return vfail(v, XLSR_ERR_STREAM, off + 12, what, "bytes 4-7 not "
                     "zero");
    uint32_t id = lx_le32(b);
    if (id > 3)     /* 0 new, 1 suspended, 2 ready, 3 resumed */
        return vfail(v, XLSR_ERR_STREAM, off + 8, what, "unknown control id "
                     "%u", id);
    if (v->s->ctx->mode == XLSR_MODE_DUMP)  /* as the core prints records */
        v->s->host->print(v->s->h, "offset %llu: record 0x%08x "
                          "CHECKPOINT_STATE, length %u",
                          (unsigned long long)off, XLSR_REC_CHECKPOINT_STATE,
                          len);
    v->s->host->log(v->s->h, XLSR_LOG_INFO, "COLO control id %u before "
                    "checkpoint %u", id, v->s->st.checkpoints + 1);
    return XLSR_OK;
}

static void dump_line(struct lx_verify *v, uint64_t off, uint32_t type,
                      uint32_t len)
{
    /* In a checkpointed stream (declared, or known from its first libxc
     * CHECKPOINT) every record belongs to the checkpoint being read. */
    char ck[32] = "";
    if (v->s->st.checkpoints || v->s->ctx->checkpointed != XLSR_CKPT_NONE)
        snprintf(ck, sizeof(ck), ", checkpoint %u",
                 v->s->st.checkpoints + 1);
    v->s->host->print(v->s->h, "  offset %llu: libxc record 0x%08x %s, "
                      "length %u%s", (unsigned long long)off, type,
                      lx_type_name(type), len, ck);
}

/* A content error in a buffered record: libxenguest would only meet it
 * when processing the checkpoint, so keep the first, step over the rest
 * of the record, and go on framing. */
static int defer(struct lx_verify *v, uint64_t off, uint32_t len)
{
    uint64_t end = off + 8 + (((uint64_t)len + 7) & ~7ull);
    if (!v->deferred[0]) {
        snprintf(v->deferred, sizeof(v->deferred), "%s (buffered in "
                 "checkpoint %u)", v->why, v->s->st.checkpoints + 1);
        v->s->host->log(v->s->h, XLSR_LOG_INFO, "%s: an error once "
                        "checkpoint %u is processed", v->deferred,
                        v->s->st.checkpoints + 1);
    }
    return end > v->off ? sk(v, end - v->off, off, "record") : XLSR_OK;
}

/* At the libxc END a restore resolves what waited for every page: PV
 * pins its page tables and loads vcpus; HVM uses the params' pfns. */
static int end_checks(struct lx_verify *v, uint64_t off)
{
    char why[300];
    const char *r = v->guest == LX_GUEST_PV ? lx_pv_end(v, why, sizeof(why))
                                            : lx_hvm_end(v, why, sizeof(why));
    if (r)
        return vfail(v, XLSR_ERR_STREAM, off, "record END (0x0)", "%s", r);
    if (v->map.overflow)
        v->s->host->log(v->s->h, XLSR_LOG_WARN, "libxc: more pfns than the "
                        "per-pfn budget: page-type and reference checks "
                        "were not made");
    return XLSR_OK;
}

static int records(struct lx_verify *v)
{
    struct lx_stats *st = &v->s->st;
    for (;;) {
        uint64_t off = v->off;
        uint8_t hdr[8];
        int rc = rd(v, hdr, sizeof(hdr), off, "record header");
        if (rc)
            return rc;
        uint32_t type = lx_le32(hdr), len = lx_le32(hdr + 4);
        if (type != LX_REC_PAGE_DATA && (rc = lx_pt_flush(v)))
            return rc;
        if (is_colo_state(v, type, len)) {
            v->after_ckpt = false;
            rc = colo_state(v, off, len);
            if (rc)
                return rc;
            continue;
        }
        v->after_ckpt = false;
        if (v->verbose)
            dump_line(v, off, type, len);
        if (len > v->max || len > LX_REC_LENGTH_MAX) {
            char what[64], lim[96];
            if (len > v->max)
                snprintf(lim, sizeof(lim), "max_record_bytes %llu",
                         (unsigned long long)v->max);
            else
                snprintf(lim, sizeof(lim), "libxenguest's REC_LENGTH_MAX "
                         "%u", LX_REC_LENGTH_MAX);
            if (buffering(v))   /* read_record(): "exceeds max" */
                return failover(v, "libxc offset %llu: %s length %u above "
                                "%s", (unsigned long long)off,
                                rec_what(type, what, 64), len, lim);
            return vfail(v, XLSR_ERR_LIMIT, off, rec_what(type, what, 64),
                         "length %u above %s", len, lim);
        }
        if (type == LX_REC_PAGE_DATA) {
            rc = page_data(v, off, len);
        } else if (type < LX_NR_TYPES) {
            rc = other_record(v, off, type, len);
        } else if (type & LX_REC_OPTIONAL) {
            rc = optional_record(v, off, len);
        } else {
            char what[64];
            rc = vfail(v, XLSR_ERR_STREAM, off, rec_what(type, what, 64),
                       "unknown mandatory record type");
        }
        if (rc == XLSR_ERR_STREAM && buffering(v) && type != LX_REC_END &&
            type != LX_REC_CHECKPOINT)
            rc = defer(v, off, len);
        if (rc)
            return rc;
        st->records++;
        if (type < LX_NR_TYPES)
            st->by_type[type]++;
        if (type == LX_REC_END)
            st->complete = true;
        if (type == LX_REC_END)
            return buffering(v) ? failover(v, "libxc END after checkpoint "
                                           "%u", st->checkpoints)
                                : end_checks(v, off);
        if (type == LX_REC_CHECKPOINT) {
            rc = checkpoint(v, off);
            if (rc)
                return rc;
        }
    }
}

int lx_verify_stream(struct lx_state *s)
{
    struct lx_verify v = {
        .s = s,
        .off = s->host->offset(s->h),
        .max = s->host->max_record_bytes(s->h),
        .verbose = s->ctx->mode == XLSR_MODE_DUMP && s->ctx->verbose,
    };
    memset(&s->st, 0, sizeof(s->st));
    const struct xlsr_restore_ctx *ctx = s->ctx;
    v.strict = ctx->size >= offsetof(struct xlsr_restore_ctx, strict) +
                            sizeof(ctx->strict) && ctx->strict;
    v.store_pfn = v.console_pfn = UINT64_MAX;
    lx_pt_open(&v);

    char why[300];
    int rc = XLSR_OK;
    const char *r = lx_config_parse(ctx->xl_config, &v.cfg, why,
                                    sizeof(why));
    if (r)
        rc = vfail(&v, XLSR_ERR_STREAM, v.off, "xl config", "%s", r);
    if (!rc)
        rc = image_header(&v);
    if (!rc)
        rc = domain_header(&v);
    if (!rc)
        rc = records(&v);
    if (!rc)
        s->st.complete = true;
    if (rc == LX_FAILOVER)
        rc = XLSR_OK;   /* what xc_domain_restore() returns */
    if (!rc)
        lx_report(s);
    lx_pfnmap_free(&v.map);
    free(v.pt);
    free(v.pend.pt);
    free(v.pend.rec);
    free(v.ptbuf);
    return rc;
}
