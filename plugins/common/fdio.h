/*
 * fdio.h - whole-buffer read and write on a file descriptor: short counts
 * and EINTR are normal on pipes and are retried.  Shared by the libxc
 * plugin (its restore helper, helper.c, and verify's page-table reads,
 * ptread.c) and the test programs (the stand-in libxenguest, the
 * embedding toolstack, the dump-core comparer).  Header-only, so
 * that a program built from one .c file needs no extra object.
 */
#ifndef XLSR_PLUGINS_COMMON_FDIO_H
#define XLSR_PLUGINS_COMMON_FDIO_H

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

/* 0 once all LEN bytes are written, -1 on an error or no progress. */
static inline int fdio_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* 0 once all LEN bytes are read, 1 at end of file first, -1 on an error. */
static inline int fdio_read_exact(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? 1 : -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* LEN bytes at file offset OFF (the fd's position untouched): the count
 * read, fewer than LEN only at end of file, or -1 on an error. */
static inline ssize_t fdio_pread_all(int fd, void *buf, size_t len,
                                     off_t off)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, p + done, len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

#endif
