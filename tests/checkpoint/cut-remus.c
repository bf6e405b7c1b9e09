/*
 * tests/checkpoint/cut-remus.c - a Remus stream cut at many offsets, each
 * cut run through a real session in one process (a process per cut would
 * take minutes): the verdict of every cut must be exactly one of
 *
 *   failover after checkpoint N, with the records of checkpoints 1..N
 *   applied, each whole, in order, and nothing after checkpoint N;
 *   an error, before the first checkpoint completed, with nothing applied.
 *
 * N is what the offsets log of xlsr-gen says: the number of libxl
 * CHECKPOINT_END records that end inside the cut.
 *
 *   cut-remus CONF STREAM OFFSETS RECLOG PER_CKPT MODE FROM TO STEP
 *
 * MODE is verify or dry-run (restore --dry-run); RECLOG is the recorder
 * plugin's log (truncated before each cut); PER_CKPT the records each
 * checkpoint's libxl part hands the recorder.  One line per cut on stdout
 * ("cut AT: failover after checkpoint N" or "cut AT: error before the
 * first complete checkpoint: REASON"), a summary at the end; exit 1 on
 * the first cut that breaks the rule.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xlsr/xlsr.h>

static void quiet_log(void *opaque, enum xlsr_log_level l, const char *m)
{
    (void)opaque;
    (void)l;
    (void)m;
}

static void quiet(void *opaque, const char *t)
{
    (void)opaque;
    (void)t;
}

static uint64_t *ends;      /* offset just past each CHECKPOINT_END */
static size_t nends;

static void load_offsets(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    if (!f) {
        perror(path);
        exit(2);
    }
    while (fgets(line, sizeof(line), f)) {
        unsigned long long off;
        char lvl[16], type[64];
        if (sscanf(line, "%llu %15s %63s", &off, lvl, type) == 3 &&
            !strcmp(lvl, "libxl") && !strcmp(type, "CHECKPOINT_END")) {
            ends = realloc(ends, (nends + 1) * sizeof(*ends));
            if (!ends)
                exit(2);
            ends[nends++] = off + 8;
        }
    }
    fclose(f);
}

/* The checkpoint numbers the recorder saw, in order, into ck. */
static size_t applied(const char *reclog, unsigned *ck, size_t max)
{
    FILE *f = fopen(reclog, "r");
    char line[512];
    size_t n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, " ckpt=");
        if (!strncmp(line, "record ", 7) && p && n < max)
            ck[n++] = (unsigned)strtoul(p + 6, NULL, 10);
    }
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 10) {
        fprintf(stderr, "usage: cut-remus CONF STREAM OFFSETS RECLOG "
                "PER_CKPT verify|dry-run FROM TO STEP\n");
        return 2;
    }
    struct xlsr_config *cfg;
    struct xlsr_error err;
    if (xlsr_config_load(argv[1], &cfg, &err)) {
        fprintf(stderr, "config: %s\n", err.reason);
        return 2;
    }
    int in = open(argv[2], O_RDONLY);
    off_t size = in >= 0 ? lseek(in, 0, SEEK_END) : -1;
    uint8_t *data = size > 0 ? mmap(NULL, (size_t)size, PROT_READ,
                                    MAP_PRIVATE, in, 0) : MAP_FAILED;
    if (data == MAP_FAILED) {
        perror(argv[2]);
        return 2;
    }
    load_offsets(argv[3]);
    const char *reclog = argv[4];
    unsigned per = (unsigned)atoi(argv[5]);
    bool dry = !strcmp(argv[6], "dry-run");
    uint64_t from = strtoull(argv[7], NULL, 0), to = strtoull(argv[8], NULL, 0);
    uint64_t step = strtoull(argv[9], NULL, 0);
    if ((off_t)to > size)
        to = (uint64_t)size;
    unsigned long nfail = 0, nerr = 0, ncuts = 0;
    static unsigned ck[1 << 16];

    for (uint64_t at = from; at <= to; at += step ? step : 1) {
        int fd = memfd_create("cut", 0);
        if (fd < 0 || write(fd, data, at) != (ssize_t)at ||
            lseek(fd, 0, SEEK_SET)) {
            perror("memfd");
            return 2;
        }
        FILE *t = fopen(reclog, "w");
        if (t)
            fclose(t);
        struct xlsr_restore_ctx ctx = {
            .size = sizeof(ctx), .store_port = -1, .console_port = -1,
            .mode = dry ? XLSR_MODE_RESTORE : XLSR_MODE_VERIFY,
            .dry_run = dry, .domid = 5, .checkpointed = XLSR_CKPT_REMUS,
        };
        struct xlsr_session_opts o = { .size = sizeof(o), .log = quiet_log,
                                       .print = quiet };
        struct xlsr_session *s;
        struct xlsr_result res;
        if (xlsr_session_open(cfg, &ctx, &o, &s, &err)) {
            fprintf(stderr, "session: %s\n", err.reason);
            return 2;
        }
        int rc = xlsr_session_run(s, fd, &res, &err);
        xlsr_session_close(s);
        close(fd);
        ncuts++;

        unsigned want = 0;
        for (size_t i = 0; i < nends; i++)
            want += ends[i] <= at;
        size_t n = applied(reclog, ck, sizeof(ck) / sizeof(ck[0]));
        char why[700] = "";
        bool ok;
        if (rc == 0) {
            ok = res.failover && res.checkpoints == want &&
                 n == (size_t)want * per;
            for (size_t i = 0; ok && i < n; i++)
                ok = ck[i] == i / per + 1;
            nfail++;
            printf("cut %llu: failover after checkpoint %u\n",
                   (unsigned long long)at, res.checkpoints);
        } else {
            xlsr_error_format(&err, why, sizeof(why));
            ok = want == 0 && n == 0;
            nerr++;
            printf("cut %llu: error before the first complete checkpoint: "
                   "%s\n", (unsigned long long)at, why);
        }
        if (!ok) {
            printf("FAILED: cut %llu: rc %d, %u checkpoints in the cut, "
                   "%u reported, %zu records applied (%zu wanted): %s\n",
                   (unsigned long long)at, rc, want, res.checkpoints, n,
                   (size_t)want * per, why);
            return 1;
        }
    }
    printf("%lu cuts: %lu failovers, %lu errors before the first "
           "checkpoint\n", ncuts, nfail, nerr);
    munmap(data, (size_t)size);
    close(in);
    xlsr_config_free(cfg);
    free(ends);
    return 0;
}
