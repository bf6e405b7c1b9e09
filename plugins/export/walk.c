/*
 * walk.c - reads the inline libxc stream once, in order, keeping only
 * what a memory image needs: PAGE_DATA contents (to store.c), the pfn
 * bound (X86_PV_P2M_FRAMES, or the guest's configured memory), vCPU
 * registers (HVM_CONTEXT CPU entries, X86_PV_VCPU_BASIC) and checkpoint
 * boundaries.  Everything else is skipped unread.  Record framing
 * follows the libxc-migration-stream spec; `xlsr verify` is the place
 * that checks every record's content, this walker checks what it uses.
 *
 *   header ─► records ─┬─ PAGE_DATA / CPU state ─► store, cpu_next
 *                      ├─ CHECKPOINT ─► libxl part (host->checkpoint)
 *                      │     complete: commit ─► records
 *                      │     broken:   drop open checkpoint ─► layout
 *                      ├─ EOF after a complete checkpoint ─► drop ─► layout
 *                      └─ END ─► commit (or drop, see store.c) ─► layout
 *
 * The layout (elf.c, lime.c) runs here, where it can still fail the
 * stream; the output is named in fini() once the whole stream is good.
 *
 * The same walker makes pass 1 of a planned stream (plan.c): it reads
 * the regular-file input with pread at its own offset, runs every handler
 * but skips page contents, and only notes which pfns have data.  A
 * CHECKPOINT, or anything that would fail, ends pass 1 quietly (DECLINE):
 * the stream is then staged, and pass 2 reports what is wrong with the
 * usual offsets.
 */
#include <unistd.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

#define REC_END             0x00u
#define REC_PAGE_DATA       0x01u
#define REC_PV_INFO         0x02u
#define REC_PV_P2M_FRAMES   0x03u
#define REC_PV_VCPU_BASIC   0x04u
#define REC_SHARED_INFO     0x07u   /* xg_sr_stream_format.h */
#define REC_HVM_CONTEXT     0x09u
#define REC_CHECKPOINT      0x0Eu
#define REC_NR_TYPES        0x13u
#define REC_OPTIONAL        0x80000000u
#define GUEST_PV            1u
#define GUEST_HVM           2u
#define HVM_SAVE_END        0
#define HVM_SAVE_CPU        2       /* public/arch-x86/hvm/save.h */
#define PFN_MASK            ((1ull << 52) - 1)
#define PFN_RESERVED        0x0FF0000000000000ull

struct walk {
    struct ex_state *s;
    uint64_t rec_off;           /* offset of the record being read */
    uint32_t rec_type;
    bool after_ckpt;            /* next record is the first after one */
    bool failover;
    bool scan;                  /* pass 1: pread at pos, pages skipped */
    uint64_t pos;               /* pass 1: stream offset of the next byte */
    const char *why;            /* pass 1: why it stopped */
};

static uint64_t offset(const struct walk *w)
{
    return w->scan ? w->pos : w->s->host->offset(w->s->h);
}

/* spec 4.2: page types with a page of data (NOTAB, L1-L4, pinned),
 * without (BROKEN, XALLOC, XTAB), and invalid (5-8). */
static const uint8_t has_data[16] = {
    1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0,
};

static const char *type_name(uint32_t t)
{
    static const char *const names[REC_NR_TYPES] = {
        "END", "PAGE_DATA", "X86_PV_INFO", "X86_PV_P2M_FRAMES",
        "X86_PV_VCPU_BASIC", "X86_PV_VCPU_EXTENDED", "X86_PV_VCPU_XSAVE",
        "SHARED_INFO", "X86_TSC_INFO", "HVM_CONTEXT", "HVM_PARAMS",
        "TOOLSTACK", "X86_PV_VCPU_MSRS", "VERIFY", "CHECKPOINT",
        "CHECKPOINT_DIRTY_PFN_LIST", "STATIC_DATA_END", "X86_CPUID_POLICY",
        "X86_MSR_POLICY",
    };
    return t < REC_NR_TYPES ? names[t] : "unknown";
}

