/*
 * store.c - pages go straight to their final place: file offset
 * base + pfn * 4096 of the store (the output itself for raw and ELF, a
 * scratch file for LiME).  A repeated pfn (live migration) simply
 * overwrites the older copy: the last one wins, as in a restore.
 *
 * A planned stream (plan.c: a regular-file input without checkpoints,
 * read once before) knows every page's final offset before its data
 * comes, so the store is the output for every format and pages are
 * copied there from the input file by offset (ex_store_copy): by the
 * kernel where a page keeps its offset in the page, else read into a
 * buffer and written (copy_fd says why).
 *
 * Checkpointed streams: libxenguest applies the records of checkpoint
 * N > 1 only once the libxl side of that checkpoint completed, and drops
 * them when the stream ends first (xg_sr_restore.c: handle_checkpoint()
 * calls the checkpoint callback, then process_record() on what it
 * buffered; restore() never processes the buffer on END or failover).
 * We do the same without holding pages in memory: after the first
 * complete checkpoint, pages are appended to a scratch journal
 * ([u32 n][u32 0][n x u64 pfn][n pages] per batch) and copied into the
 * store when the checkpoint completes; an incomplete one's journal is
 * dropped, so its pages never reach the output.  Pages before the first
 * checkpoint go to the store directly: a stream that breaks before it
 * completes has no consistent memory at all, and is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "export.h"

int ex_store_mark(struct ex_state *s, const uint64_t *pfns, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (ex_map_set(&s->map, pfns[i]))
            return ex_fail(s, XLSR_ERR_NOMEM, "out of memory for the page "
                           "map at pfn %#llx", (unsigned long long)pfns[i]);
    return XLSR_OK;
}

/* The output is fsynced before it is named (out.c); starting the
 * write-out of each range as soon as it is written lets the disk work
 * while the rest is copied, instead of all of it waiting for that fsync
 * (measured on ext4: 1.05-1.2 s -> 0.77-0.89 s per GiB).  Not for the
 * scratch files, which are never synced. */
void ex_store_kick(struct ex_state *s, int fd, uint64_t off, uint64_t len)
{
    /* Whole pages only: a page under write-out that the next write
     * fills (LiME's runs are 32 bytes off the page grid) makes that write
     * wait for the disk.  The partial page goes with the next range, or
     * the final fsync. */
    uint64_t from = off & ~(uint64_t)(EX_PAGE - 1);
    uint64_t to = (off + len) & ~(uint64_t)(EX_PAGE - 1);
    if (fd == s->out.fd && s->sync && to > from)
        (void)sync_file_range(fd, (off_t)from, (off_t)(to - from),
                              SYNC_FILE_RANGE_WRITE);
}

/* The end of the group of consecutive pfns starting at i: their pages
 * are consecutive in every layout (one run, ascending ranks). */
static uint32_t group(struct ex_state *s, const uint64_t *pfns, uint32_t i,
                      uint32_t n, int *rc)
{
    uint32_t j = i + 1;
    while (j < n && pfns[j] == pfns[j - 1] + 1)
        j++;
    *rc = XLSR_OK;
    /* Pass 1 read the same bytes; only a file changed under us differs. */
    for (uint32_t k = i; s->planned && k < j; k++)
        if (!ex_map_test(&s->plan, pfns[k]))
            *rc = ex_fail(s, XLSR_ERR_IO, "pfn %#llx has a page now but "
                          "had none when the input was first read: the "
                          "file changed while it was exported",
                          (unsigned long long)pfns[k]);
    return j;
}

