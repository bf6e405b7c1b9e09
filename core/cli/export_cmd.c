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
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

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

static int set_keys(struct xlsr_config *cfg, const struct cli_opts *e)
{
    uint32_t t = XLSR_REC_LIBXC_CONTEXT;
    if (!xlsr_config_get(cfg, t, "plugin")) {
        fprintf(stderr, "xlsr: configuration: no [record.libxc_context] "
                "section binds an exporter\n");
        return -1;
    }
    if (xlsr_config_set(cfg, t, "output", e->output) ||
        (e->mem_format && xlsr_config_set(cfg, t, "format", e->mem_format)) ||
        (e->force && xlsr_config_set(cfg, t, "force", "true")) ||
        (e->no_sync && xlsr_config_set(cfg, t, "sync", "false"))) {
        fprintf(stderr, "xlsr: out of memory\n");
        return -1;
    }
    return 0;
}

/* The output must exist now, and be a new file if one was there. */
static int check_output(const struct cli_opts *e, const struct stat *old,
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

int cli_export(struct cli_opts *o)
{
    struct xlsr_config *cfg = NULL;
    struct xlsr_session *s = NULL;
    struct xlsr_error err;
    struct xlsr_result res;
    struct stat old;
    char cbuf[600];
    int fd = -1, status = 2;

    if (!o->output) {
        fprintf(stderr, "xlsr export: -o OUT is required (see xlsr help "
                "export)\n");
        return 2;
    }
    /* No -c: export.ini, not the restore configuration. */
    if (o->config == cli_default_config())
        o->config = default_config(cbuf, sizeof(cbuf));
    bool had_old = lstat(o->output, &old) == 0;
    cfg = cli_load_config(o, o->config);
    if (!cfg || set_keys(cfg, o))
        goto out;
    struct xlsr_session_opts so = {
        .size = sizeof(so), .log = cli_log, .print = cli_print,
        .opaque = o,
    };
    if (xlsr_session_open(cfg, &o->ctx, &so, &s, &err)) {
        cli_print_error(o, "configuration", &err);
        goto out;
    }
    cli_step("reading the stream");
    if (!strcmp(o->input, "-")) {
        fd = STDIN_FILENO;
    } else if ((fd = open(o->input, O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "xlsr: %s: %s\n", o->input, strerror(errno));
        status = 1;
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
        cli_print_error(o, strcmp(o->input, "-") ? o->input : "stdin", &err);
        goto out;
    }
    if (res.failover)
        printf("export: memory of checkpoint %" PRIu32 ", the last complete "
               "one (the stream broke after it)\n", res.checkpoints);
    status = cli_check_stdout(check_output(o, &old, had_old));
out:
    if (fd > STDIN_FILENO)
        close(fd);
    xlsr_session_close(s);
    xlsr_config_free(cfg);
    return status;
}