/* "libxc offset 1234 (0x4d2), record PAGE_DATA (0x1): reason" */
static int XLSR_PRINTF(4, 5)
wfail(struct walk *w, int rc, uint64_t off, const char *fmt, ...)
{
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (w->scan) {              /* pass 2 will say it, and fail there */
        w->s->host->log(w->s->h, XLSR_LOG_DEBUG, "pass 1 stops at offset "
                        "%llu: %s", (unsigned long long)off, reason);
        w->why = "the stream has an error pass 2 reports";
        return XLSR_DECLINE;
    }
    if (w->rec_type == UINT32_MAX)
        return ex_fail(w->s, rc, "libxc offset %llu (%#llx), header: %s",
                       (unsigned long long)off, (unsigned long long)off,
                       reason);
    return ex_fail(w->s, rc, "libxc offset %llu (%#llx), record %s (%#x) "
                   "at %llu: %s", (unsigned long long)off,
                   (unsigned long long)off, type_name(w->rec_type),
                   w->rec_type, (unsigned long long)w->rec_off, reason);
}

/* The end of the stream after a complete checkpoint is failover; let the
 * core's checkpoint reader meet it too (it keeps the count). */
static int read_failed(struct walk *w, int rc)
{
    struct ex_state *s = w->s;
    uint64_t at = s->host->offset(s->h);
    if (rc == XLSR_ERR_EOF && s->checkpoints) {
        s->host->log(s->h, XLSR_LOG_INFO, "stream ends at offset %llu "
                     "inside checkpoint %u: exporting checkpoint %u",
                     (unsigned long long)at, s->checkpoints + 1,
                     s->checkpoints);
        w->failover = true;
        int r = s->host->checkpoint(s->h);
        return r ? r : XLSR_ERR_EOF;
    }
    return wfail(w, rc, at, rc == XLSR_ERR_EOF ? "stream ends before libxc "
                 "END" : "read error");
}

/* Pass 1: exact reads at the walker's own offset; the core's fd
 * position is untouched. */
static int scan_rd(struct walk *w, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t r = pread(w->s->in_fd, p, len,
                          (off_t)(w->s->in_base + w->pos));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            w->why = "the input ends before the libxc END";
            return XLSR_DECLINE;
        }
        p += r;
        len -= (size_t)r;
        w->pos += (uint64_t)r;
    }
    return XLSR_OK;
}

static int rd(struct walk *w, void *buf, size_t len)
{
    if (w->scan)
        return scan_rd(w, buf, len);
    int rc = w->s->host->read(w->s->h, buf, len);
    return rc ? read_failed(w, rc) : XLSR_OK;
}

static int sk(struct walk *w, uint64_t len)
{
    if (w->scan) {              /* a short file is met by the next read */
        w->pos += len;
        return XLSR_OK;
    }
    int rc = len ? w->s->host->skip(w->s->h, len) : XLSR_OK;
    return rc ? read_failed(w, rc) : XLSR_OK;
}

static int headers(struct walk *w)
{
    struct ex_state *s = w->s;
    uint64_t off = offset(w);
    uint8_t b[40];
    int rc = rd(w, b, sizeof(b));
    if (rc)
        return rc;
    /* spec 3.1 (big-endian) and 3.2 (stream endianness) */
    if (ex_be32(b) != UINT32_MAX || ex_be32(b + 4) != UINT32_MAX ||
        ex_be32(b + 8) != 0x58454E46u)
        return wfail(w, XLSR_ERR_STREAM, off, "not a libxc stream (no "
                     "marker and \"XENF\" id)");
    uint32_t version = ex_be32(b + 12);
    if (version < 2 || version > 3)
        return wfail(w, XLSR_ERR_STREAM, off + 12, "version %u, expected 2 "
                     "or 3", version);
    if (b[16] || b[17] & 1)
        return wfail(w, XLSR_ERR_STREAM, off + 16, "big-endian or unknown "
                     "options");
    s->guest_type = ex_le32(b + 24);
    if (s->guest_type != GUEST_PV && s->guest_type != GUEST_HVM)
        return wfail(w, XLSR_ERR_STREAM, off + 24, "unknown domain type %u",
                     s->guest_type);
    if (b[28] != 12 || b[29])
        return wfail(w, XLSR_ERR_STREAM, off + 28, "page_shift %u, expected "
                     "12", b[28] | b[29] << 8);
    s->xen_major = ex_le32(b + 32);
    s->xen_minor = ex_le32(b + 36);
    ex_set_limit(s);
    return XLSR_OK;
}