/* Consecutive pfns with consecutive data become one write. */
static int place(struct ex_state *s, const uint64_t *pfns,
                 const uint8_t *data, uint32_t n)
{
    for (uint32_t i = 0, j; i < n; i = j) {
        int rc;
        j = group(s, pfns, i, n, &rc);
        const uint8_t *d = data + (size_t)i * EX_PAGE;
        if (rc || (s->streaming &&
                   (rc = ex_stream_pages(s, pfns[i], j - i, d))))
            return rc;
        if (!s->streaming) {        /* staged (or the stream just ended) */
            uint64_t to = ex_plan_dest(s, pfns[i]);
            size_t len = (size_t)(j - i) * EX_PAGE;
            if ((rc = ex_pwrite(s, s->store, d, len, to, "pages")))
                return rc;
            ex_store_kick(s, s->store, to, len);
        }
        /* After the write: a stream that stops ascending moves the pages
         * the map says it wrote, not this group (stream.c). */
        if ((rc = ex_store_mark(s, pfns + i, j - i)))
            return rc;
    }
    return XLSR_OK;
}

int ex_store_copy(struct ex_state *s, const uint64_t *pfns, uint32_t n,
                  uint64_t from)
{
    s->page_copies += n;
    for (uint32_t i = 0, j; i < n; i = j) {
        int rc;
        j = group(s, pfns, i, n, &rc);
        if (rc || (rc = ex_copy_fd(s, s->in_fd, from + (uint64_t)i * EX_PAGE,
                                   s->store, ex_plan_dest(s, pfns[i]),
                                   (uint64_t)(j - i) * EX_PAGE, "pages")))
            return rc;
    }
    return ex_store_mark(s, pfns, n);
}

/* Through copybuf, one piece at a time: the output's pieces are cut on
 * its own grid (ex_piece), whatever the input's offset.  A short read of
 * the input file in pass 2 means it shrank since pass 1 read it. */
static int copy_plain(struct ex_state *s, int in, uint64_t from, int out,
                      uint64_t to, uint64_t len, const char *what)
{
    while (len) {
        size_t n = ex_piece(to, len);
        ssize_t r = pread(in, s->copybuf, n, (off_t)from);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != (ssize_t)n)
            return ex_fail(s, XLSR_ERR_IO, "%s: reading %zu bytes at %llu: "
                           "%s", what, n, (unsigned long long)from,
                           r < 0 ? strerror(errno) : in == s->in_fd ?
                           "short read: the input file is shorter than "
                           "it was when first read" : "short read");
        int rc = ex_pwrite(s, out, s->copybuf, n, to, what);
        if (rc)
            return rc;
        from += n;
        to += n;
        len -= n;
    }
    return XLSR_OK;
}

/* copy_file_range is what cp does (coreutils 9): no copy through user
 * space, and extents shared where the filesystem can (reflinks).
 * Refused across filesystems on older kernels, or by some filesystems:
 * then plain reads and writes.  A source that ends early copies 0
 * bytes; copy_plain then names the short read.
 * Not when source and destination sit at different offsets in their
 * pages, as page data does in a stream (after a 16-byte header and the
 * pfn array): the kernel's copy then splits every page in two.  Measured
 * side by side on ext4, 1 GiB read 1048 bytes off the page grid and
 * written 32 off it (LiME's), 14 rounds (2026-12-04), fastest / median:
 * reads into copybuf and writes out of it (copy_plain) 0.251 / 0.265 s;
 * the kernel's copy 0.410 / 0.456 s; writes straight from a read-only
 * mapping of the input, 2 MiB mapped at a time (what this was until
 * then) 0.435 / 0.549 s (mapping and unmapping every page apparently
 * costs more than a second copy through a buffer that stays in the CPU
 * cache); cp of the same file 0.280 / 0.590 s. */
