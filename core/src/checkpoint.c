/*
 * checkpoint.c - the libxl part of one checkpoint of a Remus/COLO stream:
 * the BUFFERING and UNBUFFERING states of machine.c, and COLO's
 * CKPT_STATE.
 *
 * In a checkpointed stream libxc and libxl take turns on one fd.  When the
 * libxc stream reaches a libxc CHECKPOINT record, libxenguest calls its
 * `checkpoint` restore callback; libxl then reads its own records up to
 * CHECKPOINT_END and hands control back (libxl_stream_read.c,
 * libxl__stream_read_start_checkpoint).  The libxc plugin calls
 * host->checkpoint() at that moment, which lands here, and answers
 * libxenguest with what we return:
 *
 *   XLSR_OK        SUCCESS: the checkpoint was whole and is applied.
 *   XLSR_ERR_EOF   FAILOVER: something went wrong while BUFFERING (the
 *                  stream ended or broke, a record over the buffer limit,
 *                  out of memory): no handler saw a byte of it.
 *   other errors   ERROR: something went wrong while UNBUFFERING (a
 *                  record refused by the rules, a handler failed).
 *
 * (libxl_stream_read.c checkpoint_done().)  Whether FAILOVER means "resume
 * the last checkpoint" or "fail" is libxenguest's decision (it fails at
 * the first checkpoint: xg_sr_restore.c handle_checkpoint()).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct xlsr_pending {
    struct xlsr_record rec;
    uint8_t *body;
};

struct queue {
    struct xlsr_pending *q;
    size_t n, cap;
    uint64_t bytes;         /* what is held, framing and entries included */
};

static void drop(struct queue *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->q[i].body);
    free(q->q);
    memset(q, 0, sizeof(*q));
}

/* What the nested handlers did to the error bookkeeping must not leak
 * into the libxc reader's own error (its slot, its reason). */
struct saved {
    struct xlsr_slot *slot;
    bool reason_set;
    char reason[sizeof(((struct xlsr_session *)0)->reason)];
};

static void save(struct xlsr_session *s, struct saved *sv)
{
    sv->slot = s->failed_slot;
    sv->reason_set = s->reason_set;
    memcpy(sv->reason, s->reason, sizeof(sv->reason));
}

static void restore(struct xlsr_session *s, const struct saved *sv)
{
    s->failed_slot = sv->slot;
    s->reason_set = sv->reason_set;
    memcpy(s->reason, sv->reason, sizeof(sv->reason));
}

/* Back to LIBXC with what libxc is told; the reason is kept for the
 * completion (and logged: the verdict may still be a clean failover). */
static int back_to_libxc(struct xlsr_session *s, enum xlsr__ckpt_result r,
                         int rc, const struct saved *sv)
{
    s->last_ckpt = r;
    if (r != XLSR__CK_SUCCESS) {
        char why[700];
        s->ckpt_err = *s->err;
        if (!s->ckpt_err.rc)
            s->ckpt_err.rc = rc;
        xlsr_error_format(s->err, why, sizeof(why));
        xlsr__logf(s, XLSR_LOG_WARN, "checkpoint %u %s (%s): telling "
                   "libxc %s", s->checkpoint, r == XLSR__CK_FAILOVER
                   ? "broken while buffering" : "failed while applying",
                   why, r == XLSR__CK_FAILOVER ? "FAILOVER" : "ERROR");
    }
    xlsr__enter(s, XLSR__S_LIBXC);
    restore(s, sv);
    return rc;
}

static int push(struct xlsr_session *s, struct queue *q,
                const struct xlsr_record *rec)
{
    if (q->n == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 8;
        struct xlsr_pending *nq = realloc(q->q, ncap * sizeof(*nq));
        if (!nq)
            return xlsr__rec_err(s, XLSR_ERR_NOMEM, rec, "out of memory "
                                 "buffering checkpoint %u", s->checkpoint);
        q->q = nq;
        q->cap = ncap;
    }
    /* The queue takes the body buffer itself: one copy of each record in
     * memory, never two. */
    q->q[q->n].rec = *rec;
    q->q[q->n].body = rec->length ? s->body : NULL;
    if (rec->length) {
        s->body = NULL;
        s->body_cap = 0;
    }
    q->n++;
    return XLSR_OK;
}

/* BUFFERING: frame and hold records up to CHECKPOINT_END.  The limit is
 * checked on each header, before a byte of its body is read. */
