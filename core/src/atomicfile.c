/*
 * atomicfile.c - the core's file writes (the shadow report) go through the
 * emulator file backend's code, compiled in here rather than copied: one
 * implementation of "directory opened without symlinks and vetted,
 * O_TMPFILE or O_EXCL temporary, fsync, rename, mode 0600".
 */
#include "../../plugins/emulator/filebk.c"