/* Checks n entries and compacts those with data to the front of pfns;
 * returns how many there are in *ndata. */
static int check_pfns(struct walk *w, uint64_t *pfns, uint32_t n,
                      uint32_t *ndata)
{
    struct ex_state *s = w->s;
    uint32_t nd = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t e = ex_le64((const uint8_t *)&pfns[i]);
        unsigned t = (unsigned)(e >> 60);
        uint64_t pfn = e & PFN_MASK, at = w->rec_off + 16 + 8ull * i;
        if ((e & PFN_RESERVED) || has_data[t] == 2)
            return wfail(w, XLSR_ERR_STREAM, at, "pfn[%u] = %#llx: %s", i,
                         (unsigned long long)e, e & PFN_RESERVED
                         ? "reserved bits 52-59 set" : "invalid page type");
        /* restore: handle_page_data() refuses a pfn its pfn_is_valid()
         * does not accept (xg_sr_restore.c) */
        if (pfn >= s->pfn_limit)
            return wfail(w, XLSR_ERR_STREAM, at, "pfn[%u] = %#llx is beyond "
                         "the guest's %#llx frames (%s)", i,
                         (unsigned long long)pfn,
                         (unsigned long long)s->pfn_limit, s->limit_why);
        if (has_data[t])
            pfns[nd++] = pfn;
    }
    *ndata = nd;
    return XLSR_OK;
}

static int page_data(struct walk *w, uint32_t len)
{
    struct ex_state *s = w->s;
    uint8_t h[8];
    uint32_t ndata = 0;
    int rc;

    if (len < 8)
        return wfail(w, XLSR_ERR_STREAM, w->rec_off, "length %u, at least 8",
                     len);
    if ((rc = rd(w, h, 8)))
        return rc;
    uint32_t count = ex_le32(h);
    if (count == 0 || 8 + (uint64_t)count * 8 > len)
        return wfail(w, XLSR_ERR_STREAM, w->rec_off + 8, "count %u does not "
                     "fit body length %u", count, len);
    if (count > EX_MAX_BATCH)
        return wfail(w, XLSR_ERR_LIMIT, w->rec_off + 8, "count %u above the "
                     "%u entries one record may carry here", count,
                     EX_MAX_BATCH);
    if ((rc = rd(w, s->pfns, (size_t)count * 8)))
        return rc;
    if ((rc = check_pfns(w, s->pfns, count, &ndata)))
        return rc;
    uint64_t want = 8 + (uint64_t)count * 8 + (uint64_t)ndata * EX_PAGE;
    if (want != len)
        return wfail(w, XLSR_ERR_STREAM, w->rec_off, "count %u with %u pages "
                     "of data needs length %llu, record length is %u", count,
                     ndata, (unsigned long long)want, len);
    if (w->scan) {
        for (uint32_t i = 0; i < ndata; i++)
            if (ex_map_set(&s->plan, s->pfns[i]))
                return wfail(w, XLSR_ERR_NOMEM, w->rec_off, "out of memory "
                             "for the page map");
        return sk(w, (uint64_t)ndata * EX_PAGE);
    }
    /* A regular-file input: we seek over the pages (which finds a short
     * file, with the usual error), then the kernel copies them. */
    if (s->in_fd >= 0 && s->path && !s->in_journal && ndata) {
        uint64_t from = s->in_base + offset(w);
        return (rc = sk(w, (uint64_t)ndata * EX_PAGE))
                   ? rc : ex_store_copy(s, s->pfns, ndata, from);
    }
    for (uint32_t i = 0, n; i < ndata; i += n) {
        n = ndata - i < EX_BUF_PAGES ? ndata - i : EX_BUF_PAGES;
        if ((rc = rd(w, s->buf, (size_t)n * EX_PAGE)))
            return rc;
        if ((rc = ex_store_pages(s, s->pfns + i, s->buf, n)))
            return rc;
    }
    return XLSR_OK;
}

