/*
 * filebk.h - the emulator plugin's `file` backend: a blob written
 * atomically into one configured directory.
 *
 * The blob goes to a temporary file beside the target (<name>.xlsr-tmp-
 * XXXXXX, created O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), is fsync'd, then
 * renamed over the target and the directory fsync'd.  A crash at any point
 * leaves the old target (or none) and at most that temporary file; every
 * error path removes the temporary file.
 */
#ifndef XLSR_PLUGINS_FILEBK_H
#define XLSR_PLUGINS_FILEBK_H

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

/* Writes buf (len bytes) to dir/name as described above.  Refuses a
 * symlink or non-regular file at the target.  0, or -1 with a reason. */
int filebk_write(const char *dir, const char *name, const uint8_t *buf,
                 size_t len, char *err, size_t errlen);

#endif
