/*
 * reader.c - exact reads from any fd, with the stream offset of every byte.
 *
 * Two modes.  Exact mode never reads a byte it was not asked for, so the
 * fd can be handed to another reader (libxenguest reads the inline libxc
 * stream itself) and given back at a record boundary.  Buffered mode reads
 * ahead in large chunks: used where xlsr consumes the whole stream itself
 * (verify, dump, dry runs), where syscall count decides throughput.
 * Short reads and EINTR are normal on pipes and sockets and are retried.
 *
 * A non-blocking fd (libvirt hands those to libxl) is made blocking for
 * the whole run and given back as it came: libxl does the same around a
 * restore (libxl_create.c, libxl__fd_flags_modify_save on the restore fd,
 * libxl__fd_flags_restore when the domain is built).  The flag belongs to
 * the open file description, so libxenguest's reads (same description,
 * in-process or in the helper) block too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

int xlsr__reader_init(struct xlsr_reader *r, int fd, bool exact)
{
    memset(r, 0, sizeof(*r));
    r->fd = fd;
    r->exact = exact;
    r->offset_known = true;
    r->saved_flags = -1;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) {
        if (fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
            return XLSR_ERR_IO;
        r->saved_flags = fl;
    }
    off_t pos = lseek(fd, 0, SEEK_CUR);
    r->base = pos > 0 ? (uint64_t)pos : 0;
    struct stat fst;
    r->seek_skip = pos >= 0 && fstat(fd, &fst) == 0 && S_ISREG(fst.st_mode);
    r->fsize = r->seek_skip ? (uint64_t)fst.st_size : 0;
    if (!exact) {
        /* A larger pipe means fewer wake-ups between writer and us: a
         * best effort (the limit is /proc/sys/fs/pipe-max-size). */
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
            (void)fcntl(fd, F_SETPIPE_SZ, XLSR_PIPE_SIZE);
        /* Page-aligned: the kernel copies into an unaligned buffer several
         * times slower (measured: 0.62 s vs 0.11 s per GiB). */
        r->buf = aligned_alloc(4096, XLSR_READ_BUF);
        if (!r->buf)
            return XLSR_ERR_NOMEM;
        /* A file's headers are a few KiB and verify seeks from there: the
         * first fills ramp up as after a seek (fill()), instead of
         * copying (and faulting in) a whole buffer of page data. */
        if (r->seek_skip)
            r->ramp = XLSR_READ_BUF / 8;
    }
    return XLSR_OK;
}

void xlsr__reader_done(struct xlsr_reader *r)
{
    if (r->saved_flags >= 0)
        (void)fcntl(r->fd, F_SETFL, r->saved_flags);
    r->saved_flags = -1;
}