/* spec 4.10: save records of hvm_save_descriptor {u16 typecode, u16
 * instance, u32 length} + data; CPU entries carry struct hvm_hw_cpu. */
static int hvm_context(struct walk *w, uint32_t len)
{
    struct ex_state *s = w->s;
    uint64_t left = len;
    uint8_t d[8], cpu[1536];
    int rc;

    while (left >= 8) {
        uint64_t at = offset(w);
        if ((rc = rd(w, d, 8)))
            return rc;
        left -= 8;
        uint16_t code = (uint16_t)(d[0] | d[1] << 8);
        uint16_t inst = (uint16_t)(d[2] | d[3] << 8);
        uint32_t dlen = ex_le32(d + 4);
        if (dlen > left)
            return wfail(w, XLSR_ERR_STREAM, at, "save entry type %u of %u "
                         "bytes overruns the record", code, dlen);
        left -= dlen;
        if (code == HVM_SAVE_CPU) {
            size_t n = dlen < ex_cpu_hvm_size() ? dlen : ex_cpu_hvm_size();
            struct ex_vcpu *v = ex_vcpus_get(&s->cpu_next, inst);
            if (!v)
                return wfail(w, XLSR_ERR_LIMIT, at, "CPU instance %u", inst);
            if ((rc = rd(w, cpu, n)) || (rc = sk(w, dlen - n)))
                return rc;
            ex_cpu_from_hvm(v, cpu, n);
        } else if ((rc = sk(w, dlen))) {
            return rc;
        }
        if (code == HVM_SAVE_END)
            break;
    }
    return sk(w, left);
}

/* spec 4.5: vcpu_id u32, reserved u32, then the guest's context. */
static int pv_vcpu(struct walk *w, uint32_t len)
{
    struct ex_state *s = w->s;
    uint8_t b[8 + 5168];
    int rc;

    if (len < 8)
        return wfail(w, XLSR_ERR_STREAM, w->rec_off, "length %u", len);
    if (s->pv_width != 8) {     /* 32-bit PV: no 64-bit register set */
        s->host->log(s->h, XLSR_LOG_DEBUG, "vCPU registers of a %u-bit PV "
                     "guest are not exported", s->pv_width * 8);
        return sk(w, len);
    }
    size_t n = len - 8 < ex_cpu_pv64_size() ? len - 8 : ex_cpu_pv64_size();
    if (n > sizeof(b) - 8)
        n = sizeof(b) - 8;
    if ((rc = rd(w, b, 8 + n)) || (rc = sk(w, len - 8 - n)))
        return rc;
    struct ex_vcpu *v = ex_vcpus_get(&s->cpu_next, ex_le32(b));
    if (!v)
        return wfail(w, XLSR_ERR_LIMIT, w->rec_off + 8, "vcpu_id %u",
                     ex_le32(b));
    ex_cpu_from_pv64(v, b + 8, n);
    return XLSR_OK;
}

/* SHARED_INFO: exactly one page (xg_sr_restore_x86_pv.c
 * handle_shared_info refuses any other length); kept for dump-core's
 * .xen_shared_info, committed with the registers. */
