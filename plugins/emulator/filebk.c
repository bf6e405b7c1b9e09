/*
 * filebk.c - atomic replacement of one file in one directory (filebk.h).
 *
 * Why each step: the directory is opened without following a symlink in
 * any component (openat2 RESOLVE_NO_SYMLINKS, else a walk with
 * O_NOFOLLOW), and refused if anyone but root or us can write in it, so
 * nobody else can redirect or race our names; the data goes to an
 * unnamed O_TMPFILE, so a writer killed mid-copy leaves nothing behind
 * (where the filesystem lacks O_TMPFILE: O_EXCL|O_NOFOLLOW on a random
 * temporary name, and the next write removes what a dead writer left);
 * fsync before it gets a name means the name never points at data that
 * is not on disk; renameat() is atomic, so readers see the old file or
 * the new one, never a mix; the directory fsync makes the rename itself
 * durable.  sync_file_range() starts writeback while we copy, so the
 * final fsync has little left to wait for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(SYS_openat2) && __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif

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

/* A fresh temporary name for name into tmp: name + TAG + 6 random
 * characters. */
static int tmp_name(const char *name, char *tmp, size_t tmplen, char *err,
                    size_t errlen)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"
                                "pqrstuvwxyz0123456789";
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
    return 0;
}

/* True if ent is one of our temporary names for name. */
static bool is_tmp_of(const char *ent, const char *name)
{
    size_t nl = strlen(name), tl = sizeof(FILEBK_TMP_TAG) - 1;
    return strncmp(ent, name, nl) == 0 &&
           strncmp(ent + nl, FILEBK_TMP_TAG, tl) == 0 &&
           strlen(ent + nl + tl) == 6;
}

int filebk_clean_stale(int dfd, const char *name)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while ((e = readdir(d)))
        if (is_tmp_of(e->d_name, name) && unlinkat(dfd, e->d_name, 0) == 0)
            n++;
    closedir(d);
    return n;
}

/* Creates the temporary file: unnamed (O_TMPFILE) when the filesystem
 * can, else under a fresh name put in tmp.  *named tells which. */
