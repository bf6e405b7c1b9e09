/*
 * stream.c - the framer and the run loop.
 *
 * A stream is read strictly front to back, one record at a time:
 *
 *   [xl save header]  optional; auto-detected by its magic.  Its JSON
 *                     domain configuration is kept for the plugins.
 *   libxl header      16 bytes, big-endian: ident, version 2, options.
 *   records           type, body_length (little-endian), body, zero
 *                     padding to 8.  Each is routed to its binding; a
 *                     LIBXC_CONTEXT binding then reads the inline libxc
 *                     stream and framing resumes right after it.
 *   END               its handler returns XLSR_STOP: the only clean end.
 *   [trailing bytes]  xl migrate's handshake follows END on the wire:
 *                     counted (verify/dump), an error with --strict.
 *
 * Every length is checked against max_record_bytes before a byte of the
 * body is read, and bodies are read in growing chunks, so a length field
 * can never make us allocate more than what actually arrived (times two).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define XL_MAGIC "Xen saved domain, xl format\n \0 \r"
#define XL_MAGIC_LEN 32
#define XL_BYTEORDER 0x01020304u
#define XL_MAND_JSON 0x1u
#define XL_MAND_LIBXL_V2 0x2u
#define XL_MAND_KNOWN (XL_MAND_JSON | XL_MAND_LIBXL_V2)
#define XL_OPT_KNOWN 0x0u

#define LIBXL_IDENT 0x4c6962786c466d74ull      /* "LibxlFmt" */
#define LIBXL_VERSION 2u
#define LIBXL_OPT_BIG_ENDIAN 0x1u
#define LIBXL_OPT_LEGACY 0x2u

#define BODY_CHUNK (64 * 1024)

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
           (uint32_t)p[0] << 24;
}

static uint32_t host32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

int xlsr__serr(struct xlsr_session *s, int rc, uint64_t off,
               const char *fmt, ...)
{
    va_list ap;
    xlsr__err_at(s->err, off);
    va_start(ap, fmt);
    xlsr__vfail(s->err, rc, fmt, ap);
    va_end(ap);
    return rc;
}

