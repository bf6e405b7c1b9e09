/*
 * fdio.h - whole-buffer read and write on a file descriptor for the test
 * programs (the stand-in libxenguest, the embedding toolstack): short
 * counts and EINTR are normal on pipes and are retried.  Header-only, so
 * that a stand-in built by a test from one .c file needs no extra object.
 *
 * The shipped libxc plugin keeps its own pair (plugins/libxc/helper.c):
 * shipped code does not include test sources.  The contracts are the same.
 */
#ifndef XLSR_TESTS_FDIO_H
#define XLSR_TESTS_FDIO_H

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

#endif
