/*
 * lime.c - the LiME layout: per contiguous run of frames, ascending, a
 * 32-byte little-endian range header (magic 0x4C694D45 "EMiL", version
 * 1, start, end inclusive, reserved 0; LiME's lime.h) and the run's
 * bytes.  Where a run lands depends on every run before it: a planned
 * stream (plan.c) knew that before the pages came and they are in place
 * already.  From a pipe, while the pfns ascend (an `xl save` sends each
 * once, in order), every run is written as it arrives, its header once
 * it ends (ex_lime_stream).  Otherwise (a pfn sent again or out of
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

/* A pfn that does not ascend: every run written so far (the map holds
 * exactly those pages) goes to the staging file at its raw offset, where
 * the rest will join it; the output is laid out again from there at the
 * end. */
static int unstream(struct ex_state *s, uint64_t pfn)
{
    s->host->log(s->h, XLSR_LOG_INFO, "LiME: pfn %#llx comes after pfn "
                 "%#llx (sent again or out of order): pages staged in a "
                 "scratch file from here, and copied into place at the end",
                 (unsigned long long)pfn,
                 (unsigned long long)(s->ls_end - 1));
    s->lime_stream = false;
    s->ls_end = 0;
    uint64_t at = 0;
    for (uint64_t p = 0, end; ex_map_next_run(&s->map, &p, &end); p = end) {
        uint64_t len = (end - p) * EX_PAGE;
        int rc = ex_copy_fd(s, s->out.fd, at + EX_LIME_HDR, s->store,
                            s->base + (p << EX_PAGE_SHIFT), len,
                            "pages written before");
        if (rc)
            return rc;
        at += EX_LIME_HDR + len;
    }
    return XLSR_OK;
}

int ex_lime_stream(struct ex_state *s, uint64_t pfn, uint32_t n,
                   const uint8_t *data)
{
    if (s->ls_end && pfn < s->ls_end)
        return unstream(s, pfn);
    int rc;
    if (pfn != s->ls_end || !s->ls_end) {     /* a gap: a new run */
        if ((rc = close_run(s)))
            return rc;
        s->ls_hdr = s->ls_at;
        s->ls_at += EX_LIME_HDR;
        s->ls_start = pfn;
    }
    size_t len = (size_t)n * EX_PAGE;
    if ((rc = ex_pwrite(s, s->out.fd, data, len, s->ls_at, "pages")))
        return rc;
    ex_store_kick(s, s->out.fd, s->ls_at, len);
    s->ls_at += len;
    s->ls_end = pfn + n;
    return XLSR_OK;
}

int ex_lime_finish(struct ex_state *s)
{
    if (s->lime_stream)
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
