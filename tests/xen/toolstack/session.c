/*
 * session.c - the one libxlsr session of a restore: the middle of the
 * toolstack's work.  The libxc plugin hands the inline libxc stream to
 * libxenguest and returns the store/console frames; the xenstore and
 * emulator plugins apply EMULATOR_XENSTORE_DATA and EMULATOR_CONTEXT for
 * the new domain; for Remus the core buffers each checkpoint and fails
 * over at the last complete one.  Which plugin handles what is the INI
 * file's business, not ours.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ts.h"

/* libxlsr's log lines (and, through the libxc plugin, libxenguest's). */
static void on_log(void *opaque, enum xlsr_log_level level, const char *msg)
{
    static const char *const names[] = { "error", "warning", "info",
                                         "debug" };
    const struct toolstack *t = opaque;

    if (level > XLSR_LOG_WARN && !t->verbose)
        return;
    fprintf(stderr, "xlsr: %s: %s\n",
            level <= XLSR_LOG_DEBUG ? names[level] : "?", msg);
}

/* Remus: one line per libxl record framed (the core calls this before
 * each one when progress_bytes is 1), which for a PVH guest is one per
 * checkpoint: how an operator, and the suite, see checkpoints arrive. */
static void on_progress(void *opaque, uint64_t offset)
{
    (void)opaque;
    fprintf(stderr, TS ": remus: libxl record at stream offset %" PRIu64
            "\n", offset);
}

int ts_session_restore(struct toolstack *t, const struct xlsr_config *cfg,
                       int fd, enum xlsr_checkpointed ckpt,
                       struct xlsr_restore_ctx *ctx, struct xlsr_result *res)
{
    struct xlsr_session_opts opts;
    struct xlsr_session *s = NULL;
    struct xlsr_error err;
    char line[1024];
    int rc;

    /* The restore target.  Every plugin of the session sees this struct;
     * the libxc plugin fills store_mfn / console_mfn. */
    memset(ctx, 0, sizeof(*ctx));
    ctx->size = sizeof(*ctx);
    ctx->mode = XLSR_MODE_RESTORE;
    ctx->domid = t->domid;
    ctx->dm_domid = 0;              /* the device model runs in dom0 */
    ctx->store_port = t->store_port;
    ctx->console_port = t->console_port;
    ctx->store_domid = t->store_domid;
    ctx->console_domid = t->console_domid;
    ctx->checkpointed = ckpt;

    memset(&opts, 0, sizeof(opts));
    opts.size = sizeof(opts);
    opts.log = on_log;
    opts.opaque = t;
    /* We read the xl header ourselves (to size the domain first). */
    opts.format = XLSR_FORMAT_LIBXL;
    if (ckpt == XLSR_CKPT_REMUS) {
        opts.progress = on_progress;
        opts.progress_bytes = 1;
    }

    memset(&err, 0, sizeof(err));
    memset(res, 0, sizeof(*res));
    rc = xlsr_session_open(cfg, ctx, &opts, &s, &err);
    if (rc == XLSR_OK)
        rc = xlsr_session_run(s, fd, res, &err);
    /* Closing runs every plugin's fini with the result (the libxc plugin
     * closes its Xen handles): before the domain is torn down on error. */
    if (s)
        xlsr_session_close(s);
    if (rc != XLSR_OK) {
        xlsr_error_format(&err, line, sizeof(line));
        fprintf(stderr, TS ": restore failed: %s\n", line);
        return -1;
    }
    if (!ctx->have_results) {
        fprintf(stderr, TS ": the stream restored no libxc context (no "
                "store/console frames)\n");
        return -1;
    }
    fprintf(stderr, TS ": stream of %" PRIu64 " bytes, %" PRIu64
            " records%s", res->bytes, res->records,
            ckpt == XLSR_CKPT_NONE ? "\n" : "");
    if (ckpt != XLSR_CKPT_NONE)
        fprintf(stderr, ", %u checkpoints applied%s\n", res->checkpoints,
                res->failover ? ", failover" : "");
    return 0;
}
