/*
 * lime.c - the LiME layout: per contiguous run of frames, ascending, a
 * 32-byte little-endian range header (magic 0x4C694D45 "EMiL", version
 * 1, start, end inclusive, reserved 0; LiME's lime.h) and the run's
 * bytes.  Where a run lands depends on every run before it: a planned
 * stream (plan.c) knew that before the pages came and they are in place
 * already; otherwise (a pipe, a checkpointed stream) they wait in a
 * scratch file laid out as raw (store.c) and are copied here in the
 * kernel, as dumpcore.c does.
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

int ex_lime_finish(struct ex_state *s)
{
    uint64_t at = 0;
    for (uint64_t pfn = 0, end; ex_map_next_run(&s->map, &pfn, &end);
         pfn = end) {
        uint8_t h[32] = { 0 };
        uint64_t start = pfn << EX_PAGE_SHIFT, len = (end - pfn) * EX_PAGE;
        ex_put64(h, LIME_MAGIC | 1ull << 32);     /* magic, version 1 */
        ex_put64(h + 8, start);
        ex_put64(h + 16, start + len - 1);
        int rc = ex_pwrite(s, s->out.fd, h, sizeof(h), at, "LiME header");
        if (!rc && !s->planned)     /* planned: the pages are there */
            rc = ex_copy_range(s, s->base + start, at + sizeof(h), len);
        if (rc)
            return rc;
        at += sizeof(h) + len;
    }
    return XLSR_OK;
}
