/*
 * bounds.c - what a sender controls stays bounded: record bodies nobody
 * keeps are read past, never held; skipped records are logged one line
 * each for the first few, then summarised; bytes after END are read up to
 * a bound, and not at all beyond the first one under --strict.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

/* Skipped records logged one by one; the rest are counted. */
#define SKIP_LOG_LINES 8
/* xl migrate's handshake after the stream is 44 bytes (xl_migrate.c,
 * migrate_receive: the "migration-permission" and "done" messages):
 * anything much longer is not one, and need not be read to its end. */
#define TRAILING_MAX 4096

uint32_t xlsr__body_keep(struct xlsr_session *s,
                         const struct xlsr_record *hdr)
{
    const struct xlsr_binding *b = xlsr__binding_for(s, hdr->type);
    if (!b)     /* skipped by dispatch: never read; else it fails there */
        return hdr->type >= XLSR_REC_OPTIONAL_MIN && !s->cfg->unknown_fail
                   ? 0 : hdr->length;
    if (b->wrap != &xlsr__wrap_plain)
        return hdr->length;     /* a candidate may need the whole body */
    const struct xlsr_plugin *d = b->cur.plugin->desc;
    if (d->size < offsetof(struct xlsr_plugin, body_needed) +
                      sizeof(d->body_needed) || !d->body_needed)
        return hdr->length;
    uint32_t n = d->body_needed(b->cur.state, hdr);
    return n < hdr->length ? n : hdr->length;
}

void xlsr__note_skip(struct xlsr_session *s, const struct xlsr_record *rec,
                     const char *why)
{
    /* libxl_stream_read.c process_record() fails on every record type it
     * does not know, optional or not: say once where we differ. */
    if (s->skipped == 0)
        xlsr__xl_differs(s, "stock xl restore would refuse this stream: "
                         "libxl fails on any record type it does not know "
                         "(\"Unrecognised record\"); xlsr skips optional "
                         "ones");
    if (++s->skipped <= SKIP_LOG_LINES) {
        xlsr__logf(s, XLSR_LOG_INFO, "offset %llu: skipping optional "
                   "record type 0x%x (%u bytes): %s%s",
                   (unsigned long long)rec->offset, rec->type, rec->length,
                   why, s->skipped == SKIP_LOG_LINES
                            ? " (further skips are counted, not listed)"
                            : "");
        return;
    }
    s->skipped_bytes += rec->length;
}

void xlsr__skip_summary(struct xlsr_session *s)
{
    if (s->skipped > SKIP_LOG_LINES)
        xlsr__logf(s, XLSR_LOG_INFO, "skipped %llu more optional records "
                   "(%llu body bytes, not read into memory)",
                   (unsigned long long)(s->skipped - SKIP_LOG_LINES),
                   (unsigned long long)s->skipped_bytes);
}

int xlsr__trailing(struct xlsr_session *s, bool strict)
{
    uint64_t end = s->rd.offset;
    int rc = xlsr__skip(&s->rd, strict ? 1 : TRAILING_MAX + 1);
    uint64_t n = rc == XLSR_OK ? s->rd.offset - end : s->rd.got;

    s->res->trailing_bytes = n;
    s->err->have_type = false;  /* past the last record: no record to name */
    if (rc != XLSR_OK && rc != XLSR_ERR_EOF)
        return xlsr__serr(s, rc, end + n, "read error in the bytes after "
                          "END: %m");
    if (n && strict)
        return xlsr__serr(s, XLSR_ERR_STREAM, end, "bytes after the END "
                          "record (--strict)");
    if (n > TRAILING_MAX)
        xlsr__logf(s, XLSR_LOG_WARN, "more than %u bytes after the END "
                   "record (offset %llu): not an xl migration handshake; "
                   "stopped reading there", TRAILING_MAX,
                   (unsigned long long)end);
    return XLSR_OK;
}
