/*
 * out.c - the output file: it holds the guest's secrets, so it is
 * created 0600, never replaces an existing file unless forced, and gets
 * its name only once it is complete.
 *
 * The file is made with O_TMPFILE in the target directory: it has no
 * name while it is written, so an error, a signal or a kill -9 leaves
 * nothing behind, and publishing is a link (linkat refuses to replace an
 * existing name; with force we link to a temporary name and rename it
 * over the old one).  A filesystem without O_TMPFILE gets a named
 * temporary ".NAME.xlsr-PID-N", created O_EXCL|O_NOFOLLOW, removed on
 * error and renamed (renameat2 RENAME_NOREPLACE unless forced).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"

static int why_errno(char *why, size_t len, const char *what)
{
    snprintf(why, len, "%s: %s", what, strerror(errno));
    return -1;
}

static int split(struct ex_out *o, const char *path, char *why, size_t len)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
        snprintf(why, len, "'%s' does not name a file", path);
        return -1;
    }
    o->name = strdup(name);
    o->dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path))
                   : strdup(".");
    if (!o->name || !o->dir) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    return 0;
}

/* An unnamed file in the directory, or a named one when the filesystem
 * has no O_TMPFILE (then *named holds its name). */
static int create_tmp(struct ex_out *o, char **named, char *why, size_t len)
{
    int fd = openat(o->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
                    errno != EINVAL && errno != ENOENT))
        return fd >= 0 ? fd : why_errno(why, len, o->dir);
    for (unsigned i = 0; i < 100; i++) {
        char *n = NULL;
        if (asprintf(&n, ".%s.xlsr-%ld-%u", o->name, (long)getpid(), i) < 0)
            break;
        fd = openat(o->dirfd, n, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW |
                    O_CLOEXEC, 0600);
        if (fd >= 0) {
            *named = n;
            return fd;
        }
        free(n);
        if (errno != EEXIST)
            break;
    }
    return why_errno(why, len, "cannot create a temporary file");
}

int ex_out_open(struct ex_out *o, const char *path, bool force, char *why,
                size_t len)
{
    struct stat st;

    o->fd = o->dirfd = -1;
    o->force = force;
    if (split(o, path, why, len))
        return -1;
    o->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->dirfd < 0)
        return why_errno(why, len, o->dir);
    if (fstatat(o->dirfd, o->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!force) {
            snprintf(why, len, "%s exists (--force replaces it)", path);
            return -1;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(why, len, "%s exists and is not a regular file; "
                     "refusing to replace it", path);
            return -1;
        }
    } else if (errno != ENOENT) {
        return why_errno(why, len, path);
    }
    o->fd = create_tmp(o, &o->tmpname, why, len);
    if (o->fd < 0)
        return -1;
    if (fchmod(o->fd, 0600))    /* whatever the umask let through */
        return why_errno(why, len, "fchmod");
    return 0;
}

int ex_out_scratch(struct ex_out *o, char *why, size_t len)
{
    char *named = NULL;
    int fd = create_tmp(o, &named, why, len);
    if (named) {        /* only ever read back through the fd */
        unlinkat(o->dirfd, named, 0);
        free(named);
    }
    return fd;
}

static int link_tmpfile(struct ex_out *o, const char *name, char *why,
                        size_t len)
{
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
    if (linkat(AT_FDCWD, proc, o->dirfd, name, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    if (errno == EEXIST && !strcmp(name, o->name))
        snprintf(why, len, "%s/%s appeared while exporting; not replaced "
                 "(--force replaces it)", o->dir, o->name);
    else
        why_errno(why, len, "cannot link the output into place");
    return -1;
}

int ex_out_publish(struct ex_out *o, bool sync, char *why, size_t len)
{
    if (sync && fsync(o->fd))
        return why_errno(why, len, "fsync");
    if (o->tmpname) {
        int r = o->force ? renameat(o->dirfd, o->tmpname, o->dirfd, o->name)
                         : renameat2(o->dirfd, o->tmpname, o->dirfd,
                                     o->name, RENAME_NOREPLACE);
        if (r)
            return why_errno(why, len, "cannot rename the output into "
                             "place");
        free(o->tmpname);
        o->tmpname = NULL;
    } else if (!o->force) {
        if (link_tmpfile(o, o->name, why, len))
            return -1;
    } else {
        char tmp[300];
        snprintf(tmp, sizeof(tmp), ".%.200s.xlsr-%ld", o->name,
                 (long)getpid());
        unlinkat(o->dirfd, tmp, 0);
        if (link_tmpfile(o, tmp, why, len))
            return -1;
        if (renameat(o->dirfd, tmp, o->dirfd, o->name)) {
            why_errno(why, len, "cannot rename the output into place");
            unlinkat(o->dirfd, tmp, 0);
            return -1;
        }
    }
    if (sync)
        fsync(o->dirfd);
    return 0;
}

void ex_out_discard(struct ex_out *o)
{
    if (o->fd >= 0)
        close(o->fd);
    if (o->tmpname && o->dirfd >= 0)
        unlinkat(o->dirfd, o->tmpname, 0);
    if (o->dirfd >= 0)
        close(o->dirfd);
    free(o->tmpname);
    free(o->name);
    free(o->dir);
    memset(o, 0, sizeof(*o));
    o->fd = o->dirfd = -1;
}
