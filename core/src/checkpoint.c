/*
 * checkpoint.c - the libxl part of one checkpoint of a Remus/COLO stream.
 *
 * In a checkpointed stream libxc and libxl take turns on one fd.  When the
 * libxc stream reaches a libxc CHECKPOINT record, libxenguest calls its
 * `checkpoint` restore callback; libxl then reads its own records up to
 * CHECKPOINT_END (libxl_stream_read.c, "checkpoint" handling) and hands
 * control back, and libxc continues with the next checkpoint's pages.
 * The libxc plugin calls host->checkpoint() at that moment, which lands
 * here.
 *
 * Phases: buffering (frame every record of the checkpoint into memory,
 * bounded by checkpoint_buffer_bytes), then, only once CHECKPOINT_END has
 * arrived, unbuffering (hand them to their handlers in order).  If the
 * stream ends or breaks before CHECKPOINT_END, the partial checkpoint is
 * discarded without any handler seeing it: that is failover, and the
 * receiver resumes from the last complete checkpoint.  A handler error
 * while unbuffering is fatal: the checkpoint was good, applying it failed.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct xlsr_pending {
    struct xlsr_record rec;
    uint8_t *body;
};

static void drop(struct xlsr_pending *q, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(q[i].body);
    free(q);
}

/* The stream broke inside checkpoint s->checkpoint: fail over. */
static int broke(struct xlsr_session *s, uint64_t start,
                 struct xlsr_pending *q, size_t n)
{
    drop(q, n);
    s->failover = true;
    s->in_checkpoint = false;
    s->res->partial_offset = start;
    char why[600];
    xlsr_error_format(s->err, why, sizeof(why));
    xlsr__logf(s, XLSR_LOG_WARN, "checkpoint %u broken (%s); discarding it "
               "and failing over to checkpoint %u", s->checkpoint, why,
               s->res->checkpoints);
    return XLSR_ERR_EOF;
}

static int unbuffer(struct xlsr_session *s, struct xlsr_pending *q, size_t n)
{
    int rc = XLSR_OK;
    /* Handlers of buffered records may not touch the stream. */
    bool sub = s->in_substream;
    s->in_substream = false;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        q[i].rec.body = q[i].body;
        rc = xlsr__dispatch(s, &q[i].rec);
        if (rc == XLSR_STOP) {
            xlsr__err_type(s->err, q[i].rec.type);
            rc = xlsr__fail(s->err, XLSR_ERR_STREAM, "handler ended the "
                            "stream inside checkpoint %u", s->checkpoint);
        }
    }
    s->in_substream = sub;
    if (rc < 0)
        s->fatal = true;
    drop(q, n);
    return rc < 0 ? rc : XLSR_OK;
}

int xlsr__checkpoint(struct xlsr_session *s)
{
    struct xlsr_pending *q = NULL;
    size_t n = 0, cap = 0;
    uint64_t bytes = 0, start = s->rd.offset;
    bool clean_eof;
    int rc;

    if (s->in_checkpoint)
        return xlsr__fail(s->err, XLSR_ERR_HANDLER, "nested checkpoint");
    s->in_checkpoint = true;
    s->checkpoint++;
    for (;;) {
        struct xlsr_record rec;
        rc = xlsr__frame_record(s, &rec, &clean_eof);
        if (rc == XLSR_ERR_EOF && clean_eof)
            xlsr__serr(s, XLSR_ERR_EOF, rec.offset, "stream ended before "
                       "CHECKPOINT_END");
        if (rc)
            return broke(s, start, q, n);
        if (rec.type == XLSR_REC_CHECKPOINT_END) {
            if (rec.length) {
                xlsr__rec_err(s, XLSR_ERR_STREAM, &rec, "CHECKPOINT_END "
                              "with a %u-byte body (must be empty)",
                              rec.length);
                return broke(s, start, q, n);
            }
            break;
        }
        if (rec.type == XLSR_REC_END || rec.type == XLSR_REC_LIBXC_CONTEXT) {
            xlsr__rec_err(s, XLSR_ERR_STREAM, &rec, "record not allowed "
                          "inside a checkpoint");
            return broke(s, start, q, n);
        }
        /* What is held: the body, its framing and the queue entry, so
         * that many empty records count too. */
        bytes += sizeof(*q) + 8 + (((uint64_t)rec.length + 7) & ~7ull);
        if (bytes > s->cfg->checkpoint_bytes) {
            drop(q, n);
            s->fatal = true;
            return xlsr__rec_err(s, XLSR_ERR_LIMIT, &rec, "checkpoint %u "
                                 "holds more than checkpoint_buffer_bytes "
                                 "(%llu)", s->checkpoint, (unsigned long long)
                                 s->cfg->checkpoint_bytes);
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct xlsr_pending *nq = realloc(q, ncap * sizeof(*nq));
            if (!nq)
                goto nomem;
            q = nq;
            cap = ncap;
        }
        /* The queue takes the body buffer itself: one copy of each
         * record in memory, never two. */
        q[n].rec = rec;
        q[n].body = rec.length ? s->body : NULL;
        if (rec.length) {
            s->body = NULL;
            s->body_cap = 0;
        }
        n++;
    }
    s->in_checkpoint = false;
    rc = unbuffer(s, q, n);
    if (rc)
        return rc;
    s->res->checkpoints = s->checkpoint;
    return XLSR_OK;
nomem:
    drop(q, n);
    s->fatal = true;
    return xlsr__fail(s->err, XLSR_ERR_NOMEM, "out of memory buffering "
                      "checkpoint %u", s->checkpoint);
}

/*
 * COLO: between checkpoints the primary sends a CHECKPOINT_STATE
 * (CHECKPOINT_NEW) that libxl reads on its own (the restore side's
 * wait_checkpoint callback, libxl_colo_restore.c).  It belongs to no
 * checkpoint and is applied at once.  The stream ending here is a clean
 * failover after the last complete checkpoint.
 */
int xlsr__between_checkpoints(struct xlsr_session *s, uint32_t expect)
{
    struct xlsr_record rec;
    bool clean_eof;
    uint64_t start = s->rd.offset;
    int rc = xlsr__frame_record(s, &rec, &clean_eof);

    if (rc == XLSR_OK && rec.type != expect) {
        rc = xlsr__rec_err(s, XLSR_ERR_STREAM, &rec, "expected a %s record "
                           "between checkpoints",
                        xlsr_rec_type_name(expect) ? xlsr_rec_type_name(expect)
                                                   : "libxl");
    }
    if (rc) {
        if (rc == XLSR_ERR_EOF && clean_eof)
            xlsr__serr(s, rc, start, "stream ended between checkpoints");
        s->checkpoint++;    /* the one that never arrived */
        return broke(s, start, NULL, 0);
    }
    bool sub = s->in_substream;
    s->in_substream = false;
    rc = xlsr__dispatch(s, &rec);
    s->in_substream = sub;
    if (rc < 0)
        s->fatal = true;
    return rc < 0 ? rc : XLSR_OK;
}
