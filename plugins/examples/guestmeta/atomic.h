/*
 * atomic.h - replaces one file in one directory so that readers see the
 * old content or the new, never a part (atomic.c).
 */
#ifndef GUESTMETA_ATOMIC_H
#define GUESTMETA_ATOMIC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes buf to dir/name with the given mode.  0, or -1 with a reason in
 * err (and nothing left behind: no temporary file, target untouched). */
int atomic_write(const char *dir, const char *name, mode_t mode,
                 const uint8_t *buf, size_t len, char *err, size_t errlen);

#endif