static int copy_fd(struct ex_state *s, int in, uint64_t from, int out,
                   uint64_t to, uint64_t len, const char *what)
{
    if ((from - to) % EX_PAGE)
        return copy_plain(s, in, from, out, to, len, what);
    off_t ip = (off_t)from, op = (off_t)to;
    while (len) {
        ssize_t r = copy_file_range(in, &ip, out, &op,
                                    len > (1u << 30) ? (1u << 30) : len, 0);
        if (r > 0) {
            len -= (uint64_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 || errno == EXDEV || errno == EINVAL ||
            errno == ENOSYS || errno == EOPNOTSUPP)
            return copy_plain(s, in, (uint64_t)ip, out, (uint64_t)op, len,
                              what);
        return ex_fail(s, XLSR_ERR_IO, "%s: copy at output offset %llu: %s",
                       what, (unsigned long long)op, strerror(errno));
    }
    return XLSR_OK;
}

static int journal_append(struct ex_state *s, const uint64_t *pfns,
                          const uint8_t *data, uint32_t n)
{
    if (s->journal < 0) {
        char why[300];
        s->journal = ex_out_scratch(&s->out, why, sizeof(why));
        if (s->journal < 0)
            return ex_fail(s, XLSR_ERR_IO, "checkpoint journal: %s", why);
    }
    uint32_t hdr[2] = { n, 0 };
    struct iovec iov[3] = {
        { hdr, sizeof(hdr) },
        { (void *)pfns, (size_t)n * 8 },
        { (void *)data, (size_t)n * EX_PAGE },
    };
    size_t want = iov[0].iov_len + iov[1].iov_len + iov[2].iov_len;
    ssize_t r = pwritev(s->journal, iov, 3, (off_t)s->journal_bytes);
    if (r != (ssize_t)want)
        return ex_fail(s, XLSR_ERR_IO, "checkpoint journal: %s",
                       r < 0 ? strerror(errno) : "short write");
    s->journal_bytes += want;
    return XLSR_OK;
}

int ex_store_pages(struct ex_state *s, const uint64_t *pfns,
                   const uint8_t *data, uint32_t n)
{
    s->page_copies += n;
    if (!s->path)               /* walk only: the map is the report */
        return ex_store_mark(s, pfns, n);
    if (s->in_journal)
        return journal_append(s, pfns, data, n);
    return place(s, pfns, data, n);
}

static int rd_exact(struct ex_state *s, void *buf, size_t len, uint64_t off)
{
    ssize_t r = pread(s->journal, buf, len, (off_t)off);
    if (r == (ssize_t)len)
        return XLSR_OK;
    return ex_fail(s, XLSR_ERR_IO, "checkpoint journal read at %llu: %s",
                   (unsigned long long)off,
                   r < 0 ? strerror(errno) : "short read");
}

int ex_store_commit(struct ex_state *s)
{
    uint64_t off = 0;
    int rc;

    ex_cpu_commit(s);
    while (off < s->journal_bytes) {
        uint32_t hdr[2];
        if ((rc = rd_exact(s, hdr, sizeof(hdr), off)))
            return rc;
        uint32_t n = hdr[0];
        if (!n || n > EX_BUF_PAGES)
            return ex_fail(s, XLSR_ERR_IO, "checkpoint journal corrupt at "
                           "%llu", (unsigned long long)off);
        uint64_t pfns[EX_BUF_PAGES];
        off += sizeof(hdr);
        if ((rc = rd_exact(s, pfns, (size_t)n * 8, off)))
            return rc;
        off += (uint64_t)n * 8;
        if ((rc = rd_exact(s, s->buf, (size_t)n * EX_PAGE, off)))
            return rc;
        off += (uint64_t)n * EX_PAGE;
        if ((rc = place(s, pfns, s->buf, n)))
            return rc;
    }
    ex_store_drop(s);
    return XLSR_OK;
}

void ex_store_drop(struct ex_state *s)
{
    /* Later batches are written from offset 0 again, so what a failed
     * truncate leaves is never read back. */
    if (s->journal >= 0 && s->journal_bytes && ftruncate(s->journal, 0))
        s->host->log(s->h, XLSR_LOG_DEBUG, "journal truncate: %s",
                     strerror(errno));
    s->journal_bytes = 0;
    ex_cpu_drop(s);
}

int ex_copy_fd(struct ex_state *s, int in, uint64_t from, int out,
               uint64_t to, uint64_t len, const char *what)
{
    int rc = copy_fd(s, in, from, out, to, len, what);
    if (!rc)
        ex_store_kick(s, out, to, len);
    return rc;
}
