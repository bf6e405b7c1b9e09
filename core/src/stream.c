/*
 * stream.c - the framer and the run loop.
 *
 * A stream is read strictly front to back, one record at a time:
 *
 *   [container]       optional: xl save header, libvirt save header or a
 *                     xenopsd suspend image, detected from the first
 *                     bytes (layers.c, one file per layer).  A xenopsd
 *                     image or a bare libxc stream is run to its end
 *                     there; the rest comes back here for libxl records.
 *   libxl header      16 bytes, big-endian: ident, version 2, options.
 *   records           type, body_length (little-endian), body, zero
 *                     padding to 8.  Each is routed to its binding; a
 *                     LIBXC_CONTEXT binding then reads the inline libxc
 *                     stream and framing resumes right after it.
 *   END               its handler returns XLSR_STOP: the only clean end
 *                     of a plain stream.  A checkpointed (Remus/COLO)
 *                     stream completes when its libxc reader returns.
 *   [trailing bytes]  xl migrate's handshake follows END on the wire:
 *                     counted up to a bound (verify/dump), an error at
 *                     the first byte with --strict (bounds.c).
 *
 * Which state the run is in, and what may happen in each, is machine.c's
 * business; this file frames records (xlsr__frame_header, then
 * xlsr__frame_body, so that a caller can refuse a record on its header
 * before reading its body) and routes them (xlsr__dispatch).
 *
 * Every length is checked against max_record_bytes before a byte of the
 * body is read, and bodies are read in growing chunks, so a length field
 * can never make us allocate more than what actually arrived (times two).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BODY_CHUNK (64 * 1024)

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* An error's offset, unless the run no longer knows its offsets (a pipe
 * that libxenguest read: how far it read is not known). */
static void err_offset(struct xlsr_session *s, uint64_t off)
{
    if (s->rd.offset_known)
        xlsr__err_at(s->err, off);
    else
        xlsr__err_where(s->err, "offset unknown (libxenguest read the "
                        "stream from a pipe)");
}

int xlsr__serr(struct xlsr_session *s, int rc, uint64_t off,
               const char *fmt, ...)
{
    va_list ap;
    err_offset(s, off);
    va_start(ap, fmt);
    xlsr__vfail(s->err, rc, fmt, ap);
    va_end(ap);
    return rc;
}

int xlsr__rec_err(struct xlsr_session *s, int rc,
                  const struct xlsr_record *rec, const char *fmt, ...)
{
    va_list ap;
    err_offset(s, rec->offset);
    xlsr__err_type(s->err, rec->type);
    va_start(ap, fmt);
    xlsr__vfail(s->err, rc, fmt, ap);
    va_end(ap);
    return rc;
}


/* A read that failed: names what was being read and how much came. */
static int short_read(struct xlsr_session *s, int rc, uint64_t off,
                      const char *what, uint64_t want)
{
    if (rc == XLSR_ERR_EOF)
        return xlsr__serr(s, rc, off, "truncated %s: stream ended after "
                          "%llu of %llu bytes", what,
                          (unsigned long long)s->rd.got,
                          (unsigned long long)want);
    if (rc == XLSR_ERR_IO)
        return xlsr__serr(s, rc, off, "read error in %s: %m", what);
    return xlsr__serr(s, rc, off, "out of memory reading %s", what);
}

int xlsr__short_read(struct xlsr_session *s, int rc, uint64_t off,
                     const char *what, uint64_t want)
{
    return short_read(s, rc, off, what, want);
}

/* Reads len body bytes into the session buffer, growing it only as data
 * actually arrives. */
static int read_body(struct xlsr_session *s, uint32_t len, uint64_t off,
                     const char *what)
{
    size_t have = 0;
    while (have < len) {
        if (have == s->body_cap) {
            size_t cap = s->body_cap ? s->body_cap * 2 : BODY_CHUNK;
            if (cap > len)
                cap = len;
            uint8_t *b = realloc(s->body, cap);
            if (!b)
                return xlsr__serr(s, XLSR_ERR_NOMEM, off, "out of memory for a "
                                  "%u-byte %s", len, what);
            s->body = b;
            s->body_cap = cap;
        }
        size_t n = (len < s->body_cap ? len : s->body_cap) - have;
        int rc = xlsr__read(&s->rd, s->body + have, n);
        if (rc) {
            s->rd.got += have;
            return short_read(s, rc, off, what, len);
        }
        have += n;
    }
    return XLSR_OK;
}

