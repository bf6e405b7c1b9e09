/*
 * fuzz-lib.h - what both fuzz programs need: one stream through one
 * quiet session on a memfd, a configuration loaded or a clear exit, a
 * whole file read.  fuzz-stream.c mutates streams itself; fuzz-targets.c
 * is libFuzzer's (and fuzz-replay's) view of each parser.
 */
#ifndef XLSR_FUZZ_LIB_H
#define XLSR_FUZZ_LIB_H

#include <stddef.h>
#include <stdint.h>

#include <xlsr/xlsr.h>

/* "fuzz: WHAT: strerror(errno)" and exit 3 (the harness, not the code
 * under test, failed). */
_Noreturn void fz_die(const char *what);

/* The whole file at PATH, malloc'd; its length in *len.  Exits 3 if it
 * cannot be read. */
uint8_t *fz_slurp(const char *path, size_t *len);

/* The configuration at PATH; exits 3 with the loader's error otherwise. */
struct xlsr_config *fz_load(const char *path);

/* DATA through one session of CFG with CTX, output and log discarded;
 * returns the session's rc.  An error without a reason aborts: every
 * refusal must say why. */
int fz_session(struct xlsr_config *cfg, struct xlsr_restore_ctx *ctx,
               const uint8_t *data, size_t len);

#endif