static int pv_shared_info(struct walk *w, uint32_t len)
{
    struct ex_state *s = w->s;
    if (len != EX_PAGE)
        return wfail(w, XLSR_ERR_STREAM, w->rec_off, "length %u, not %u",
                     len, EX_PAGE);
    if (!s->shinfo_next && !(s->shinfo_next = malloc(EX_PAGE)))
        return wfail(w, XLSR_ERR_NOMEM, w->rec_off, "shared info page");
    int rc = rd(w, s->shinfo_next, EX_PAGE);
    if (!rc)
        s->shinfo_next_ok = true;
    return rc;
}

/* spec 4.3 / 4.4: guest width; the p2m's last pfn bounds every pfn
 * (xg_sr_restore_x86_pv.c: handle_x86_pv_p2m_frames, pfn_is_valid). */
static int pv_static(struct walk *w, uint32_t type, uint32_t len)
{
    struct ex_state *s = w->s;
    uint8_t b[8];
    int rc;
    if (len < 8)
        return wfail(w, XLSR_ERR_STREAM, w->rec_off, "length %u, at least 8",
                     len);
    if ((rc = rd(w, b, 8)) || (rc = sk(w, len - 8)))
        return rc;
    if (type == REC_PV_INFO) {
        if (b[0] != 4 && b[0] != 8)
            return wfail(w, XLSR_ERR_STREAM, w->rec_off + 8, "guest width "
                         "%u", b[0]);
        s->pv_width = b[0];
        return XLSR_OK;
    }
    uint32_t start = ex_le32(b), end = ex_le32(b + 4);
    if (start > end)
        return wfail(w, XLSR_ERR_STREAM, w->rec_off + 8, "start_pfn %#x "
                     "above end_pfn %#x", start, end);
    uint64_t lim = (uint64_t)end + 1;
    if (lim > s->max_guest_bytes >> EX_PAGE_SHIFT)
        return wfail(w, XLSR_ERR_LIMIT, w->rec_off + 12, "end_pfn %#x: a "
                     "guest above max_guest_bytes %llu", end,
                     (unsigned long long)s->max_guest_bytes);
    s->pfn_limit = lim;
    s->limit_why = "X86_PV_P2M_FRAMES end_pfn";
    return XLSR_OK;
}

/* COLO: the libxl CHECKPOINT_STATE libxl reads between checkpoints, when
 * the run was not declared COLO (see plugins/libxc/verify.c). */
static bool colo_state(const struct walk *w, uint32_t type, uint32_t len)
{
    return w->after_ckpt && type == XLSR_REC_CHECKPOINT_STATE &&
           (len == 4 || len == 8);
}

static int checkpoint(struct walk *w)
{
    struct ex_state *s = w->s;
    int rc = s->host->checkpoint(s->h);
    if (rc == XLSR_ERR_EOF && s->checkpoints) {
        w->failover = true;     /* this one broke: keep the last one */
        return rc;
    }
    if (rc)
        return rc;
    if ((rc = ex_store_commit(s)))
        return rc;
    s->checkpoints++;
    s->in_journal = true;       /* from now on, a checkpoint at a time */
    if (s->ctx->checkpointed == XLSR_CKPT_COLO &&
        XLSR_HOST_HAS(s->host, libxl_record)) {
        rc = s->host->libxl_record(s->h, XLSR_REC_CHECKPOINT_STATE);
        if (rc == XLSR_ERR_EOF)
            w->failover = true;
        return rc;
    }
    w->after_ckpt = true;
    return XLSR_OK;
}

static int record(struct walk *w, uint32_t type, uint32_t len)
{
    switch (type) {
    case REC_PAGE_DATA:
        return page_data(w, len);
    case REC_HVM_CONTEXT:
        return hvm_context(w, len);
    case REC_PV_VCPU_BASIC:
        return w->s->guest_type == GUEST_PV ? pv_vcpu(w, len) : sk(w, len);
    case REC_SHARED_INFO:
        return w->s->guest_type == GUEST_PV ? pv_shared_info(w, len)
                                            : sk(w, len);
    case REC_PV_INFO:
    case REC_PV_P2M_FRAMES:
        return w->s->guest_type == GUEST_PV ? pv_static(w, type, len)
                                            : sk(w, len);
    default:
        if (type >= REC_NR_TYPES && !(type & REC_OPTIONAL))
            return wfail(w, XLSR_ERR_STREAM, w->rec_off, "unknown mandatory "
                         "record type");
        return sk(w, len);
    }
}

