/*
 * stream.c - LiME and dump-core from a pipe: pages written at their final
 * offsets as they arrive, while the pfns ascend (an `xl save` sends each
 * once, in order), so neither needs the staging file nor a second copy.
 * LiME: each run where the runs before it end, its range header once it
 * ends (lime.c); dump-core: .xen_pages holds the pages in pfn order at a
 * fixed offset (dumpcore.c), so a page's place is the count of pages
 * before it.  The first pfn that comes again or out of order (a captured
 * live migration) moves what was written (the map holds exactly those
 * pages) to the staging file at its raw offset, where the rest will join
 * it, and the export goes on staged (plan.c).
 */
#include "export.h"

static const char *format_name(const struct ex_state *s)
{
    return s->format == EX_LIME ? "LiME" : "dump-core";
}

/* Every page written so far to the staging file, in map order: where
 * each run was written is where the runs before it end. */
static int unstream(struct ex_state *s, uint64_t pfn)
{
    s->host->log(s->h, XLSR_LOG_INFO, "%s: pfn %#llx comes after pfn "
                 "%#llx (sent again or out of order): pages staged in a "
                 "scratch file from here, and copied into place at the end",
                 format_name(s), (unsigned long long)pfn,
                 (unsigned long long)(s->ls_end - 1));
    s->streaming = false;
    s->ls_end = 0;
    bool lime = s->format == EX_LIME;
    uint64_t at = lime ? 0 : EX_DC_PAGES;
    for (uint64_t p = 0, end; ex_map_next_run(&s->map, &p, &end); p = end) {
        uint64_t len = (end - p) * EX_PAGE;
        if (lime)
            at += EX_LIME_HDR;
        int rc = ex_copy_fd(s, s->out.fd, at, s->store,
                            s->base + (p << EX_PAGE_SHIFT), len,
                            "pages written before");
        if (rc)
            return rc;
        at += len;
    }
    return XLSR_OK;
}

void ex_stream_start(struct ex_state *s)
{
    s->streaming = true;
    s->ls_at = s->format == EX_LIME ? 0 : EX_DC_PAGES;
    s->ls_end = 0;
}

int ex_stream_pages(struct ex_state *s, uint64_t pfn, uint32_t n,
                    const uint8_t *data)
{
    if (s->ls_end && pfn < s->ls_end)
        return unstream(s, pfn);
    int rc;
    if (s->format == EX_LIME && (pfn != s->ls_end || !s->ls_end) &&
        (rc = ex_lime_open_run(s, pfn)))
        return rc;
    size_t len = (size_t)n * EX_PAGE;
    if ((rc = ex_pwrite(s, s->out.fd, data, len, s->ls_at, "pages")))
        return rc;
    ex_store_kick(s, s->out.fd, s->ls_at, len);
    s->ls_at += len;
    s->ls_end = pfn + n;
    return XLSR_OK;
}
