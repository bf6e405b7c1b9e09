/*
 * filebk.h - the emulator plugin's `file` backend: a blob written
 * atomically into one configured directory.
 *
 * The directory is opened without following symlinks in any component
 * and must be writable by root or us only.  The blob goes to an unnamed
 * O_TMPFILE in it (or, where the filesystem cannot, a temporary name
 * <name>.xlsr-tmp-XXXXXX created O_CREAT|O_EXCL|O_NOFOLLOW), mode 0600,
 * is fsync'd, gets a temporary name, is renamed over the target and the
 * directory fsync'd.  A crash at any point leaves the old target (or
 * none); a temporary name left by a killed writer is removed by the next
 * write of the same target; every error path removes the temporary file.
 */
#ifndef XLSR_PLUGINS_FILEBK_H
#define XLSR_PLUGINS_FILEBK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILEBK_TMP_TAG ".xlsr-tmp-"

/* Checks that path names a file directly inside dir (both absolute; no
 * empty, '.' or '..' segment).  0 with *name pointing into path at the
 * file name, or -1 with a reason in err. */
int filebk_check_path(const char *dir, const char *path, const char **name,
                      char *err, size_t errlen);

/* Checks a configured directory: absolute, no '.', '..' or empty
 * segment.  0 or -1 with a reason. */
int filebk_check_dir(const char *dir, char *err, size_t errlen);

/* Opens dir (checked by filebk_check_dir) as a directory descriptor
 * without following a symlink in any component, and refuses it unless it
 * is owned by root or us and not group- or world-writable.  openat2_ok
 * false forces the portable component walk (kernels before 5.6, tests).
 * The fd, or -1 with a reason. */
int filebk_open_dir(const char *dir, bool openat2_ok, char *err,
                    size_t errlen);

/* Removes the temporary names a killed writer left for name in dfd;
 * returns how many, or -1. */
int filebk_clean_stale(int dfd, const char *name);

/* Writes buf (len bytes) to dir/name as described above.  Refuses a
 * symlink or non-regular file at the target.  0, or -1 with a reason. */
int filebk_write(const char *dir, const char *name, const uint8_t *buf,
                 size_t len, char *err, size_t errlen);

#endif