int xlsr__read_body(struct xlsr_session *s, uint32_t len, uint64_t off,
                    const char *what)
{
    return read_body(s, len, off, what);
}

static void dump_record(struct xlsr_session *s, const struct xlsr_record *r)
{
    if (s->opts.dump) {
        struct xlsr_dump_item it = {
            .kind = XLSR_DUMP_RECORD, .offset = r->offset, .type = r->type,
            .length = r->length, .checkpoint = r->checkpoint,
        };
        s->opts.dump(s->opts.opaque, &it);
        return;
    }
    const char *name = xlsr_rec_type_name(r->type);
    char ck[32] = "";
    if (r->checkpoint)
        snprintf(ck, sizeof(ck), ", checkpoint %u", r->checkpoint);
    xlsr__printf(s, "offset %llu: record 0x%08x %s, length %u%s",
                 (unsigned long long)r->offset, r->type,
                 name ? name : (r->type >= XLSR_REC_OPTIONAL_MIN
                                    ? "(optional)" : "(unknown)"),
                 r->length, ck);
}

int xlsr__frame_header(struct xlsr_session *s, struct xlsr_record *rec,
                       bool *clean_eof)
{
    uint8_t h[8];
    uint64_t off = s->rd.offset;
    int rc;

    *clean_eof = false;
    s->err->have_type = false;
    xlsr__progress(s);
    memset(rec, 0, sizeof(*rec));
    rec->offset = off;
    rc = xlsr__read(&s->rd, h, sizeof(h));
    if (rc) {
        if (rc == XLSR_ERR_EOF)
            xlsr__note_hdr_eof(s, h, (size_t)s->rd.got);
        if (rc == XLSR_ERR_EOF && s->rd.got == 0) {
            *clean_eof = true;
            return rc;
        }
        return short_read(s, rc, off, "record header", sizeof(h));
    }
    rec->type = le32(h);
    rec->length = le32(h + 4);
    rec->checkpoint = s->state == XLSR__S_BUFFERING ? s->checkpoint : 0;
    xlsr__err_type(s->err, rec->type);
    if (rec->length > s->cfg->max_record_bytes)
        return xlsr__serr(s, XLSR_ERR_LIMIT, off, "body length %u exceeds "
                          "max_record_bytes (%llu)", rec->length,
                          (unsigned long long)s->cfg->max_record_bytes);
    if (s->ctx->mode == XLSR_MODE_DUMP)
        dump_record(s, rec);
    return XLSR_OK;
}

int xlsr__frame_body(struct xlsr_session *s, struct xlsr_record *rec)
{
    uint64_t off = rec->offset;
    int rc;

    /* What nobody keeps is read past, never held (bounds.c). */
    uint32_t keep = xlsr__body_keep(s, rec);
    if (keep) {
        rc = read_body(s, keep, off, "record body");
        if (rc)
            return rc;
        rec->body = s->body;
    }
    if (keep < rec->length) {
        rc = xlsr__skip(&s->rd, rec->length - keep);
        if (rc) {
            s->rd.got += keep;
            return short_read(s, rc, off, "record body", rec->length);
        }
    }
    uint32_t padlen = (8 - (rec->length & 7)) & 7;
    uint8_t pad[8];
    rc = xlsr__read(&s->rd, pad, padlen);
    if (rc)
        return short_read(s, rc, off, "record padding", padlen);
    /* libxl reads a body rounded up to 8 bytes and never looks at the
     * padding (libxl_stream_read.c record_header_done()): non-zero
     * padding is not conformant, and a restore goes on (--strict: an
     * error). */
    for (uint32_t i = 0; i < padlen; i++) {
        if (!pad[i])
            continue;
        unsigned long long at = off + 8 + rec->length + i;
        if (s->opts.strict)
            return xlsr__serr(s, XLSR_ERR_STREAM, off, "non-zero padding "
                              "byte 0x%02x at offset %llu (not conformant; "
                              "--strict)", pad[i], at);
        xlsr__logf(s, XLSR_LOG_WARN, "offset %llu: record %s: non-zero "
                   "padding byte 0x%02x at offset %llu (not conformant; "
                   "libxl ignores it)", (unsigned long long)off,
                   xlsr_rec_type_name(rec->type), pad[i], at);
        break;
    }
    s->err->have_type = false;
    s->res->records++;
    return XLSR_OK;
}

