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
    uint8_t h[32] = { 0 };
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

/* A pfn that does not ascend: every run written so far goes to the
 * staging file at its raw offset, where the rest will join it; the
 * output is laid out again from there at the end. */
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
        int rc = ex_copy_fd(s, s->out.fd, at + 32, s->store,
                            s->base + (p << EX_PAGE_SHIFT), len,
                            "pages written before");
        if (rc)
            return rc;
        at += 32 + len;
    }
    return XLSR_OK;
}

int ex_lime_stream(struct ex_state *s, const uint64_t *pfns,
                   const uint8_t *data, uint32_t n, uint32_t *done)
{
    *done = 0;
    for (uint32_t i = 0, j; i < n; i = j) {
        uint64_t p = pfns[i];
        for (j = i + 1; j < n && pfns[j] == pfns[j - 1] + 1; j++)
            ;
        if (s->ls_end && p < s->ls_end)
            return unstream(s, p);
        int rc = XLSR_OK;
        if (p != s->ls_end || !s->ls_end) {     /* a gap: a new run */
            if ((rc = close_run(s)))
                return rc;
            s->ls_hdr = s->ls_at;
            s->ls_at += 32;
            s->ls_start = p;
        }
        size_t len = (size_t)(j - i) * EX_PAGE;
        if ((rc = ex_pwrite(s, s->out.fd, data + (size_t)i * EX_PAGE, len,
                            s->ls_at, "pages")) ||
            (rc = ex_store_mark(s, pfns + i, j - i)))
            return rc;
        ex_store_kick(s, s->out.fd, s->ls_at, len);
        s->ls_at += len;
        s->ls_end = p + (j - i);
        *done = j;
    }
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
            rc = ex_copy_range(s, s->base + start, at + 32, len);
        if (rc)
            return rc;
        at += 32 + len;
    }
    return XLSR_OK;
}
