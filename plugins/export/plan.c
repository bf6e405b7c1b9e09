/*
 * plan.c - which path a stream's pages take, and where each page goes.
 *
 *   regular-file input ──► ELF, raw: no pass 1 needed (a page's offset
 *                          is its pfn's); pages copied from the input
 *                          file by offset (store.c copy_fd)
 *                      ──► LiME, dump-core: pass 1 (walk.c, pread,
 *                          page contents seeked over) learns the pfn
 *                          map; pass 2 copies each page straight to its
 *                          final offset (rank among present pfns)
 *   pipe, no checkpoints ──► LiME, dump-core: written at their final
 *                          offsets as the pages come while their pfns
 *                          ascend (stream.c); the first that does not
 *                          turns the rest staged
 *   a checkpointed stream, a pipe that stopped ascending, or pass 1
 *   stopped
 *                      ──► staged: LiME and dump-core pages wait in a
 *                          raw scratch file and are copied at the end;
 *                          checkpoints go through the journal (store.c)
 *
 * Why a checkpointed stream stages even from a file: which copy of a
 * page survives depends on which checkpoint is the last complete one,
 * and what a broken checkpoint's pages would overwrite must stay intact
 * until it completes.  The plan costs a second bitmap and the rank index
 * (1.25 bits per guest page); pass 1 reads the record headers and pfn
 * arrays only (about 0.2 % of a save).
 *
 * Last copy wins: pass 2 writes every copy of a repeated pfn to the same
 * final offset, in stream order.  The plan is checked against what pass
 * 2 found (the same pfns), so a file changed
 * between the passes fails the export rather than leaving stale pages.
 */
#include <unistd.h>

#include "export.h"

static void path_log(struct ex_state *s)
{
    static const char *const names[] = { "ELF", "raw", "LiME", "dump-core" };
    const char *name = names[s->format];
    if (s->planned)
        s->host->log(s->h, XLSR_LOG_INFO, "%s: pages copied to their final "
                     "offsets in one pass over the data (%llu pages planned "
                     "by a first pass over the record headers)", name,
                     (unsigned long long)s->plan.pages);
    else if (s->streaming)
        s->host->log(s->h, XLSR_LOG_INFO, "%s: pages written as they come "
                     "while their pfns ascend (the input is a pipe)", name);
    else if (s->staged_why)
        s->host->log(s->h, XLSR_LOG_INFO, "%s: pages staged in a scratch "
                     "file and copied into place at the end: %s", name,
                     s->staged_why);
    else
        s->host->log(s->h, XLSR_LOG_INFO, "%s: pages written at their final "
                     "offsets%s", name, s->in_fd >= 0 ? " (copied from the "
                     "input file by offset)" : "");
}

int ex_plan(struct ex_state *s)
{
    const struct xlsr_host *host = s->host;
    int fd;
    uint64_t base;
    bool staging = s->format == EX_LIME || s->format == EX_DUMPCORE;

    s->in_fd = -1;
    if (!s->path)
        return XLSR_OK;
    if (!XLSR_HOST_HAS(host, input_file) ||
        host->input_file(s->h, &fd, &base) != XLSR_OK) {
        /* LiME and dump-core follow a pipe while its pfns ascend
         * (stream.c); a checkpointed stream stages (see above). */
        if (staging && s->ctx->checkpointed == XLSR_CKPT_NONE)
            ex_stream_start(s);
        else if (staging)
            s->staged_why = EX_WHY_CHECKPOINTED;
        path_log(s);
        return XLSR_OK;
    }
    s->in_fd = fd;
    s->in_base = base;
    if (!staging) {
        path_log(s);
        return XLSR_OK;
    }
    if (s->ctx->checkpointed != XLSR_CKPT_NONE) {
        s->staged_why = EX_WHY_CHECKPOINTED;
        path_log(s);
        return XLSR_OK;
    }
    const char *why;
    int rc = ex_walk_plan(s, &why);
    ex_store_drop(s);   /* pass 2 starts from scratch: vCPUs again */
    if (rc == XLSR_OK && ex_map_index(&s->plan))
        return ex_fail(s, XLSR_ERR_NOMEM, "out of memory for the rank "
                       "index of %llu pages",
                       (unsigned long long)s->plan.pages);
    if (rc == XLSR_OK) {
        s->planned = true;
        if (s->store >= 0 && s->store != s->out.fd)
            close(s->store);        /* the staging file is not needed */
        s->store = s->out.fd;
    } else if (rc == XLSR_DECLINE) {
        ex_map_free(&s->plan);
        s->staged_why = why;
    } else {
        return rc;
    }
    path_log(s);
    return XLSR_OK;
}

uint64_t ex_plan_dest(const struct ex_state *s, uint64_t pfn)
{
    if (!s->planned)
        return s->base + (pfn << EX_PAGE_SHIFT);
    uint64_t pages, runs;
    ex_map_rank(&s->plan, pfn, &pages, &runs);
    if (s->format == EX_LIME)       /* a range header before each run */
        return runs * EX_LIME_HDR + pages * EX_PAGE;
    return EX_DC_PAGES + pages * EX_PAGE;   /* dump-core: .xen_pages */
}

int ex_plan_check(struct ex_state *s)
{
    /* Every pfn pass 2 placed was in the plan (store.c); equal counts
     * make the two sets equal. */
    if (!s->planned || s->map.pages == s->plan.pages)
        return XLSR_OK;
    return ex_fail(s, XLSR_ERR_IO, "%llu pages in the stream, %llu when the "
                   "input was first read: the file changed while it was "
                   "exported", (unsigned long long)s->map.pages,
                   (unsigned long long)s->plan.pages);
}
