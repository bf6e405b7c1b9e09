/*
 * execbk.h - the emulator plugin's `exec` backend: a blob streamed into
 * the stdin of a configured command.
 *
 * The command is started without a shell, under a keeper process (see
 * execbk.c: SIGCHLD is the embedder's), its stdout goes to our stderr (our
 * stdout is the report), every other descriptor of ours is closed in it,
 * and it is always waited for.  A command that exits
 * non-zero, dies from a signal or stops reading early fails the record.
 */
#ifndef XLSR_PLUGINS_EXECBK_H
#define XLSR_PLUGINS_EXECBK_H

#include <stddef.h>
#include <stdint.h>

/* argv[0] must be an absolute path.  A command still running (or not
 * reading) timeout_s seconds after the start is killed and reaped.  0, or
 * -1 with a reason (naming the command's exit status or signal, or the
 * timeout) in err. */
int execbk_run(char *const argv[], const uint8_t *buf, size_t len,
               unsigned timeout_s, char *err, size_t errlen);

/* Splits a command line on spaces into a NULL-terminated argv (no quoting,
 * no shell).  Returns a malloc'd vector whose strings live in the same
 * allocation, or NULL when out of memory.  *argc gets the count. */
char **execbk_split(const char *cmd, int *argc);

#endif