int xlsr__rec_err(struct xlsr_session *s, int rc,
                  const struct xlsr_record *rec, const char *fmt, ...)
{
    va_list ap;
    xlsr__err_at(s->err, rec->offset);
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

static int read_body(struct xlsr_session *s, uint32_t len, uint64_t off,
                     const char *what);

static int read_xl_header(struct xlsr_session *s, const uint8_t *first8)
{
    uint8_t h[XL_MAGIC_LEN + 16], lenb[4];
    int rc;

    memcpy(h, first8, 8);
    rc = xlsr__read(&s->rd, h + 8, sizeof(h) - 8);
    if (rc) {
        s->rd.got += 8;
        return short_read(s, rc, 0, "xl save header", sizeof(h));
    }
    if (memcmp(h, XL_MAGIC, XL_MAGIC_LEN))
        return xlsr__serr(s, XLSR_ERR_STREAM, 0, "bad xl save header magic");
    uint32_t order = host32(h + 32);
    if (order != XL_BYTEORDER)
        return xlsr__serr(s, XLSR_ERR_STREAM, 32, "xl header byte-order marker "
                          "0x%08x: saved on a host of the other byte order "
                          "(unsupported)", order);
    uint32_t mand = host32(h + 36), opt = host32(h + 40);
    uint32_t optlen = host32(h + 44);
    s->res->xl_header = true;
    s->res->xl_mandatory_flags = mand;
    s->res->xl_optional_flags = opt;
    if (mand & ~XL_MAND_KNOWN)
        return xlsr__serr(s, XLSR_ERR_STREAM, 36, "xl header has unknown "
                          "mandatory flags 0x%x: refusing the file",
                          mand & ~XL_MAND_KNOWN);
    if (opt & ~XL_OPT_KNOWN)
        return xlsr__serr(s, XLSR_ERR_STREAM, 40, "xl header has unknown "
                          "optional flags 0x%x: refusing the file",
                          opt & ~XL_OPT_KNOWN);
    if (!(mand & XL_MAND_LIBXL_V2))
        return xlsr__serr(s, XLSR_ERR_STREAM, 36, "xl header says the "
                          "payload is a legacy (pre-v2) libxc stream: "
                          "unsupported (convert it with Xen's "
                          "convert-legacy-stream)");
    if (optlen > s->cfg->max_record_bytes)
        return xlsr__serr(s, XLSR_ERR_LIMIT, 44, "xl header optional data "
                          "of %u bytes exceeds max_record_bytes (%llu)", optlen,
                          (unsigned long long)s->cfg->max_record_bytes);
    /* Optional data: chunks of u32 length + bytes; the first is the
     * domain configuration. */
    uint32_t cfglen = 0;
    uint64_t left = optlen;
    if (optlen) {
        if (optlen < 4)
            return xlsr__serr(s, XLSR_ERR_STREAM, 44, "xl header optional data "
                              "of %u bytes is too short for its length field",
                              optlen);
        rc = xlsr__read(&s->rd, lenb, 4);
        if (rc)
            return short_read(s, rc, 48, "xl header optional data", optlen);
        cfglen = host32(lenb);
        left -= 4;
        if (cfglen > left)
            return xlsr__serr(s, XLSR_ERR_STREAM, 48, "xl config length %u "
                              "exceeds the optional data (%llu bytes left)",
                              cfglen, (unsigned long long)left);
        /* Read like a record body (growing as it arrives), kept only
         * once it is all there. */
        rc = read_body(s, cfglen, 52, "xl config");
        if (rc)
            return rc;
        s->xl_config = malloc((size_t)cfglen + 1);
        if (!s->xl_config)
            return xlsr__serr(s, XLSR_ERR_NOMEM, 52, "out of memory");
        if (cfglen)
            memcpy(s->xl_config, s->body, cfglen);
        s->xl_config[cfglen] = '\0';
        left -= cfglen;
        if ((mand & XL_MAND_JSON) && cfglen &&
            memchr(s->xl_config, '\0', cfglen) != s->xl_config + cfglen - 1)
            return xlsr__serr(s, XLSR_ERR_STREAM, 52, "xl JSON config is "
                              "not one NUL-terminated string");
        rc = xlsr__skip(&s->rd, left);
        if (rc)
            return short_read(s, rc, 52 + cfglen, "xl header optional data",
                              left);
        s->ctx->xl_config = s->xl_config;
        s->ctx->xl_config_len = cfglen ? cfglen - 1 : 0;
    }
    if (s->ctx->mode == XLSR_MODE_DUMP)
        xlsr__printf(s, "offset 0: xl header, mandatory flags 0x%x, "
                     "optional flags 0x%x, optional data %u bytes, config "
                     "%u bytes", mand, opt, optlen, cfglen);
    return XLSR_OK;
}

static int read_libxl_header(struct xlsr_session *s, uint8_t *h,
                             bool have8)
{
    uint64_t off = have8 ? 0 : s->rd.offset;
    int rc = xlsr__read(&s->rd, h + (have8 ? 8 : 0), have8 ? 8 : 16);
    if (rc) {
        s->rd.got += have8 ? 8 : 0;
        return short_read(s, rc, off, "libxl header", 16);
    }
    uint64_t ident = (uint64_t)be32(h) << 32 | be32(h + 4);
    uint32_t version = be32(h + 8), options = be32(h + 12);
    if (ident != LIBXL_IDENT)
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "not a libxl migration "
                          "stream: ident 0x%016llx, expected 0x%016llx "
                          "(\"LibxlFmt\")", (unsigned long long)ident,
                          LIBXL_IDENT);
    if (version != LIBXL_VERSION)
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 8, "libxl stream "
                          "version %u is not supported (only version 2)",
                          version);
    s->res->libxl_options = options;
    if (options & ~(LIBXL_OPT_BIG_ENDIAN | LIBXL_OPT_LEGACY))
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 12, "reserved libxl option "
                          "bits set: 0x%x", options);
    if (options & LIBXL_OPT_BIG_ENDIAN)
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 12, "big-endian libxl "
                          "streams are not supported (options 0x%x)", options);
    if (s->ctx->mode == XLSR_MODE_DUMP)
        xlsr__printf(s, "offset %llu: libxl header, version %u, options "
                     "0x%x%s", (unsigned long long)off, version, options,
                     options & LIBXL_OPT_LEGACY ? " (converted from legacy)"
                                                : "");
    return XLSR_OK;
}