int xlsr__frame_record(struct xlsr_session *s, struct xlsr_record *rec,
                       bool *clean_eof)
{
    int rc = xlsr__frame_header(s, rec, clean_eof);
    return rc ? rc : xlsr__frame_body(s, rec);
}

/* A handler's error, with everything the error contract asks for. */
static int handler_err(struct xlsr_session *s, const struct xlsr_record *rec,
                       int rc)
{
    if (rc >= 0) {
        if (!s->reason_set)
            snprintf(s->reason, sizeof(s->reason), "handler returned %d, "
                     "which it may not return here", rc);
        s->reason_set = true;
        rc = XLSR_ERR_HANDLER;
    }
    s->err->rc = rc;
    err_offset(s, rec->offset);
    xlsr__err_type(s->err, rec->type);
    snprintf(s->err->handler, sizeof(s->err->handler), "%s",
             s->failed_slot ? s->failed_slot->plugin->desc->name : "?");
    snprintf(s->err->reason, sizeof(s->err->reason), "%s",
             s->reason_set ? s->reason : xlsr_strerror(rc));
    return rc;
}

/* A record nobody took: declined by its handler, or with no binding. */
static int unhandled(struct xlsr_session *s, const struct xlsr_record *rec,
                     bool declined)
{
    const char *why = declined ? "handler declined" : "no handler "
                                                      "configured for";
    if (rec->type < XLSR_REC_OPTIONAL_MIN || s->cfg->unknown_fail) {
        return xlsr__rec_err(s, XLSR_ERR_STREAM, rec, "%s %s record type "
                    "0x%x (%s)", why,
                    rec->type < XLSR_REC_OPTIONAL_MIN ? "mandatory"
                                                      : "optional",
                    rec->type,
                    rec->type < XLSR_REC_OPTIONAL_MIN
                        ? "a reader must fail on a mandatory record it "
                          "cannot handle"
                        : "[core] unknown_records = fail");
    }
    xlsr__note_skip(s, rec, declined ? "its handler declined it"
                                     : "no handler is configured for it");
    return XLSR_OK;
}

/* LIBXC_CONTEXT's inline stream: NORMAL -> LIBXC, and where its reader's
 * result leads (machine.c).  The reader may call back into the core for
 * checkpoints; what those handlers did must not be blamed on it. */
static int substream(struct xlsr_session *s, struct xlsr_binding *b,
                     const struct xlsr_record *rec)
{
    xlsr__enter(s, XLSR__S_LIBXC);
    s->libxc_streams++;
    int rc = b->wrap->substream(s, b, rec);
    if (rc > XLSR_OK || rc == XLSR_DECLINE)
        rc = XLSR_ERR_HANDLER;
    if (rc == XLSR_OK && s->last_ckpt == XLSR__CK_ERROR)
        rc = XLSR_ERR_HANDLER;  /* told ERROR, it must not succeed */
    if (rc < 0 && (s->last_ckpt == XLSR__CK_ERROR ||
                   (s->last_ckpt == XLSR__CK_FAILOVER && !s->checkpoints))) {
        /* A checkpoint went wrong first and libxc failed because of it
         * (ERROR; FAILOVER with no consistent state): that is the cause,
         * and it is already described. */
        *s->err = s->ckpt_err;
        return s->err->rc ? s->err->rc : XLSR_ERR_STREAM;
    }
    if (rc < 0)
        return handler_err(s, rec, rc);
    return xlsr__libxc_done(s, rc);
}

