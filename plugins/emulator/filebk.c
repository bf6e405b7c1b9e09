/*
 * filebk.c - atomic replacement of one file in one directory (filebk.h).
 *
 * Why each step: O_EXCL|O_NOFOLLOW on the temporary name means we never
 * write through a file or link someone planted; fsync before rename means
 * the new name never points at data that is not on disk; renameat() is
 * atomic, so readers see the old file or the new one, never a mix; the
 * directory fsync makes the rename itself durable.  sync_file_range()
 * starts writeback while we copy, so the final fsync has little left to
 * wait for (the copy and the disk overlap instead of adding up).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filebk.h"

#define CHUNK (8u << 20)

/* True if s (n bytes) is "", "." or "..". */
static bool bad_segment(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '.') ||
           (n == 2 && s[0] == '.' && s[1] == '.');
}

/* Checks an absolute path's segments; a trailing '/' is an empty one. */
static int check_segments(const char *what, const char *p, char *err,
                          size_t errlen)
{
    if (p[0] != '/') {
        snprintf(err, errlen, "%s '%s' is not an absolute path", what, p);
        return -1;
    }
    if (p[1] == '\0')
        return 0;               /* "/" itself */
    const char *seg = p + 1;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (bad_segment(seg, n)) {
            snprintf(err, errlen, "%s '%s' has an empty, '.' or '..' "
                     "segment", what, p);
            return -1;
        }
        if (!end)
            return 0;
        seg = end + 1;
    }
}

int filebk_check_dir(const char *dir, char *err, size_t errlen)
{
    return check_segments("dir", dir, err, errlen);
}

int filebk_check_path(const char *dir, const char *path, const char **name,
                      char *err, size_t errlen)
{
    if (check_segments("path", path, err, errlen) < 0)
        return -1;
    const char *slash = strrchr(path, '/');
    size_t dl = strlen(dir);
    size_t pl = (size_t)(slash - path);

    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    if (dl == 1)                /* dir is "/" */
        dl = 0;
    if (pl != dl || strncmp(path, dir, dl) != 0) {
        snprintf(err, errlen, "path '%s' is outside the configured "
                 "directory '%s' (files may only be written directly in "
                 "it)", path, dir);
        return -1;
    }
    if (strlen(slash + 1) + sizeof(FILEBK_TMP_TAG) + 6 > NAME_MAX) {
        snprintf(err, errlen, "file name in '%s' is too long", path);
        return -1;
    }
    *name = slash + 1;
    return 0;
}

/* Refuses anything but a regular file (or nothing) at dfd/name. */
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
    if (S_ISLNK(st.st_mode)) {
        snprintf(err, errlen, "target %s/%s is a symlink: refused", dir,
                 name);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "target %s/%s exists and is not a regular "
                 "file: refused", dir, name);
        return -1;
    }
    return 0;
}

/* Creates the temporary file; its name goes to tmp. */
static int open_tmp(int dfd, const char *dir, const char *name, char *tmp,
                    size_t tmplen, char *err, size_t errlen)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"
                                "pqrstuvwxyz0123456789";

    for (int tries = 0; tries < 32; tries++) {
        unsigned char rnd[6];
        char sfx[7];

        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
            snprintf(err, errlen, "getrandom: %s", strerror(errno));
            return -1;
        }
        for (int i = 0; i < 6; i++)
            sfx[i] = alnum[rnd[i] % (sizeof(alnum) - 1)];
        sfx[6] = '\0';
        snprintf(tmp, tmplen, "%s%s%s", name, FILEBK_TMP_TAG, sfx);
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
    snprintf(err, errlen, "cannot find a free temporary name in %s", dir);
    return -1;
}

/* Copies buf to fd, starting writeback behind the copy. */
static int write_all(int fd, const uint8_t *buf, size_t len,
                     const char *dir, const char *tmp, char *err,
                     size_t errlen)
{
    size_t off = 0;

    while (off < len) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        ssize_t r = write(fd, buf + off, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, errlen, "writing %s/%s: %s (after %zu of %zu "
                     "bytes)", dir, tmp, r < 0 ? strerror(errno) :
                     "no progress", off, len);
            return -1;
        }
        /* Best effort: only a hint, errors surface at fsync. */
        sync_file_range(fd, (off64_t)off, r, SYNC_FILE_RANGE_WRITE);
        off += (size_t)r;
    }
    return 0;
}

/* Writes and syncs the temporary file, then closes it. */
static int fill_tmp(int fd, const char *dir, const char *tmp,
                    const uint8_t *buf, size_t len, char *err,
                    size_t errlen)
{
    int rc = -1;

    /* The mode must not depend on the caller's umask. */
    if (fchmod(fd, 0600) < 0)
        snprintf(err, errlen, "chmod %s/%s: %s", dir, tmp, strerror(errno));
    else if (write_all(fd, buf, len, dir, tmp, err, errlen) < 0)
        ;
    else if (fsync(fd) < 0)
        snprintf(err, errlen, "fsync %s/%s: %s", dir, tmp, strerror(errno));
    else
        rc = 0;
    if (close(fd) < 0 && rc == 0) {
        snprintf(err, errlen, "close %s/%s: %s", dir, tmp, strerror(errno));
        rc = -1;
    }
    return rc;
}

int filebk_write(const char *dir, const char *name, const uint8_t *buf,
                 size_t len, char *err, size_t errlen)
{
    char tmp[NAME_MAX + 1];
    int dfd, fd, rc = -1;

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
    if (fill_tmp(fd, dir, tmp, buf, len, err, errlen) < 0) {
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
        /* The file is in place; only the rename's durability is unsure. */
        snprintf(err, errlen, "fsync of directory %s: %s", dir,
                 strerror(errno));
        goto out;
    }
    rc = 0;
out:
    close(dfd);
    return rc;
}