static int buffer(struct xlsr_session *s, struct queue *q)
{
    for (;;) {
        struct xlsr_record rec;
        bool clean_eof;
        int rc = xlsr__frame_header(s, &rec, &clean_eof);
        if (rc == XLSR_ERR_EOF && clean_eof)
            return xlsr__serr(s, XLSR_ERR_EOF, rec.offset, "stream ended "
                              "before CHECKPOINT_END");
        if (rc)
            return rc;
        uint64_t need = sizeof(struct xlsr_pending) + 8 +
                        (((uint64_t)rec.length + 7) & ~7ull);
        if (q->bytes + need > s->cfg->checkpoint_bytes)
            return xlsr__rec_err(s, XLSR_ERR_LIMIT, &rec, "checkpoint %u "
                                 "holds more than checkpoint_buffer_bytes "
                                 "(%llu) with this %u-byte record",
                                 s->checkpoint,
                                 (unsigned long long)s->cfg->checkpoint_bytes,
                                 rec.length);
        rc = xlsr__frame_body(s, &rec);
        if (rc)
            return rc;
        if (rec.type == XLSR_REC_CHECKPOINT_END) {
            if (rec.length)
                return xlsr__rec_err(s, XLSR_ERR_STREAM, &rec, "CHECKPOINT_END "
                                     "with a %u-byte body (must be empty)",
                                     rec.length);
            return XLSR_OK;
        }
        q->bytes += need;
        rc = push(s, q, &rec);
        if (rc)
            return rc;
    }
}

/* UNBUFFERING: every held record against the rules first, so that a
 * refused one leaves the others unapplied; then each to its handler. */
static int unbuffer(struct xlsr_session *s, struct queue *q)
{
    int rc = XLSR_OK;
    for (size_t i = 0; i < q->n && !rc; i++) {
        q->q[i].rec.body = q->q[i].body;
        rc = xlsr__rec_allowed(s, &q->q[i].rec);
    }
    for (size_t i = 0; i < q->n && !rc; i++) {
        rc = xlsr__dispatch(s, &q->q[i].rec);
        if (rc == XLSR_STOP)
            rc = xlsr__rec_err(s, XLSR_ERR_STREAM, &q->q[i].rec, "handler "
                               "ended the stream inside checkpoint %u",
                               s->checkpoint);
    }
    return rc < 0 ? rc : XLSR_OK;
}

int xlsr__checkpoint(struct xlsr_session *s)
{
    struct queue q = { 0 };
    struct saved sv;
    int rc;

    if (s->state != XLSR__S_LIBXC)
        return xlsr__fail(s->err, XLSR_ERR_HANDLER, "checkpoint callback "
                          "in stream state %s (only the libxc reader may "
                          "call it)", xlsr__state_name(s->state));
    save(s, &sv);
    s->checkpointed = true;
    s->checkpoint = s->checkpoints + 1;
    xlsr__enter(s, XLSR__S_BUFFERING);
    rc = buffer(s, &q);
    if (rc) {
        drop(&q);
        return back_to_libxc(s, XLSR__CK_FAILOVER, XLSR_ERR_EOF, &sv);
    }
    xlsr__enter(s, XLSR__S_UNBUFFERING);
    rc = unbuffer(s, &q);
    drop(&q);
    if (rc)
        return back_to_libxc(s, XLSR__CK_ERROR,
                             rc == XLSR_ERR_EOF ? XLSR_ERR_HANDLER : rc, &sv);
    s->checkpoints = s->checkpoint;
    s->ckpt_end = s->rd.offset;
    return back_to_libxc(s, XLSR__CK_SUCCESS, XLSR_OK, &sv);
}

/*
 * COLO: between checkpoints the primary sends a CHECKPOINT_STATE
 * (CHECKPOINT_NEW) that libxl reads on its own (the restore side's
 * wait_checkpoint callback, libxl_colo_restore.c).  It belongs to no
 * checkpoint and is applied at once.  The stream ending or breaking here
 * is a failover after the last complete checkpoint.
 */
int xlsr__between_checkpoints(struct xlsr_session *s, uint32_t expect)
{
    struct xlsr_record rec;
    struct saved sv;
    bool clean_eof;

    if (s->state != XLSR__S_LIBXC)
        return xlsr__fail(s->err, XLSR_ERR_HANDLER, "libxl_record called "
                          "in stream state %s", xlsr__state_name(s->state));
    save(s, &sv);
    xlsr__enter(s, XLSR__S_CKPT_STATE);
    uint64_t start = s->rd.offset;
    int rc = xlsr__frame_record(s, &rec, &clean_eof);
    if (rc == XLSR_ERR_EOF && clean_eof)
        xlsr__serr(s, rc, start, "stream ended between checkpoints");
    if (rc == XLSR_OK && rec.type != expect)
        rc = xlsr__rec_err(s, XLSR_ERR_STREAM, &rec, "expected a %s record "
                           "between checkpoints",
                        xlsr_rec_type_name(expect) ? xlsr_rec_type_name(expect)
                                                   : "libxl");
    if (rc) {
        s->checkpoint = s->checkpoints + 1;     /* the one that never came */
        return back_to_libxc(s, XLSR__CK_FAILOVER, XLSR_ERR_EOF, &sv);
    }
    rc = xlsr__dispatch(s, &rec);
    if (rc < 0)
        return back_to_libxc(s, XLSR__CK_ERROR,
                             rc == XLSR_ERR_EOF ? XLSR_ERR_HANDLER : rc, &sv);
    s->ckpt_end = s->rd.offset;
    return back_to_libxc(s, XLSR__CK_SUCCESS, XLSR_OK, &sv);
}
