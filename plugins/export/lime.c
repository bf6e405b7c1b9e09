/*
 * lime.c - the LiME layout: per contiguous run of frames, ascending, a
 * 32-byte little-endian range header (magic 0x4C694D45 "EMiL", version
 * 1, start, end inclusive, reserved 0; LiME's lime.h) and the run's
 * bytes.  Where a run lands depends on every run before it: a planned
 * stream (plan.c) knew that before the pages came and they are in place
 * already.  From a pipe, while the pfns ascend (an `xl save` sends each
 * once, in order), every run is written as it arrives, its header once
 * it ends (stream.c).  Otherwise (a pfn sent again or out of
 * order: a live migration; a checkpointed stream) pages wait in a
 * scratch file laid out as raw (store.c) and are copied here in the
 * kernel, as dumpcore.c does; a stream that stops ascending first moves
 * what it wrote there.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "export.h"

#define LIME_MAGIC 0x4C694D45u

int ex_copy_range(struct ex_state *s, uint64_t from, uint64_t to, uint64_t len)
{
    return ex_copy_fd(s, s->store, from, s->out.fd, to, len, "staged pages");
}

static int put_header(struct ex_state *s, uint64_t at, uint64_t pfn,
                      uint64_t end)
{
    uint8_t h[EX_LIME_HDR] = { 0 };
    ex_put64(h, LIME_MAGIC | 1ull << 32);     /* magic, version 1 */
    ex_put64(h + 8, pfn << EX_PAGE_SHIFT);
    ex_put64(h + 16, (end << EX_PAGE_SHIFT) - 1);
    return ex_pwrite(s, s->out.fd, h, sizeof(h), at, "LiME header");
}

/* The open run's header, now that its end is known. */
static int close_run(struct ex_state *s)
{
    if (!s->ls_end)
        return XLSR_OK;
    int rc = put_header(s, s->ls_hdr, s->ls_start, s->ls_end);
    s->ls_end = 0;
    return rc;
}

/* stream.c: a gap in the pfns from a pipe starts a new run; its header
 * goes where the run starts, once the run ends. */
int ex_lime_open_run(struct ex_state *s, uint64_t pfn)
{
    int rc = close_run(s);
    s->ls_hdr = s->ls_at;
    s->ls_at += EX_LIME_HDR;
    s->ls_start = pfn;
    return rc;
}

int ex_lime_finish(struct ex_state *s)
{
    if (s->streaming)
        return close_run(s);    /* every run is in place */
    uint64_t at = 0;
    for (uint64_t pfn = 0, end; ex_map_next_run(&s->map, &pfn, &end);
         pfn = end) {
        uint64_t start = pfn << EX_PAGE_SHIFT, len = (end - pfn) * EX_PAGE;
        int rc = put_header(s, at, pfn, end);
        if (!rc && !s->planned)     /* planned: the pages are there */
            rc = ex_copy_range(s, s->base + start, at + EX_LIME_HDR, len);
        if (rc)
            return rc;
        at += EX_LIME_HDR + len;
    }
    return XLSR_OK;
}
