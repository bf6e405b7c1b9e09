/*
 * shrink-on-read.c - LD_PRELOADed into `xlsr export` by t-export.sh: the
 * input file shrinks between the export's first read of it (pass 1:
 * record headers and pfn arrays, small reads) and its copy of the pages
 * (pass 2: reads of whole runs of pages, plugins/export/store.c
 * copy_plain).  At the first read of SHRINK_MIN bytes or more (default
 * 32 KiB) from the file named by SHRINK_FILE, the file is cut to
 * SHRINK_TO bytes, then the read is made: the pages past the new end are
 * gone, as when another process truncates an image being exported.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);

static void maybe_shrink(int fd, size_t n)
{
    static int done;
    const char *file = getenv("SHRINK_FILE");
    const char *to = getenv("SHRINK_TO");
    const char *min = getenv("SHRINK_MIN");
    struct stat a, b;

    if (done || !file || !to || n < (min ? strtoull(min, NULL, 0) : 32768) ||
        fstat(fd, &a) || stat(file, &b) || a.st_dev != b.st_dev ||
        a.st_ino != b.st_ino)
        return;
    done = 1;
    if (truncate(file, (off_t)strtoll(to, NULL, 0))) {
        perror("shrink-on-read: truncate");
        _exit(99);
    }
    fprintf(stderr, "shrink-on-read: %s cut to %s bytes\n", file, to);
}

/* Both names: glibc's pread and pread64 are the same call on 64-bit. */
static ssize_t shrink_then_read(const char *name, int fd, void *buf,
                                size_t n, off_t off)
{
    pread_fn real = (pread_fn)dlsym(RTLD_NEXT, name);
    maybe_shrink(fd, n);
    return real(fd, buf, n, off);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    return shrink_then_read("pread", fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
    return shrink_then_read("pread64", fd, buf, n, off);
}