static int records(struct walk *w)
{
    struct ex_state *s = w->s;
    uint64_t max = s->host->max_record_bytes(s->h);
    for (;;) {
        uint8_t hdr[8];
        w->rec_off = offset(w);
        w->rec_type = UINT32_MAX;
        int rc = rd(w, hdr, 8);
        if (rc)
            return rc;
        uint32_t type = ex_le32(hdr), len = ex_le32(hdr + 4);
        uint32_t pad = (8 - (len & 7)) & 7;
        w->rec_type = type;
        if (colo_state(w, type, len)) {
            w->after_ckpt = false;
            if ((rc = sk(w, 8)))
                return rc;
            continue;
        }
        w->after_ckpt = false;
        if (len > max)
            return wfail(w, XLSR_ERR_LIMIT, w->rec_off, "length %u above "
                         "max_record_bytes %llu", len,
                         (unsigned long long)max);
        if ((rc = record(w, type, len)) || (rc = sk(w, pad)))
            return rc;
        if (type == REC_END)
            return XLSR_OK;
        if (type == REC_CHECKPOINT && w->scan) {
            w->why = EX_WHY_CHECKPOINTED;
            return XLSR_DECLINE;
        }
        if (type == REC_CHECKPOINT && (rc = checkpoint(w)))
            return rc;
    }
}

static int layout(struct ex_state *s)
{
    if (!s->path)
        return XLSR_OK;
    int rc = XLSR_OK;
    if (s->format == EX_ELF)
        rc = ex_elf_finish(s);
    else if (s->format == EX_LIME)
        rc = ex_lime_finish(s);
    else if (s->format == EX_DUMPCORE)
        rc = ex_dumpcore_finish(s);
    /* raw: complete as it is; the file ends with the last page */
    s->ready = rc == XLSR_OK;
    return rc;
}

static void report(struct ex_state *s)
{
    char ck[64] = "";
    if (s->checkpoints)
        snprintf(ck, sizeof(ck), ", as of checkpoint %u", s->checkpoints);
    s->host->log(s->h, XLSR_LOG_INFO, "guest memory: %llu pages in %llu "
                 "runs up to gpa %#llx (%llu page copies read), %u vCPUs "
                 "with registers%s", (unsigned long long)s->map.pages,
                 (unsigned long long)ex_map_runs(&s->map),
                 (unsigned long long)(s->map.end << EX_PAGE_SHIFT),
                 (unsigned long long)s->page_copies,
                 ex_vcpus_count(&s->cpu), ck);
}

int ex_walk(struct ex_state *s)
{
    struct walk w = { .s = s, .rec_type = UINT32_MAX };
    int rc = headers(&w);
    if (!rc)
        rc = records(&w);
    if (!rc) {
        /* After a checkpoint, records up to END are never applied. */
        if (s->in_journal)
            ex_store_drop(s);
        else
            rc = ex_store_commit(s);
    } else if (w.failover && s->checkpoints) {
        /* Failover: like xc_domain_restore(), return success at the last
         * complete checkpoint; the core's verdict says failover. */
        ex_store_drop(s);
        rc = XLSR_OK;
    } else {
        return rc;
    }
    int lrc = s->path ? ex_plan_check(s) : XLSR_OK;
    if (!lrc)
        lrc = layout(s);
    if (lrc)
        return lrc;
    report(s);
    return rc;
}

int ex_walk_plan(struct ex_state *s, const char **why)
{
    struct walk w = { .s = s, .rec_type = UINT32_MAX, .scan = true,
                      .pos = s->host->offset(s->h) };
    int rc = headers(&w);
    if (!rc)
        rc = records(&w);
    *why = w.why ? w.why : "pass 1 failed";
    return rc;
}
