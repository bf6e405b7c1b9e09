/*
 * stream_cmd.c - `xlsr dump`, `xlsr verify` and `xlsr restore`: one
 * session over one stream, differing only in mode and options.
 *
 * Order matters: configuration and every plugin's init come before the
 * input is even opened, so a broken setup never consumes a byte of a
 * stream (which may be a one-shot migration socket).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum {
    OPT_FORMAT = 256, OPT_STRICT, OPT_DOMID, OPT_DM_DOMID, OPT_DRY_RUN,
    OPT_STORE_PORT, OPT_CONSOLE_PORT, OPT_STORE_DOMID, OPT_CONSOLE_DOMID,
    OPT_CHECKPOINTED,
};

static const struct option long_opts[] = {
    { "config", required_argument, NULL, 'c' },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "strict", no_argument, NULL, OPT_STRICT },
    { "domid", required_argument, NULL, OPT_DOMID },
    { "dm-domid", required_argument, NULL, OPT_DM_DOMID },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { "store-port", required_argument, NULL, OPT_STORE_PORT },
    { "console-port", required_argument, NULL, OPT_CONSOLE_PORT },
    { "store-domid", required_argument, NULL, OPT_STORE_DOMID },
    { "console-domid", required_argument, NULL, OPT_CONSOLE_DOMID },
    { "checkpointed", required_argument, NULL, OPT_CHECKPOINTED },
    { NULL, 0, NULL, 0 },
};

/* Options that only make sense for restore (--checkpointed also tells
 * verify and dump how to read a COLO stream). */
static bool restore_only(int opt)
{
    return opt >= OPT_DOMID && opt < OPT_CHECKPOINTED;
}

/* Decimal only, as xl and libxl write domain ids and ports: with base 0,
 * "010" would silently be domain 8. */
static int number(const char *opt, const char *text, uint32_t max,
                  uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || !*text || *end || text[0] < '0' || text[0] > '9' ||
        v > max) {
        fprintf(stderr, "xlsr: --%s: '%s' is not a decimal number up to "
                "%u\n", opt, text, max);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse(int argc, char **argv, enum xlsr_mode mode,
                 struct cli_opts *o)
{
    bool have_domid = false;
    uint32_t v;
    int c;

    memset(o, 0, sizeof(*o));
    o->config = cli_default_config();
    o->ctx.size = sizeof(o->ctx);
    o->ctx.mode = mode;
    o->ctx.store_port = o->ctx.console_port = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:vq", long_opts, NULL)) != -1) {
        if (restore_only(c) && mode != XLSR_MODE_RESTORE) {
            fprintf(stderr, "xlsr: %s is an option of restore only\n",
                    argv[optind - 1]);
            return -1;
        }
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'v': o->verbose = o->ctx.verbose = true; break;
        case 'q': o->quiet = true; break;
        case OPT_STRICT: o->strict = true; break;
        case OPT_DRY_RUN: o->ctx.dry_run = true; break;
        case OPT_FORMAT:
            if (xlsr_format_parse(optarg, &o->format)) {
                fprintf(stderr, "xlsr: --format: '%s' (auto, xl, libvirt, "
                        "xenopsd, libxl, libxc)\n", optarg);
                return -1;
            }
            break;
        case OPT_DOMID:
            if (number("domid", optarg, 0x7FEF, &o->ctx.domid))
                return -1;
            have_domid = true;
            break;
        case OPT_DM_DOMID:
            if (number("dm-domid", optarg, 0x7FEF, &o->ctx.dm_domid))
                return -1;
            break;
        case OPT_STORE_DOMID:
            if (number("store-domid", optarg, 0x7FEF, &o->ctx.store_domid))
                return -1;
            break;
        case OPT_CONSOLE_DOMID:
            if (number("console-domid", optarg, 0x7FEF,
                       &o->ctx.console_domid))
                return -1;
            break;
        case OPT_STORE_PORT:
            if (number("store-port", optarg, INT32_MAX, &v))
                return -1;
            o->ctx.store_port = (int32_t)v;
            break;
        case OPT_CONSOLE_PORT:
            if (number("console-port", optarg, INT32_MAX, &v))
                return -1;
            o->ctx.console_port = (int32_t)v;
            break;
        case OPT_CHECKPOINTED:
            if (!strcmp(optarg, "remus"))
                o->ctx.checkpointed = XLSR_CKPT_REMUS;
            else if (!strcmp(optarg, "colo"))
                o->ctx.checkpointed = XLSR_CKPT_COLO;
            else {
                fprintf(stderr, "xlsr: --checkpointed: '%s' (remus, colo)\n",
                        optarg);
                return -1;
            }
            break;
        default:
            return -1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "xlsr: expected one input (a file, or - for "
                "standard input)\n");
        return -1;
    }
    o->input = argv[optind];
    if (mode == XLSR_MODE_RESTORE && !have_domid) {
        fprintf(stderr, "xlsr: restore needs --domid\n");
        return -1;
    }
    return 0;
}