int xlsr__dispatch(struct xlsr_session *s, const struct xlsr_record *rec)
{
    xlsr__err_type(s->err, rec->type);
    int rc = xlsr__rec_allowed(s, rec);
    if (rc)
        return rc;
    struct xlsr_binding *b = xlsr__binding_for(s, rec->type);
    if (!b)
        return unhandled(s, rec, false);
    return xlsr__dispatch_to(s, b, rec);
}

int xlsr__dispatch_to(struct xlsr_session *s, struct xlsr_binding *b,
                      const struct xlsr_record *rec)
{
    int rc = b->wrap->record(s, b, rec);
    if (rc == XLSR_DECLINE)
        return unhandled(s, rec, true);
    if (rc < 0 || rc > XLSR_STOP)
        return handler_err(s, rec, rc);     /* an undefined code is an error */
    if (rc == XLSR_OK && xlsr__carries_substream(rec->type) &&
        b->wrap->substream) {
        xlsr__libxc_describe(s);        /* the layer line (layers.h) */
        return substream(s, b, rec);
    }
    return rc;
}

/* Bytes after the point where the stream was complete: counted when we
 * read ahead anyway, never when the fd may be someone else's next. */
static int trailing(struct xlsr_session *s, bool exact)
{
    s->res->bytes = s->rd.offset;
    if (exact)
        return XLSR_OK;
    /* Bounded, and --strict stops at the first byte (bounds.c). */
    return xlsr__trailing(s, s->opts.strict && s->res->complete);
}

XLSR_API int xlsr_session_run(struct xlsr_session *s, int fd,
                              struct xlsr_result *res,
                              struct xlsr_error *err)
{
    struct xlsr_result rdummy;
    struct xlsr_error edummy;
    struct xlsr_record rec;
    bool clean_eof;
    int rc;

    s->res = res ? res : &rdummy;
    s->err = err ? err : &edummy;
    memset(s->res, 0, sizeof(*s->res));
    s->res->size = sizeof(*s->res);
    xlsr__err_clear(s->err);
    if (s->state != XLSR__S_IDLE)
        return xlsr__fail(s->err, XLSR_ERR_HANDLER,
                          "a session runs one stream once");
    xlsr__enter(s, XLSR__S_HEADERS);
    s->checkpointed = s->ctx->checkpointed != XLSR_CKPT_NONE;
    bool exact = s->ctx->mode == XLSR_MODE_RESTORE && !s->ctx->dry_run;
    rc = xlsr__reader_init(&s->rd, fd, exact);
    if (rc)
        rc = xlsr__fail(s->err, rc, rc == XLSR_ERR_IO ? "cannot make the "
                        "stream fd blocking: %m" : "out of memory");
    else
        rc = xlsr__layers_read(s);     /* layers.c: every header */
    if (rc == XLSR_OK)
        xlsr__enter(s, XLSR__S_NORMAL);
    while (rc == XLSR_OK) {
        rc = xlsr__frame_record(s, &rec, &clean_eof);
        if (rc == XLSR_ERR_EOF && clean_eof)
            rc = xlsr__serr(s, XLSR_ERR_EOF, rec.offset, "stream ended "
                            "without an END record");
        if (rc == XLSR_OK) {
            rc = xlsr__dispatch(s, &rec);
            s->last_type = rec.type;
        }
    }
    if (rc == XLSR_ERR_EOF)
        xlsr__xl_cut_note(s);
    if (rc == XLSR_STOP) {
        s->res->complete = s->state == XLSR__S_NORMAL;
        rc = trailing(s, exact);
        if (rc == XLSR_OK) {
            xlsr__err_clear(s->err);
            rc = XLSR_STOP;
        }
    }
    xlsr__skip_summary(s);
    for (size_t i = 0; i < s->nbind; i++)
        s->bind[i].wrap->finish(s, &s->bind[i]);
    rc = xlsr__complete(s, rc);
    xlsr__reader_done(&s->rd);
    s->final_rc = rc;
    return rc;
}
