/*
 * atomic.c - atomic replacement of one file (atomic.h).
 *
 * Why each step: the temporary file is created with O_EXCL|O_NOFOLLOW
 * next to the target, so we never write through something planted there
 * and the final rename() stays within one file system (where it is
 * atomic); fchmod() sets the configured mode whatever the umask; fsync()
 * before rename() means the new name never points at data not yet on
 * disk; the directory fsync() makes the rename itself durable.  A target
 * that exists but is not a regular file (a symlink, a directory) is
 * refused rather than replaced: something unexpected is there.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"

static int check_target(int dfd, const char *dir, const char *name,
                        char *err, size_t errlen)
{
    struct stat st;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot stat %s/%s: %s", dir, name,
                 strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s/%s exists and is not a regular file "
                 "(%s): refused", dir, name, S_ISLNK(st.st_mode)
                 ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory"
                 : "a special file");
        return -1;
    }
    return 0;
}

/* Creates dir/.name.tmp-N; the name goes to tmp (a file name in dir). */
static int open_tmp(int dfd, const char *dir, const char *name, char *tmp,
                    size_t tmplen, char *err, size_t errlen)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    /* O_EXCL makes any name safe; these only make clashes unlikely. */
    for (unsigned tries = 0; tries < 64; tries++) {
        snprintf(tmp, tmplen, ".%s.tmp-%ld-%ld-%u", name, (long)getpid(),
                 (long)ts.tv_nsec, tries);
        int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                        O_CLOEXEC, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s/%s: %s", dir, tmp,
                     strerror(errno));
            return -1;
        }
    }
    snprintf(err, errlen, "no free temporary name in %s", dir);
    return -1;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
    size_t off = 0;

    while (off < len) {
        ssize_t r = write(fd, buf + off, len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            return -1;
        }
        off += (size_t)r;
    }
    return 0;
}

/* Mode, content, fsync, close: the temporary file is complete or -1. */
static int fill(int fd, const char *dir, const char *tmp, mode_t mode,
                const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    const char *what = NULL;

    if (fchmod(fd, mode) < 0)
        what = "chmod";
    else if (write_all(fd, buf, len) < 0)
        what = "write";
    else if (fsync(fd) < 0)
        what = "fsync";
    if (what)
        snprintf(err, errlen, "%s %s/%s: %s", what, dir, tmp,
                 strerror(errno));
    if (close(fd) < 0 && !what) {
        snprintf(err, errlen, "close %s/%s: %s", dir, tmp, strerror(errno));
        what = "close";
    }
    return what ? -1 : 0;
}

int atomic_write(const char *dir, const char *name, mode_t mode,
                 const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    char tmp[NAME_MAX + 1];
    int dfd, fd, rc = -1;

    if (strlen(name) + 32 > NAME_MAX) {
        snprintf(err, errlen, "file name '%s' is too long", name);
        return -1;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(err, errlen, "cannot open directory %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    if (check_target(dfd, dir, name, err, errlen) < 0)
        goto out;
    fd = open_tmp(dfd, dir, name, tmp, sizeof(tmp), err, errlen);
    if (fd < 0)
        goto out;
    if (fill(fd, dir, tmp, mode, buf, len, err, errlen) < 0) {
        unlinkat(dfd, tmp, 0);
        goto out;
    }
    if (renameat(dfd, tmp, dfd, name) < 0) {
        snprintf(err, errlen, "rename %s/%s to %s: %s", dir, tmp, name,
                 strerror(errno));
        unlinkat(dfd, tmp, 0);
        goto out;
    }
    if (fsync(dfd) < 0) {
        snprintf(err, errlen, "fsync of directory %s: %s (the file is in "
                 "place, its name may not survive a crash)", dir,
                 strerror(errno));
        goto out;
    }
    rc = 0;
out:
    close(dfd);
    return rc;
}
