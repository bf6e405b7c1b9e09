/*
 * shrink-on-mmap.c - LD_PRELOADed into `xlsr export` by t-export-faults.sh:
 * the input file shrinks between the export's first read of it (pass 1)
 * and its copy of the pages (a read-only shared mapping of the input:
 * plugins/export/store.c copy_mapped).  At the first such mmap of the
 * file named by SHRINK_FILE, the file is cut to SHRINK_TO bytes, then the
 * mapping is made: the pages past the new end are gone, as when another
 * process truncates an image being exported.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    static void *(*real)(void *, size_t, int, int, int, off_t);
    static int done;
    const char *file = getenv("SHRINK_FILE");
    const char *to = getenv("SHRINK_TO");
    struct stat a, b;

    if (!real)
        real = (void *(*)(void *, size_t, int, int, int, off_t))
               dlsym(RTLD_NEXT, "mmap");
    if (!done && file && to && fd >= 0 && prot == PROT_READ &&
        (flags & MAP_SHARED) && !fstat(fd, &a) && !stat(file, &b) &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
        done = 1;
        if (truncate(file, (off_t)strtoll(to, NULL, 0))) {
            perror("shrink-on-mmap: truncate");
            _exit(99);
        }
        fprintf(stderr, "shrink-on-mmap: %s cut to %s bytes\n", file, to);
    }
    return real(addr, len, prot, flags, fd, off);
}