/* A progress line on a terminal; nothing when stderr is a file. */
static void progress(void *opaque, uint64_t offset)
{
    (void)opaque;
    fprintf(stderr, "\rxlsr: %llu MiB read", (unsigned long long)(offset >> 20));
}

static int open_input(const char *path)
{
    if (!strcmp(path, "-"))
        return STDIN_FILENO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fprintf(stderr, "xlsr: %s: %s\n", path, strerror(errno));
    return fd;
}

static void summary(const struct cli_opts *o, const struct xlsr_result *r)
{
    const char *verb = o->ctx.mode == XLSR_MODE_RESTORE
                           ? (o->ctx.dry_run ? "restore (dry run)" : "restore")
                           : o->ctx.mode == XLSR_MODE_DUMP ? "dump" : "verify";
    bool results = o->ctx.mode == XLSR_MODE_RESTORE && o->ctx.have_results;
    if (r->failover && r->bytes == UINT64_MAX) {
        /* libxenguest read a pipe: how far is not known. */
        printf("%s: ok: failover after checkpoint %" PRIu32 "; stream "
               "offsets after libxenguest's reads are unknown (a pipe)\n",
               verb, r->checkpoints);
    } else if (r->failover && r->partial_offset >= r->bytes) {
        printf("%s: ok: failover after checkpoint %" PRIu32 "; the stream "
               "ended at offset %" PRIu64 ", right after it\n", verb,
               r->checkpoints, r->bytes);
    } else if (r->failover) {
        printf("%s: ok: failover after checkpoint %" PRIu32 "; the partial "
               "checkpoint began at offset %" PRIu64 " and was discarded\n",
               verb, r->checkpoints, r->partial_offset);
    }
    if (r->failover) {
        if (results)
            printf("restore: store_mfn %#lx console_mfn %#lx\n",
                   o->ctx.store_mfn, o->ctx.console_mfn);
        return;
    }
    if (r->bytes == UINT64_MAX)
        printf("%s: ok: %" PRIu64 " records, END reached (stream offsets "
               "unknown: libxenguest read a pipe)", verb, r->records);
    else
        printf("%s: ok: %" PRIu64 " records, %" PRIu64 " bytes, END "
               "reached", verb, r->records, r->bytes);
    if (r->checkpoints)
        printf(", %" PRIu32 " checkpoints", r->checkpoints);
    if (r->trailing_bytes)
        printf("; %" PRIu64 " bytes after END (not part of the stream)",
               r->trailing_bytes);
    printf("\n");
    if (results)
        printf("restore: store_mfn %#lx console_mfn %#lx\n",
               o->ctx.store_mfn, o->ctx.console_mfn);
}

int cli_stream(int argc, char **argv, enum xlsr_mode mode)
{
    struct cli_opts o;
    struct xlsr_config *cfg = NULL;
    struct xlsr_session *s = NULL;
    struct xlsr_error err;
    struct xlsr_result res;
    int fd = -1, status = 2;

    if (parse(argc, argv, mode, &o))
        return 2;
    cfg = cli_load_config(o.config);
    if (!cfg)
        goto out;
    struct xlsr_session_opts so = {
        .size = sizeof(so), .log = cli_log, .print = cli_print,
        .opaque = &o, .format = o.format, .strict = o.strict,
        .progress = isatty(STDERR_FILENO) ? progress : NULL,
        .progress_bytes = 64ull << 20,
    };
    if (xlsr_session_open(cfg, &o.ctx, &so, &s, &err)) {
        cli_print_error("configuration", &err);
        goto out;
    }
    cli_step("reading the stream");
    fd = open_input(o.input);
    if (fd < 0)
        goto out;
    int rc = xlsr_session_run(s, fd, &res, &err);
    if (so.progress && res.bytes >= so.progress_bytes)
        fprintf(stderr, "\rxlsr: %llu MiB read\n",
                (unsigned long long)(res.bytes >> 20));
    if (mode == XLSR_MODE_DUMP) {     /* the stack of layers, even when
                                         it broke part-way */
        char line[600];
        xlsr_session_layer_line(s, line, sizeof(line));
        printf("layers: %s\n", line[0] ? line : "(none recognised)");
    }
    fflush(stdout);
    status = xlsr_exit_status(rc);
    if (rc) {
        if (res.failover)
            fprintf(stderr, "xlsr: stream broke before the first complete "
                    "checkpoint\n");
        cli_print_error(strcmp(o.input, "-") ? o.input : "stdin", &err);
    } else {
        summary(&o, &res);
    }
out:
    if (fd > STDIN_FILENO)
        close(fd);
    xlsr_session_close(s);
    xlsr_config_free(cfg);
    return cli_check_stdout(status);
}