static int open_tmp(int dfd, const char *dir, const char *name, char *tmp,
                    size_t tmplen, bool *named, char *err, size_t errlen)
{
    int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    *named = false;
    if (fd >= 0)
        return fd;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        snprintf(err, errlen, "cannot create a temporary file in %s: %s",
                 dir, strerror(errno));
        return -1;
    }
    *named = true;
    for (int tries = 0; tries < 32; tries++) {
        if (tmp_name(name, tmp, tmplen, err, errlen) < 0)
            return -1;
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
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

/* Gives the unnamed, complete file a temporary name (to rename over the
 * target: linkat cannot replace). */
static int link_tmp(int fd, int dfd, const char *dir, const char *name,
                    char *tmp, size_t tmplen, char *err, size_t errlen)
{
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    for (int tries = 0; tries < 32; tries++) {
        if (tmp_name(name, tmp, tmplen, err, errlen) < 0)
            return -1;
        int r = linkat(AT_FDCWD, proc, dfd, tmp, AT_SYMLINK_FOLLOW);
        if (r < 0 && errno == ENOENT)   /* no /proc: needs the capability */
            r = linkat(fd, "", dfd, tmp, AT_EMPTY_PATH);
        if (r == 0)
            return 0;
        if (errno != EEXIST) {
            snprintf(err, errlen, "cannot link the temporary file into %s: "
                     "%s", dir, strerror(errno));
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

/* Writes and syncs the temporary file. */
static int fill_tmp(int fd, const char *dir, const char *tmp,
                    const uint8_t *buf, size_t len, char *err,
                    size_t errlen)
{
    /* The mode must not depend on the caller's umask. */
    if (fchmod(fd, 0600) < 0)
        snprintf(err, errlen, "chmod %s/%s: %s", dir, tmp, strerror(errno));
    else if (write_all(fd, buf, len, dir, tmp, err, errlen) < 0)
        ;
    else if (fsync(fd) < 0)
        snprintf(err, errlen, "fsync %s/%s: %s", dir, tmp, strerror(errno));
    else
        return 0;
    return -1;
}

/* A component of dir that is a symlink, for the error message. */
static void name_symlink(const char *dir, int e, char *err, size_t errlen)
{
    char part[PATH_MAX];
    struct stat st;
    snprintf(part, sizeof(part), "%s", dir);
    for (char *slash = part + 1;; slash++) {
        slash = strchr(slash, '/');
        if (slash)
            *slash = '\0';
        if (lstat(part, &st) == 0 && S_ISLNK(st.st_mode)) {
            snprintf(err, errlen, "dir %s: %s is a symbolic link: refused "
                     "(configure the directory it points to)", dir, part);
            return;
        }
        if (!slash)
            break;
        *slash = '/';
    }
    snprintf(err, errlen, "cannot open directory %s: %s", dir, strerror(e));
}

/* The portable walk: each component opened with O_NOFOLLOW. */
static int walk_dir(const char *dir)
{
    char part[PATH_MAX];
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    snprintf(part, sizeof(part), "%s", dir);
    char *save = NULL;
    for (char *seg = strtok_r(part, "/", &save), *next; fd >= 0 && seg;
         seg = next) {
        next = strtok_r(NULL, "/", &save);
        int nfd = openat(fd, seg, (next ? O_PATH : O_RDONLY) | O_DIRECTORY |
                         O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(fd);
        errno = e;
        fd = nfd;
    }
    if (fd >= 0 && strcmp(dir, "/") == 0) {     /* "/" itself */
        close(fd);
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    return fd;
}

int filebk_open_dir(const char *dir, bool openat2_ok, char *err,
                    size_t errlen)
{
    struct stat st;
    int fd = -1;

    errno = ENOSYS;
#ifdef HAVE_OPENAT2
    if (openat2_ok) {
        struct open_how how = {
            .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
            .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
    }
#else
    (void)openat2_ok;
#endif
    /* Older kernels, or a seccomp filter that does not know openat2. */
    if (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == E2BIG))
        fd = walk_dir(dir);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            name_symlink(dir, errno, err, errlen);
        else
            snprintf(err, errlen, "cannot open directory %s: %s", dir,
                     strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "cannot stat directory %s: %s", dir,
                 strerror(errno));
    } else if (st.st_uid != 0 && st.st_uid != geteuid()) {
        snprintf(err, errlen, "dir %s is owned by uid %u, neither root nor "
                 "the running user: refused", dir, (unsigned)st.st_uid);
    } else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen, "dir %s is writable by others (mode %04o): "
                 "refused", dir, (unsigned)(st.st_mode & 07777));
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

int filebk_write(const char *dir, const char *name, const uint8_t *buf,
                 size_t len, char *err, size_t errlen)
{
    char tmp[NAME_MAX + 32];
    int dfd, fd, rc = -1;
    bool named;

    snprintf(tmp, sizeof(tmp), "%s (unnamed temporary)", name);

    dfd = filebk_open_dir(dir, true, err, errlen);
    if (dfd < 0)
        return -1;
    if (check_target(dfd, dir, name, err, errlen) < 0)
        goto out;
    filebk_clean_stale(dfd, name);      /* what a killed writer left */
    fd = open_tmp(dfd, dir, name, tmp, sizeof(tmp), &named, err, errlen);
    if (fd < 0)
        goto out;
    if (fill_tmp(fd, dir, tmp, buf, len, err, errlen) < 0 ||
        (!named && link_tmp(fd, dfd, dir, name, tmp, sizeof(tmp), err,
                            errlen) < 0)) {
        close(fd);
        if (named)
            unlinkat(dfd, tmp, 0);
        goto out;
    }
    if (close(fd) < 0) {
        snprintf(err, errlen, "close %s/%s: %s", dir, tmp, strerror(errno));
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
