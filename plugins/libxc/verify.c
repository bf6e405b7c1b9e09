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
#include <stdio.h>
#include <string.h>

#include "libxc.h"

#define IHDR_MARKER     0xFFFFFFFFFFFFFFFFull
#define IHDR_ID         0x58454E46u         /* "XENF" */
#define PFN_RESERVED    0x0FF0000000000000ull   /* bits 52-59 */
#define PFN_CHUNK       512                 /* pfn entries per read */

/* Records the reason for the core, which adds the LIBXC_CONTEXT record's
 * offset and our handler name; ours is the offset inside the stream. */
static int XLSR_PRINTF(5, 6)
vfail(struct lx_verify *v, int rc, uint64_t off, const char *what,
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

static int rd(struct lx_verify *v, void *buf, size_t len, uint64_t off,
              const char *what)
{
    int rc = v->s->host->read(v->s->h, buf, len);
    if (rc)
        return read_failed(v, rc, off, what);
    v->off += len;
    return XLSR_OK;
}

static int sk(struct lx_verify *v, uint64_t len, uint64_t off,
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
    if (options & 0xFFFEu)
        return vfail(v, XLSR_ERR_STREAM, off + 16, what, "reserved option "
                     "bits set: 0x%04x", options & 0xFFFEu);
    if (lx_be16(b + 18) || lx_be32(b + 20))
        return vfail(v, XLSR_ERR_STREAM, off + 18, what, "reserved fields "
                     "not zero: 0x%04x 0x%08x", lx_be16(b + 18),
                     lx_be32(b + 20));
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
    if (lx_le16(b + 6))
        return vfail(v, XLSR_ERR_STREAM, off + 6, what, "reserved field "
                     "not zero: 0x%04x", lx_le16(b + 6));
    v->guest = type;
    v->s->st.guest_type = type;
    if (XLSR_HOST_HAS(v->s->host, guest_type))
        v->s->host->guest_type(v->s->h, type);
    v->s->st.page_shift = shift;
    v->s->st.xen_major = lx_le32(b + 8);
    v->s->st.xen_minor = lx_le32(b + 12);
    return XLSR_OK;
}

/* Checks n pfn entries (entry `first` onwards) and counts their types;
 * *ndata grows by the pages of data they announce. */
static int check_pfns(struct lx_verify *v, uint64_t off, const uint8_t *b,
                      uint32_t first, uint32_t n, uint64_t *ndata)
{
    uint64_t *pages = v->s->st.pages, nd = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t e = lx_le64(b + 8 * i);
        unsigned t = (unsigned)(e >> 60);
        if (__builtin_expect((e & PFN_RESERVED) ||
                             lx_page_type_class[t] == 2, 0)) {
            const char *what = "record PAGE_DATA (0x1)";
            uint64_t at = off + 16 + 8 * (uint64_t)(first + i);
            if (e & PFN_RESERVED)
                return vfail(v, XLSR_ERR_STREAM, at, what, "pfn[%u] = "
                             "0x%016llx: reserved bits 52-59 set", first + i,
                             (unsigned long long)e);
            return vfail(v, XLSR_ERR_STREAM, at, what, "pfn[%u] = 0x%016llx: "
                         "invalid page type %u", first + i,
                         (unsigned long long)e, t);
        }
        nd += lx_page_type_class[t];
        pages[t]++;
    }
    *ndata += nd;
    return XLSR_OK;
}

/*
 * spec 4.2.  `off` is the record header's offset.  A body that fits the
 * buffer (no page contents, or a record that is wrong anyway) comes in one
 * read; larger ones as header, pfn chunks, then a skip over the contents.
 */
static int page_data(struct lx_verify *v, uint64_t off, uint32_t len)
{
    const char *what = "record PAGE_DATA (0x1)";
    uint8_t buf[PFN_CHUNK * 8];
    char why[160];
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
    bool whole = len <= sizeof(buf);
    rc = rd(v, buf, whole ? len : 8, off, what);
    if (rc)
        return rc;
    uint32_t count = lx_le32(buf);
    if (lx_le32(buf + 4))
        return vfail(v, XLSR_ERR_STREAM, off + 12, what, "reserved field "
                     "not zero: 0x%08x", lx_le32(buf + 4));
    if (count == 0)     /* spec: "Count is strictly > 0" */
        return vfail(v, XLSR_ERR_STREAM, off + 8, what, "count is zero");
    if (8 + (uint64_t)count * 8 > len)
        return vfail(v, XLSR_ERR_STREAM, off + 8, what, "count %u needs "
                     "%llu bytes of pfns, body length is %u", count,
                     (unsigned long long)count * 8, len);

    uint64_t ndata = 0;
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
    return sk(v, ndata * 4096, off, what);
}

/* Every record but PAGE_DATA: sizes from the table, then content. */
static int other_record(struct lx_verify *v, uint64_t off, uint32_t type,
                        uint32_t len)
{
    const struct lx_rule *rule = &lx_rules[type];
    char what[64], why[160];
    rec_what(type, what, sizeof(what));

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

    /* Small bodies in one read with their padding; large ones: the bytes
     * the checks need, a skip, then the padding. */
    uint8_t buf[64], padb[8];
    const uint8_t *pp = padb;
    uint32_t pad = (8 - (len & 7)) & 7;
    int rc;
    if ((uint64_t)len + pad <= sizeof(buf)) {
        rc = rd(v, buf, len + pad, off, what);
        pp = buf + len;
    } else {
        rc = rd(v, buf, rule->inspect, off, what);
        if (!rc)
            rc = sk(v, len - rule->inspect, off, what);
        if (!rc && pad)
            rc = rd(v, padb, pad, off, what);
    }
    if (rc)
        return rc;
    for (uint32_t i = 0; i < pad; i++)
        if (pp[i])
            return vfail(v, XLSR_ERR_STREAM, off + 8 + len + i, what,
                         "padding byte %u is 0x%02x, not zero", i, pp[i]);
    const char *r = lx_check_record(v, type, len, buf, why, sizeof(why));
    if (r)
        return vfail(v, XLSR_ERR_STREAM, off, what, "%s", r);
    return XLSR_OK;
}

/* Optional records (bit 31, spec 4): a reader may ignore them. */
static int optional_record(struct lx_verify *v, uint64_t off, uint32_t len)
{
    uint8_t pad[8];
    uint32_t n = (8 - (len & 7)) & 7;
    int rc = sk(v, len, off, "optional record");
    if (!rc && n)
        rc = rd(v, pad, n, off, "optional record");
    if (rc)
        return rc;
    for (uint32_t i = 0; i < n; i++)
        if (pad[i])
            return vfail(v, XLSR_ERR_STREAM, off + 8 + len, "optional "
                         "record", "padding byte %u is not zero", i);
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
                                : XLSR_OK;
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

    int rc = image_header(&v);
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
    return rc;
}