void xlsr__reader_free(struct xlsr_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

size_t xlsr__buffered(const struct xlsr_reader *r)
{
    return r->len - r->pos + (r->pblen - r->pbpos);
}

/* One read(2), retried on EINTR.  0 at EOF. */
static ssize_t read_some(int fd, void *dst, size_t len)
{
    ssize_t n;
    do
        n = read(fd, dst, len);
    while (n < 0 && errno == EINTR);
    return n;
}

/*
 * Read-ahead after a seek.  Two costs pull apart: with the file cached,
 * every byte read is a byte copied, so a read should fetch what is asked
 * (in whole pages); with it not cached, every read is a disk request, so
 * fewer and larger ones win.  So a fill after a seek first asks the page
 * cache alone (preadv2 RWF_NOWAIT) for what is wanted: a page table
 * (4 KiB), a record header with its pfn array (8 KiB + 16: SEEK_FIRST
 * right after a seek), up to SEEK_FILL, for SEEK_SMALL_FILLS fills, then
 * doubling up to the whole buffer (a long run of page tables).  What the
 * cache does not hold is read as before: SEEK_FILL right after the seek,
 * a whole buffer after that.  Measured on the real 128 MiB PV image:
 * 1.4 MB read instead of 2.3 MB when warm; as many disk requests as
 * before when cold.
 */
#define SEEK_FILL (16 * 1024)
#define SEEK_SMALL_FILLS 16
#define PROBE_EVERY 64
_Static_assert(XLSR_READ_BUF % SEEK_FILL == 0, "the ramp ends on the buffer");
_Static_assert(XLSR_READ_BUF / 8 == SEEK_FILL, "xlsr__reader_init's ramp");
#define SEEK_MIN 4096
#define SEEK_FIRST (12 * 1024)

/* What the page cache holds of the next len bytes (a short count is
 * normal), or -1: nothing cached, EOF, or no RWF_NOWAIT here. */
static ssize_t read_cached(int fd, void *dst, size_t len)
{
#ifdef RWF_NOWAIT
    struct iovec v = { dst, len };
    ssize_t n;
    do
        n = preadv2(fd, &v, 1, -1, RWF_NOWAIT);   /* -1: the file offset */
    while (n < 0 && errno == EINTR);
    return n > 0 ? n : -1;
#else
    (void)fd, (void)dst, (void)len;
    return -1;
#endif
}

static int fill(struct xlsr_reader *r, size_t want)
{
    size_t small = 0;
    if (r->small_fills) {
        r->small_fills--;
        small = want < SEEK_FILL ? (want + 4095) / 4096 * 4096 : SEEK_FILL;
        /* Right after a seek, what comes is nearly always a record
         * header: a PAGE_DATA one and its pfn array (16 + 8 KiB) in one
         * read, wherever in a page it starts, not two. */
        if (r->fresh_seek && small < SEEK_FIRST)
            small = SEEK_FIRST;
        if (small == 0)
            small = 4096;
    } else if (r->ramp) {
        small = r->ramp;
        r->ramp = r->ramp * 2 >= XLSR_READ_BUF ? 0 : r->ramp * 2;
    }
    /* A miss has a cost: the kernel starts reading the small range, and
     * the larger read then waits for it and asks for the rest, two disk
     * requests for one.  So after a miss the cache is asked again only
     * every PROBE_EVERY fills (a file is mostly all cached or not). */
    ssize_t n = -1;
    if (small && (!r->uncached || ++r->since_probe % PROBE_EVERY == 0)) {
        n = read_cached(r->fd, r->buf, small);
        r->uncached = n < 0;
    }
    if (n < 0)
        n = read_some(r->fd, r->buf, r->fresh_seek ? SEEK_FILL
                                                   : XLSR_READ_BUF);
    r->fresh_seek = false;
    if (n < 0)
        return XLSR_ERR_IO;
    r->pos = 0;
    r->len = (size_t)n;
    return n ? XLSR_OK : XLSR_ERR_EOF;
}

/* A read that stopped short: what came still counts for the offset. */
static int stopped(struct xlsr_reader *r, uint64_t done, int rc)
{
    r->got = done;
    r->offset += done;
    return rc;
}

/* Exact mode: hands out peeked bytes first; returns how many. */
static size_t from_peeked(struct xlsr_reader *r, uint8_t *dst, uint64_t len)
{
    size_t n = r->pblen - r->pbpos;
    if (n > len)
        n = (size_t)len;
    if (dst)
        memcpy(dst, r->pb + r->pbpos, n);
    r->pbpos += n;
    if (r->pbpos == r->pblen)
        r->pbpos = r->pblen = 0;
    return n;
}

/*
 * Buffered mode peeks inside the read-ahead (moving what is left to its
 * front first); exact mode reads exactly the missing bytes into pb, which
 * the next reads hand out before touching the fd again.
 */
int xlsr__peek(struct xlsr_reader *r, size_t n, const uint8_t **p)
{
    uint8_t *b = r->buf ? r->buf : r->pb;
    size_t *pos = r->buf ? &r->pos : &r->pbpos;
    size_t *len = r->buf ? &r->len : &r->pblen;
    size_t cap = r->buf ? XLSR_READ_BUF : XLSR_PEEK_MAX;

    r->got = 0;
    if (n > XLSR_PEEK_MAX)
        return XLSR_ERR_IO;
    if (*len - *pos < n && *pos) {
        memmove(b, b + *pos, *len - *pos);
        *len -= *pos;
        *pos = 0;
    }
    while (*len - *pos < n) {
        size_t want = r->buf ? cap - *len : n - *len;
        /* Detection peeks at the first bytes of a file that verify then
         * mostly seeks over: fill as far as the ramp (xlsr__reader_init),
         * not a whole buffer (32 page faults and 112 KiB copied more). */
        size_t upto = r->ramp > n ? r->ramp : n;
        if (r->buf && r->ramp && *len < upto && upto - *len < want)
            want = upto - *len;
        ssize_t got = read_some(r->fd, b + *len, want);
        if (got <= 0) {
            r->got = *len - *pos;
            return got < 0 ? XLSR_ERR_IO : XLSR_ERR_EOF;
        }
        *len += (size_t)got;
    }
    *p = b + *pos;
    return XLSR_OK;
}

int xlsr__read(struct xlsr_reader *r, void *dst, size_t len)
{
    uint8_t *p = dst;
    size_t done = 0;

    r->got = 0;
    if (r->pblen)
        done = from_peeked(r, p, len);
    while (done < len) {
        size_t want = len - done;
        if (r->buf && r->pos < r->len) {
            size_t n = r->len - r->pos < want ? r->len - r->pos : want;
            memcpy(p + done, r->buf + r->pos, n);
            r->pos += n;
            done += n;
            continue;
        }
        if (r->buf && want < XLSR_READ_BUF) {
            int rc = fill(r, want);
            if (rc == XLSR_OK)
                continue;
            return stopped(r, done, rc);
        }
        /* Exact mode, or a read larger than the buffer: straight in. */
        ssize_t n = read_some(r->fd, p + done, want);
        if (n <= 0)
            return stopped(r, done, n < 0 ? XLSR_ERR_IO : XLSR_ERR_EOF);
        done += (size_t)n;
    }
    r->offset += len;
    return XLSR_OK;
}

/*
 * A skip on a regular file moves the file offset instead of reading: verify
 * of a saved image then reads its headers and the pages it inspects, not
 * gigabytes of page contents.  lseek() past the end succeeds, so the file
 * size decides where a skip stops short (the same EOF a read would meet;
 * a file still growing is sized again on every skip).
 */
static int seek_over(struct xlsr_reader *r, uint64_t want, uint64_t *done)
{
    struct stat st;

    /* One lseek when the target is inside the file as last sized (a file
     * that shrinks under us is then found short by the next read). */
    if (want <= r->fsize) {
        off_t to = lseek(r->fd, (off_t)want, SEEK_CUR);
        if (to < 0)
            return XLSR_ERR_IO;
        if ((uint64_t)to <= r->fsize) {
            *done += want;
            goto seeked;
        }
        if (lseek(r->fd, -(off_t)want, SEEK_CUR) < 0)
            return XLSR_ERR_IO;
    }
    off_t cur = lseek(r->fd, 0, SEEK_CUR);
    if (cur < 0 || fstat(r->fd, &st) != 0)
        return XLSR_ERR_IO;
    uint64_t left = st.st_size > cur ? (uint64_t)(st.st_size - cur) : 0;
    uint64_t n = want < left ? want : left;
    if (n && lseek(r->fd, (off_t)n, SEEK_CUR) < 0)
        return XLSR_ERR_IO;
    r->fsize = (uint64_t)st.st_size;
    *done += n;
    if (n != want)
        return XLSR_ERR_EOF;
seeked:
    /* The kernel's sequential read-ahead would fetch what we skip. */
    if (!r->seeked_once) {
        (void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_RANDOM);
        r->seeked_once = true;
    }
    r->small_fills = SEEK_SMALL_FILLS;
    r->ramp = SEEK_FILL;
    r->fresh_seek = true;
    return XLSR_OK;
}

int xlsr__skip(struct xlsr_reader *r, uint64_t len)
{
    uint8_t scratch[4096];
    uint64_t done = 0;

    r->got = 0;
    if (r->pblen)
        done = from_peeked(r, NULL, len);
    while (done < len) {
        /* What the read-ahead holds is used first; the rest is seeked
         * over when that saves reading: more than a page from the page
         * cache (reading through up to a whole buffer copied 3 MiB to
         * pass 183 page tables of the real 128 MiB PV image); more than
         * a buffer when the cache did not hold the last fill (one disk
         * request through a short gap beats two: measured 25% faster
         * cold). */
        if (r->seek_skip && (!r->buf || r->pos == r->len) &&
            len - done > (!r->buf ? sizeof(scratch)
                          : r->uncached ? XLSR_READ_BUF : SEEK_MIN)) {
            int rc = seek_over(r, len - done, &done);
            if (rc)
                return stopped(r, done, rc);
            break;
        }
        uint64_t want = len - done;
        if (r->buf) {
            if (r->pos == r->len) {
                int rc = fill(r, 0);
                if (rc)
                    return stopped(r, done, rc);
            }
            size_t n = r->len - r->pos;
            if (n > want)
                n = (size_t)want;
            r->pos += n;
            done += n;
            continue;
        }
        ssize_t n = read_some(r->fd, scratch,
                              want < sizeof(scratch) ? want : sizeof(scratch));
        if (n <= 0)
            return stopped(r, done, n < 0 ? XLSR_ERR_IO : XLSR_ERR_EOF);
        done += (uint64_t)n;
    }
    r->offset += len;
    return XLSR_OK;
}

int xlsr__drain(struct xlsr_reader *r, uint64_t *count)
{
    int rc = xlsr__skip(r, UINT64_MAX);
    *count = r->got;
    return rc == XLSR_ERR_EOF ? XLSR_OK : rc;
}
