/*
 * fuzz-lib.c - the session, configuration and file helpers shared by
 * fuzz-stream.c and fuzz-targets.c (see fuzz-lib.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-lib.h"

static void quiet(void *opaque, const char *text)
{
    (void)opaque;
    (void)text;
}

static void quiet_log(void *opaque, enum xlsr_log_level l, const char *m)
{
    (void)opaque;
    (void)l;
    (void)m;
}

void fz_die(const char *what)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, strerror(errno));
    exit(3);
}

uint8_t *fz_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p = NULL;
    size_t cap = 0;
    if (!f)
        fz_die(path);
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 65536;
            p = realloc(p, cap);
            if (!p)
                fz_die("realloc");
        }
        size_t got = fread(p + *len, 1, cap - *len, f);
        if (!got)
            break;
        *len += got;
    }
    fclose(f);
    return p;
}

struct xlsr_config *fz_load(const char *path)
{
    struct xlsr_config *cfg;
    struct xlsr_error err;
    if (xlsr_config_load(path, &cfg, &err)) {
        char buf[1200];
        xlsr_error_format(&err, buf, sizeof(buf));
        fprintf(stderr, "fuzz: config: %s\n", buf);
        exit(3);
    }
    return cfg;
}

int fz_session(struct xlsr_config *cfg, struct xlsr_restore_ctx *ctx,
               const uint8_t *data, size_t len)
{
    struct xlsr_session_opts o = { .size = sizeof(o), .log = quiet_log,
                                   .print = quiet };
    struct xlsr_session *s;
    struct xlsr_error err;
    struct xlsr_result res;
    /* CLOEXEC: an exec backend's command must not inherit the stream. */
    int fd = memfd_create("fuzz", MFD_CLOEXEC), rc;

    if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len) ||
        lseek(fd, 0, SEEK_SET) != 0)
        fz_die("memfd");
    if (xlsr_session_open(cfg, ctx, &o, &s, &err)) {
        char buf[1200];
        xlsr_error_format(&err, buf, sizeof(buf));
        fprintf(stderr, "fuzz: session: %s\n", buf);
        exit(3);
    }
    rc = xlsr_session_run(s, fd, &res, &err);
    if (rc < 0 && !err.reason[0]) {
        fprintf(stderr, "fuzz: error without a reason (rc %d)\n", rc);
        abort();
    }
    xlsr_session_close(s);
    close(fd);
    return rc;
}
