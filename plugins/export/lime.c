/*
 * lime.c - the LiME layout: per contiguous run of frames, ascending, a
 * 32-byte little-endian range header (magic 0x4C694D45 "EMiL", version
 * 1, start, end inclusive, reserved 0; LiME's lime.h) and the run's
 * bytes.  Where a run lands depends on every run before it, so the pages
 * wait in a scratch file laid out as raw (store.c) and are copied here
 * with copy_file_range (in-kernel; read/write where it is refused), as
 * dumpcore.c does.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "export.h"

#define LIME_MAGIC 0x4C694D45u

static int copy_plain(struct ex_state *s, uint64_t from, uint64_t to,
                      uint64_t len)
{
    size_t cap = EX_BUF_PAGES * EX_PAGE;
    while (len) {
        size_t n = len < cap ? (size_t)len : cap;
        ssize_t r = pread(s->store, s->buf, n, (off_t)from);
        if (r != (ssize_t)n)
            return ex_fail(s, XLSR_ERR_IO, "LiME staging read at %llu: %s",
                           (unsigned long long)from,
                           r < 0 ? strerror(errno) : "short read");
        int rc = ex_pwrite(s, s->out.fd, s->buf, n, to, "LiME range");
        if (rc)
            return rc;
        from += n;
        to += n;
        len -= n;
    }
    return XLSR_OK;
}

int ex_copy_range(struct ex_state *s, uint64_t from, uint64_t to, uint64_t len)
{
    off_t in = (off_t)from, out = (off_t)to;
    while (len) {
        ssize_t r = copy_file_range(s->store, &in, s->out.fd, &out,
                                    len > (1u << 30) ? (1u << 30) : len, 0);
        if (r > 0) {
            len -= (uint64_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 || errno == EXDEV || errno == EINVAL ||
            errno == ENOSYS || errno == EOPNOTSUPP)
            return copy_plain(s, (uint64_t)in, (uint64_t)out, len);
        return ex_fail(s, XLSR_ERR_IO, "LiME copy: %s", strerror(errno));
    }
    return XLSR_OK;
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
        if (!rc)
            rc = ex_copy_range(s, s->base + start, at + sizeof(h), len);
        if (rc)
            return rc;
        at += sizeof(h) + len;
    }
    return XLSR_OK;
}