static int read_headers(struct xlsr_session *s)
{
    uint8_t first[16];
    int rc = xlsr__read(&s->rd, first, 8);
    if (rc)
        return rc == XLSR_ERR_EOF && s->rd.got == 0
                   ? xlsr__serr(s, rc, 0, "empty stream")
                         : short_read(s, rc, 0, "stream header", 16);
    bool xl = !memcmp(first, XL_MAGIC, 8);
    if (!xl && s->opts.format == XLSR_FORMAT_XL)
        return xlsr__serr(s, XLSR_ERR_STREAM, 0, "no xl save header (format xl "
                          "was requested)");
    if (xl && s->opts.format == XLSR_FORMAT_LIBXL)
        return xlsr__serr(s, XLSR_ERR_STREAM, 0, "stream starts with an xl "
                          "save header (format libxl was requested)");
    if (!xl)
        return read_libxl_header(s, first, true);
    rc = read_xl_header(s, first);
    return rc ? rc : read_libxl_header(s, first, false);
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

static void dump_record(struct xlsr_session *s, const struct xlsr_record *r)
{
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

int xlsr__frame_record(struct xlsr_session *s, struct xlsr_record *rec,
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
        if (rc == XLSR_ERR_EOF && s->rd.got == 0) {
            *clean_eof = true;
            return rc;
        }
        return short_read(s, rc, off, "record header", sizeof(h));
    }
    rec->type = le32(h);
    rec->length = le32(h + 4);
    rec->checkpoint = s->in_checkpoint ? s->checkpoint : 0;
    xlsr__err_type(s->err, rec->type);
    if (rec->length > s->cfg->max_record_bytes)
        return xlsr__serr(s, XLSR_ERR_LIMIT, off, "body length %u exceeds "
                          "max_record_bytes (%llu)", rec->length,
                          (unsigned long long)s->cfg->max_record_bytes);
    if (s->ctx->mode == XLSR_MODE_DUMP)
        dump_record(s, rec);
    if (rec->length) {
        rc = read_body(s, rec->length, off, "record body");
        if (rc)
            return rc;
        rec->body = s->body;
    }
    uint32_t padlen = (8 - (rec->length & 7)) & 7;
    uint8_t pad[8];
    rc = xlsr__read(&s->rd, pad, padlen);
    if (rc)
        return short_read(s, rc, off, "record padding", padlen);
    for (uint32_t i = 0; i < padlen; i++)
        if (pad[i])
            return xlsr__serr(s, XLSR_ERR_STREAM, off, "non-zero padding byte "
                              "0x%02x at offset %llu", pad[i],
                              (unsigned long long)(off + 8 + rec->length + i));
    s->err->have_type = false;
    s->res->records++;
    return XLSR_OK;
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
    xlsr__err_at(s->err, rec->offset);
    xlsr__err_type(s->err, rec->type);
    snprintf(s->err->handler, sizeof(s->err->handler), "%s",
             s->failed_slot ? s->failed_slot->plugin->desc->name : "?");
    snprintf(s->err->reason, sizeof(s->err->reason), "%s",
             s->reason_set ? s->reason : xlsr_strerror(rc));
    return rc;
}

static int unhandled(struct xlsr_session *s, const struct xlsr_record *rec,
                     const char *why)
{
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
    /* libxl_stream_read.c process_record() fails on every record type it
     * does not know, optional or not: say where we differ. */
    xlsr__logf(s, XLSR_LOG_WARN, "offset %llu: skipping optional record "
               "type 0x%x (%u bytes): %s; stock xl restore would refuse it "
               "(\"Unrecognised record\")", (unsigned long long)rec->offset,
               rec->type, rec->length, why);
    return XLSR_OK;
}

int xlsr__dispatch(struct xlsr_session *s, const struct xlsr_record *rec)
{
    xlsr__err_type(s->err, rec->type);
    if (rec->type == XLSR_REC_CHECKPOINT_END)
        return xlsr__rec_err(s, XLSR_ERR_STREAM, rec, "CHECKPOINT_END "
                             "outside a checkpoint");
    struct xlsr_binding *b = xlsr__binding_for(s, rec->type);
    if (!b)
        return unhandled(s, rec, "no handler configured for");
    int rc = b->wrap->record(s, b, rec);
    if (rc == XLSR_DECLINE)
        return unhandled(s, rec, "handler declined");
    if (rc < 0 || rc > XLSR_STOP)
        return handler_err(s, rec, rc);     /* an undefined code is an error */
    if (rc == XLSR_OK && xlsr__carries_substream(rec->type) &&
        b->wrap->substream) {
        s->in_substream = true;
        rc = b->wrap->substream(s, b, rec);
        s->in_substream = false;
        if (s->fatal)
            return s->err->rc;      /* already described by the unbuffer */
        if (s->failover)
            return XLSR_STOP;
        if (rc != XLSR_OK)
            return handler_err(s, rec, rc);
    }
    return rc;
}

static int finish(struct xlsr_session *s, int rc)
{
    struct xlsr_result *res = s->res;

    if (s->failover) {
        res->failover = true;
        if (res->checkpoints == 0) {
            s->err->rc = XLSR_ERR_EOF;
            return XLSR_ERR_EOF;    /* the break's reason is in err */
        }
        memset(s->err, 0, sizeof(*s->err));
        rc = XLSR_OK;
    }
    return rc;
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
    memset(s->err, 0, sizeof(*s->err));
    if (s->running)
        return xlsr__fail(s->err, XLSR_ERR_HANDLER,
                          "a session runs one stream once");
    s->running = true;
    bool exact = s->ctx->mode == XLSR_MODE_RESTORE && !s->ctx->dry_run;
    rc = xlsr__reader_init(&s->rd, fd, exact);
    if (rc)
        return xlsr__fail(s->err, rc, "out of memory");
    rc = read_headers(s);
    while (rc == XLSR_OK) {
        rc = xlsr__frame_record(s, &rec, &clean_eof);
        if (rc == XLSR_ERR_EOF && clean_eof && s->res->checkpoints) {
            /* A Remus sender stops or dies: libxenguest fails over on its
             * own and returns, and the stream simply ends here. */
            s->failover = true;
            s->res->partial_offset = rec.offset;
            rc = XLSR_STOP;
        } else if (rc == XLSR_ERR_EOF && clean_eof) {
            rc = xlsr__serr(s, XLSR_ERR_EOF, rec.offset, "stream ended without "
                            "an END record");
        }
        if (rc == XLSR_OK)
            rc = xlsr__dispatch(s, &rec);
    }
    if (rc == XLSR_STOP && !s->failover) {
        rc = XLSR_OK;
        s->res->complete = true;
        s->res->bytes = s->rd.offset;
        if (!exact) {
            rc = xlsr__drain(&s->rd, &s->res->trailing_bytes);
            if (rc)
                rc = short_read(s, rc, s->rd.offset, "bytes after END", 0);
            else if (s->res->trailing_bytes && s->opts.strict)
                rc = xlsr__serr(s, XLSR_ERR_STREAM, s->res->bytes, "%llu bytes "
                                "after the END record (--strict)",
                                (unsigned long long)s->res->trailing_bytes);
        }
    } else if (rc == XLSR_STOP) {
        rc = XLSR_OK;
    }
    if (!s->res->bytes)
        s->res->bytes = s->rd.offset;
    for (size_t i = 0; i < s->nbind; i++)
        s->bind[i].wrap->finish(s, &s->bind[i]);
    rc = finish(s, rc);
    s->final_rc = rc;
    return rc;
}
