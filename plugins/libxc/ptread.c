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
 *  - the next records' headers (type, length and pfn array, and as much
 *    as the stream reader reads there) are announced too when the cache
 *    does not hold the next one: their offsets are predicted from this
 *    record's length (a save writes batches of equal size; a wrong guess
 *    only costs read-ahead);
 *  - with the cache cold, the tables are announced record by record and
 *    checked together before the first record that is not PAGE_DATA (or
 *    every PEND_MAX tables): the disk reads them all while verify walks
 *    the headers, instead of one wait per record.  Not past a checkpoint
 *    (see lx_pt_direct).  A stream with several faults may then name a
 *    later record's fault first; the verdict is the same.
 * Measured on the real 128 MiB PV image, cold (cat: 50-56 ms): 10.2 ms
 * before these last two, 7.7 ms with the reader's whole first read
 * announced, 5.1-5.6 ms with the tables checked together; on a faster
 * machine (cat: 30 ms) 3.73 ms -> 3.51 ms once a record whose first
 * table was cached had the rest announced too (lx_pt_direct).
 * Hints never change what is read or checked: the bytes come from pread,
 * and the stream reader then skips over the whole of the record's data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "libxc.h"

#define RUN_PAGES   16      /* tables per pread: a 64 KiB buffer */
#define AHEAD       64      /* record headers announced ahead */
#define PEND_MAX    32768   /* tables left to check at once: 512 KiB */
#define GAP_PAGES   32      /* announced as one range across such a gap */
/* What the stream reader reads from a record header it seeked to when
 * the cache does not hold it (core/src/reader.c SEEK_FILL): announcing
 * less leaves its tail to a disk request of its own, one per record. */
#define READER_FILL (16 * 1024)

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
    struct stat st;
    v->in_fd = fd;
    v->in_base = base;
    /* Only to stop announcing past the end; reads find a changed size. */
    v->in_size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
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
        if (at >= v->in_size)
            break;
        if (at < v->ahead_upto)
            continue;
        off_t n = 16 + 8 * (off_t)count;
        (void)posix_fadvise(v->in_fd, (off_t)at, n > READER_FILL ? n
                            : READER_FILL, POSIX_FADV_WILLNEED);
        v->ahead_upto = at + 1;
    }
}

/* Whether the page cache holds the first byte of table i. */
static bool table_cached(const struct lx_verify *v, uint64_t data, size_t i)
{
    uint8_t b;
    return cached(v->in_fd, &b, 1,
                  data + (uint64_t)v->pt[i].idx * 4096) == 1;
}

/* Tables i.. that share one pread: adjacent data pages, at most a run. */
static size_t run_end(const struct lx_ptpage *pt, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && j - i < RUN_PAGES && pt[j].idx == pt[j - 1].idx + 1)
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

/* Reads and checks tables pt[0..n) of the record at off, whose data
 * starts at file position data (whether to announce them was decided
 * before: here one pread each run, cached or not).  *done: the tables
 * checked.  LX_PT_STREAM when the file is shorter than the record says
 * (the stream then says where). */
static int check_tables(struct lx_verify *v, const struct lx_ptpage *pt,
                        size_t n, uint64_t off, uint64_t data, size_t *done)
{
    char why[300];
    for (size_t i = 0; i < n;) {
        size_t j = run_end(pt, n, i), len = (j - i) * 4096;
        uint64_t pos = data + (uint64_t)pt[i].idx * 4096;
        if (fdio_pread_all(v->in_fd, v->ptbuf, len, (off_t)pos) !=
            (ssize_t)len)
            return LX_PT_STREAM;
        for (size_t k = i; k < j; k++) {
            const char *r = lx_pv_table(v, pt[k].pfn, pt[k].type,
                                        v->ptbuf + (k - i) * 4096, why,
                                        sizeof(why));
            if (r)
                return lx_vfail(v, XLSR_ERR_STREAM, off,
                                "record PAGE_DATA (0x1)", "%s", r);
        }
        *done = j;
        i = j;
    }
    return XLSR_OK;
}

int lx_pt_flush(struct lx_verify *v)
{
    struct lx_ptpend *p = &v->pend;
    int rc = XLSR_OK;
    for (size_t i = 0; i < p->nrec && !rc; i++) {
        const struct lx_ptrec *r = &p->rec[i];
        size_t done = 0;
        rc = check_tables(v, p->pt + r->first, r->n, r->off, r->data, &done);
        if (rc == LX_PT_STREAM)     /* the stream was long enough, once */
            rc = lx_vfail(v, XLSR_ERR_IO, r->off, "record PAGE_DATA (0x1)",
                          "its page tables could not be read back: the "
                          "file shrank while it was verified");
    }
    p->n = p->nrec = 0;
    return rc;
}

/* This record's tables join those left to check: the disk reads them
 * all while verify walks on through the record headers (announced ahead,
 * so read by then), instead of one wait per record. */
static int defer_tables(struct lx_verify *v, uint64_t off, uint64_t data)
{
    struct lx_ptpend *p = &v->pend;
    int rc;
    if (p->n + v->npt > PEND_MAX && (rc = lx_pt_flush(v)))
        return rc;
    if (!lx_grow((void **)&p->pt, &p->cap, p->n + v->npt, sizeof(*p->pt),
                 64) ||
        !lx_grow((void **)&p->rec, &p->reccap, p->nrec + 1, sizeof(*p->rec),
                 16))
        return lx_vfail(v, XLSR_ERR_NOMEM, off, "record PAGE_DATA (0x1)",
                        "out of memory");
    memcpy(p->pt + p->n, v->pt, v->npt * sizeof(*p->pt));
    p->rec[p->nrec++] = (struct lx_ptrec){ off, data, p->n, v->npt };
    p->n += v->npt;
    return XLSR_OK;
}

int lx_pt_direct(struct lx_verify *v, uint64_t off, uint32_t len,
                 uint32_t count, size_t *checked)
{
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
    int rc;
    /* The first table and the last: the first may sit in what the stream
     * reader read with the header (SEEK_FILL) while the rest are on disk
     * (the real PV image: tables over 1.7 MiB after a cached first one,
     * then read one wait at a time, 0.8 ms of a 4 ms cold verify). */
    bool cold = !table_cached(v, data, 0) ||
                !table_cached(v, data, v->npt - 1);
    if (cold)
        announce_tables(v, 0, data);
    /* Once tables wait, the rest join them: a cached one (read ahead
     * with a neighbour) would otherwise wait for all of them. */
    if (cold || v->pend.n) {
        /* Checked later (before any record but PAGE_DATA, or PEND_MAX
         * tables on), and never past a checkpoint: a failure there belongs
         * to its checkpoint (verify.c defer()), so from then on they are
         * checked here. */
        if (!v->s->st.checkpoints) {
            if ((rc = defer_tables(v, off, data)))
                return rc;
            *checked = v->npt;
            return XLSR_OK;
        }
    }
    if ((rc = lx_pt_flush(v)))      /* the stream's order, when warm */
        return rc;
    return check_tables(v, v->pt, v->npt, off, data, checked);
}
