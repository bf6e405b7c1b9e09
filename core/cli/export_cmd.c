/*
 * export_cmd.c - `xlsr export`: the guest's memory out of a save or
 * migration stream, through whatever plugin export.ini binds to
 * LIBXC_CONTEXT (plugins/export by default).
 *
 * The command only hands the plugin its per-run keys (output, format,
 * force) through xlsr_config_set and runs a verify-mode session: every
 * other record is checked, nothing but the output is written.  The
 * plugin creates the output at init, before the stream's first byte, and
 * names it at fini only when the stream succeeded; we check afterwards
 * that it did, so a failure to publish is never a silent exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_FORMAT = 256, OPT_FORCE, OPT_CHECKPOINTED };

static const struct option long_opts[] = {
    { "config", required_argument, NULL, 'c' },
    { "output", required_argument, NULL, 'o' },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "force", no_argument, NULL, OPT_FORCE },
    { "checkpointed", required_argument, NULL, OPT_CHECKPOINTED },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
};

struct export_opts {
    struct cli_opts o;
    const char *output;
    const char *format;         /* NULL: the configuration's */
    bool force;
};

/* $XLSR_EXPORT_CONFIG, else export.ini beside the default xlsr.ini. */
static const char *default_config(char *buf, size_t len)
{
    const char *env = getenv("XLSR_EXPORT_CONFIG");
    if (env && *env)
        return env;
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", XLSR_DEFAULT_CONFIG);
    snprintf(buf, len, "%s/export.ini", dirname(dir));
    return buf;
}

static int parse(int argc, char **argv, struct export_opts *e, char *cbuf,
                 size_t clen)
{
    struct cli_opts *o = &e->o;
    int c;
    memset(e, 0, sizeof(*e));
    o->config = default_config(cbuf, clen);
    o->ctx.size = sizeof(o->ctx);
    o->ctx.mode = XLSR_MODE_VERIFY;
    o->ctx.store_port = o->ctx.console_port = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:o:vq", long_opts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'o': e->output = optarg; break;
        case 'v': o->verbose = true; break;
        case 'q': o->quiet = true; break;
        case OPT_FORCE: e->force = true; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "elf") && strcmp(optarg, "raw") &&
                strcmp(optarg, "lime") && strcmp(optarg, "dump-core")) {
                fprintf(stderr, "xlsr: --format: '%s' (elf, raw, lime, "
                        "dump-core)\n", optarg);
                return -1;
            }
            e->format = optarg;
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
    if (!e->output || !*e->output) {
        fprintf(stderr, "xlsr: export needs -o OUTPUT\n");
        return -1;
    }
    if (!strcmp(e->output, "-")) {  /* layouts are written out of order */
        fprintf(stderr, "xlsr: export writes a file, not standard output: "
                "-o -\n");
        return -1;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "xlsr: expected one input (a file, or - for "
                "standard input)\n");
        return -1;
    }
    o->input = argv[optind];
    return 0;
}

static int set_keys(struct xlsr_config *cfg, const struct export_opts *e)
{
    uint32_t t = XLSR_REC_LIBXC_CONTEXT;
    if (!xlsr_config_get(cfg, t, "plugin")) {
        fprintf(stderr, "xlsr: configuration: no [record.libxc_context] "
                "section binds an exporter\n");
        return -1;
    }
    if (xlsr_config_set(cfg, t, "output", e->output) ||
        (e->format && xlsr_config_set(cfg, t, "format", e->format)) ||
        (e->force && xlsr_config_set(cfg, t, "force", "true"))) {
        fprintf(stderr, "xlsr: out of memory\n");
        return -1;
    }
    return 0;
}

/* The output must exist now, and be a new file if one was there. */
static int check_output(const struct export_opts *e, const struct stat *old,
                        bool had_old)
{
    struct stat st;
    if (lstat(e->output, &st) || !S_ISREG(st.st_mode) ||
        (had_old && st.st_ino == old->st_ino && st.st_dev == old->st_dev)) {
        fprintf(stderr, "xlsr: %s was not written (the exporter bound to "
                "LIBXC_CONTEXT published nothing)\n", e->output);
        return 1;
    }
    printf("export: ok: %s, %llu bytes on disk\n", e->output,
           (unsigned long long)st.st_blocks * 512);
    return 0;
}

int cli_export(int argc, char **argv)
{
    struct export_opts e;
    struct xlsr_config *cfg = NULL;
    struct xlsr_session *s = NULL;
    struct xlsr_error err;
    struct xlsr_result res;
    struct stat old;
    char cbuf[600];
    int fd = -1, status = 2;

    if (parse(argc, argv, &e, cbuf, sizeof(cbuf)))
        return 2;
    bool had_old = lstat(e.output, &old) == 0;
    cfg = cli_load_config(e.o.config);
    if (!cfg || set_keys(cfg, &e))
        goto out;
    struct xlsr_session_opts so = {
        .size = sizeof(so), .log = cli_log, .print = cli_print,
        .opaque = &e.o,
    };
    if (xlsr_session_open(cfg, &e.o.ctx, &so, &s, &err)) {
        cli_print_error("configuration", &err);
        goto out;
    }
    if (!strcmp(e.o.input, "-")) {
        fd = STDIN_FILENO;
    } else if ((fd = open(e.o.input, O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "xlsr: %s: %s\n", e.o.input, strerror(errno));
        goto out;
    }
    int rc = xlsr_session_run(s, fd, &res, &err);
    xlsr_session_close(s);      /* the plugin names the output here */
    s = NULL;
    status = xlsr_exit_status(rc);
    if (rc) {
        if (res.failover)
            fprintf(stderr, "xlsr: stream broke before the first complete "
                    "checkpoint\n");
        cli_print_error(strcmp(e.o.input, "-") ? e.o.input : "stdin", &err);
        goto out;
    }
    if (res.failover)
        printf("export: memory of checkpoint %" PRIu32 ", the last complete "
               "one (the stream broke after it)\n", res.checkpoints);
    status = check_output(&e, &old, had_old);
out:
    if (fd > STDIN_FILENO)
        close(fd);
    xlsr_session_close(s);
    xlsr_config_free(cfg);
    return status;
}
