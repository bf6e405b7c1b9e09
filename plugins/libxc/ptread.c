/*
 * ptread.c - verify on a regular file: the PV page tables of a PAGE_DATA
 * read straight from the file at their offsets, and the disk told ahead
 * of time what verify will ask for next.
 *
 * Through the stream reader every page table is a seek and a read, and
 * with the page cache cold every read is one disk request that waits for
 * the one before (the real 128 MiB PV image: ~60 of them, one after the
 * other).  Here, with the fd and base from host->input_file:
 *  - adjacent tables are read by one pread(2) (preadv2 RWF_NOWAIT first:
 *    from the page cache alone, no disk request);
 *  - when the cache does not hold them, every table of the record is
 *    announced with POSIX_FADV_WILLNEED before the first is read, so the
 *    disk queue holds them all at once;
 *  - the next records' headers (type, length and pfn array) are announced
 *    too when the cache does not hold the next one: their offsets are
 *    predicted from this record's length (a save writes batches of equal
 *    size; a wrong guess only costs read-ahead).
 * Hints never change what is read or checked: the bytes come from pread,
 * and the stream reader then skips over the whole of the record's data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "libxc.h"

#define RUN_PAGES   16      /* tables per pread: a 64 KiB buffer */
#define AHEAD       8       /* record headers announced ahead */
#define GAP_PAGES   32      /* announced as one range across such a gap */

/* The bytes at pos when the page cache holds all of them, else -1. */
static ssize_t cached(int fd, void *buf, size_t n, uint64_t pos)
{
#ifdef RWF_NOWAIT
    struct iovec io = { buf, n };
    ssize_t got;
    do
        got = preadv2(fd, &io, 1, (off_t)pos, RWF_NOWAIT);
    while (got < 0 && errno == EINTR);
    return got;
#else
    (void)fd, (void)buf, (void)n, (void)pos;
    return -1;
#endif
}

int lx_pt_open(struct lx_verify *v)
{
    const struct xlsr_host *host = v->s->host;
    int fd;
    uint64_t base;

    v->in_fd = -1;
    if (!XLSR_HOST_HAS(host, input_file) ||
        host->input_file(v->s->h, &fd, &base) != XLSR_OK)
        return XLSR_OK;
    v->in_fd = fd;
    v->in_base = base;
    return XLSR_OK;
}

/* The next records' headers, when the next one is not cached. */
static void announce_next(struct lx_verify *v, uint64_t off, uint32_t len,
                          uint32_t count)
{
    uint64_t step = 8 + (uint64_t)len;
    uint64_t next = v->in_base + off + step;
    uint8_t b;

    if (next < v->ahead_upto)
        return;     /* announced, or found cached, for an earlier record */
    if (cached(v->in_fd, &b, 1, next) == 1) {
        /* A file is mostly all cached or not: probe again AHEAD on. */
        v->ahead_upto = next + (AHEAD - 1) * step + 1;
        return;
    }
    for (unsigned m = 0; m < AHEAD; m++) {
        uint64_t at = next + m * step;
        if (at < v->ahead_upto)
            continue;
        (void)posix_fadvise(v->in_fd, (off_t)at, 16 + 8 * (off_t)count,
                            POSIX_FADV_WILLNEED);
        v->ahead_upto = at + 1;
    }
}

/* Tables i.. that share one pread: adjacent data pages, at most a run. */
static size_t run_end(const struct lx_verify *v, size_t i)
{
    size_t j = i + 1;
    while (j < v->npt && j - i < RUN_PAGES &&
           v->pt[j].idx == v->pt[j - 1].idx + 1)
        j++;
    return j;
}

/* Tables i.. of the record whose data starts at file position data, in
 * ranges: one disk request through a short gap beats two. */
static void announce_tables(const struct lx_verify *v, size_t i,
                            uint64_t data)
{
    while (i < v->npt) {
        uint32_t first = v->pt[i].idx, last = first;
        while (++i < v->npt && v->pt[i].idx - last <= GAP_PAGES)
            last = v->pt[i].idx;
        (void)posix_fadvise(v->in_fd, (off_t)(data + (uint64_t)first * 4096),
                            (off_t)(last - first + 1) * 4096,
                            POSIX_FADV_WILLNEED);
    }
}

int lx_pt_direct(struct lx_verify *v, uint64_t off, uint32_t len,
                 uint32_t count, size_t *checked)
{
    const char *what = "record PAGE_DATA (0x1)";
    char why[300];

    *checked = 0;
    if (v->in_fd < 0)
        return LX_PT_STREAM;
    announce_next(v, off, len, count);
    if (!v->npt)
        return LX_PT_STREAM;
    if (!v->ptbuf && !(v->ptbuf = aligned_alloc(4096, RUN_PAGES * 4096)))
        return LX_PT_STREAM;
    /* The first data page: the stream reader stands there now. */
    uint64_t data = v->in_base + v->s->host->offset(v->s->h);
    bool announced = false;
    for (size_t i = 0; i < v->npt;) {
        size_t j = run_end(v, i), n = (j - i) * 4096;
        uint64_t pos = data + (uint64_t)v->pt[i].idx * 4096;
        if (!announced && cached(v->in_fd, v->ptbuf, n, pos) != (ssize_t)n) {
            announce_tables(v, i, data);
            announced = true;
        }
        if (announced &&
            fdio_pread_all(v->in_fd, v->ptbuf, n, (off_t)pos) != (ssize_t)n)
            return LX_PT_STREAM;    /* short file: the stream says where */
        for (size_t k = i; k < j; k++) {
            const char *r = lx_pv_table(v, v->pt[k].pfn, v->pt[k].type,
                                        v->ptbuf + (k - i) * 4096, why,
                                        sizeof(why));
            if (r)
                return lx_vfail(v, XLSR_ERR_STREAM, off, what, "%s", r);
        }
        *checked = j;
        i = j;
    }
    return XLSR_OK;
}
