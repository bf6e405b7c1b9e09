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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Progress: a line on a terminal, with a percentage when the input's
 * size is known; cli_log clears it before any log line. */
static void progress_line(struct cli_opts *o, uint64_t offset, bool last)
{
    if (o->input_size)
        fprintf(stderr, "\rxlsr: %llu of %llu MiB read (%u%%)",
                (unsigned long long)(offset >> 20),
                (unsigned long long)(o->input_size >> 20),
                (unsigned)(offset >= o->input_size
                               ? 100 : offset * 100 / o->input_size));
    else
        fprintf(stderr, "\rxlsr: %llu MiB read",
                (unsigned long long)(offset >> 20));
    if (last)
        fputc('\n', stderr);
    o->progress_shown = !last;
}

static void progress_cb(void *opaque, uint64_t offset)
{
    progress_line(opaque, offset, false);
}

/* --json dump: one object per header and record, as framed. */
static void dump_json(void *opaque, const struct xlsr_dump_item *it)
{
    struct cli_opts *o = opaque;
    struct cli_json *j = o->out;
    cli_json_open(j);
    switch (it->kind) {
    case XLSR_DUMP_XL_HEADER:
        cli_json_str(j, "event", "xl_header");
        cli_json_u64(j, "offset", it->offset);
        cli_json_u64(j, "mandatory_flags", it->xl_mandatory_flags);
        cli_json_u64(j, "optional_flags", it->xl_optional_flags);
        cli_json_u64(j, "optional_data_bytes", it->xl_optional_bytes);
        cli_json_u64(j, "config_bytes", it->xl_config_bytes);
        break;
    case XLSR_DUMP_LIBXL_HEADER:
        cli_json_str(j, "event", "libxl_header");
        cli_json_u64(j, "offset", it->offset);
        cli_json_u64(j, "version", it->libxl_version);
        cli_json_u64(j, "options", it->libxl_options);
        break;
    case XLSR_DUMP_RECORD:
        cli_json_str(j, "event", "record");
        cli_json_u64(j, "offset", it->offset);
        cli_json_u64(j, "type", it->type);
        cli_json_str(j, "name", xlsr_rec_type_name(it->type));
        cli_json_bool(j, "optional", it->type >= XLSR_REC_OPTIONAL_MIN);
        cli_json_u64(j, "length", it->length);
        cli_json_u64(j, "checkpoint", it->checkpoint);
        break;
    }
    cli_json_close(j);
    cli_json_flush(j);
}

/* The input: "-" is standard input; a file that cannot be opened, or
 * is a directory, is an I/O error of the stream (exit 1), said once. */
static int open_input(struct cli_opts *o, struct xlsr_error *err)
{
    struct stat st;
    if (!strcmp(o->input, "-"))
        return STDIN_FILENO;
    int fd = open(o->input, O_RDONLY | O_CLOEXEC);
    const char *why = fd < 0 ? strerror(errno) : NULL;
    if (fd >= 0 && !fstat(fd, &st) && S_ISDIR(st.st_mode)) {
        why = strerror(EISDIR);
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        err->rc = XLSR_ERR_IO;
        snprintf(err->reason, sizeof(err->reason), "cannot read the "
                 "input: %s", why);
        cli_print_error(o, o->input, err);
    }
    return fd;
}

static const char *verb(const struct cli_opts *o)
{
    return o->ctx.mode == XLSR_MODE_RESTORE
               ? (o->ctx.dry_run ? "restore (dry run)" : "restore")
               : o->cmd->name;
}

static void summary(const struct cli_opts *o, const struct xlsr_result *r)
{
    const char *v = verb(o);
    bool results = o->ctx.mode == XLSR_MODE_RESTORE && o->ctx.have_results;
    if (r->failover && r->bytes == UINT64_MAX) {
        /* libxenguest read a pipe: how far is not known. */
        printf("%s: ok: failover after checkpoint %" PRIu32 "; stream "
               "offsets after libxenguest's reads are unknown (a pipe)\n",
               v, r->checkpoints);
    } else if (r->failover && r->partial_offset >= r->bytes) {
        printf("%s: ok: failover after checkpoint %" PRIu32 "; the stream "
               "ended at offset %" PRIu64 ", right after it\n", v,
               r->checkpoints, r->bytes);
    } else if (r->failover) {
        printf("%s: ok: failover after checkpoint %" PRIu32 "; the partial "
               "checkpoint began at offset %" PRIu64 " and was discarded\n",
               v, r->checkpoints, r->partial_offset);
    }
    if (r->failover) {
        if (results)
            printf("restore: store_mfn %#lx console_mfn %#lx\n",
                   o->ctx.store_mfn, o->ctx.console_mfn);
        return;
    }
    if (r->bytes == UINT64_MAX)
        printf("%s: ok: %" PRIu64 " records, END reached (stream offsets "
               "unknown: libxenguest read a pipe)", v, r->records);
    else
        printf("%s: ok: %" PRIu64 " records, %" PRIu64 " bytes, END "
               "reached", v, r->records, r->bytes);
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

/* --json: the run's one "result" object, on success or failure. */
static void result_json(const struct cli_opts *o, int rc,
                        const struct xlsr_result *r,
                        const struct xlsr_error *err, const char *xl_note)
{
    struct cli_json *j = o->out;
    cli_json_open(j);
    cli_json_str(j, "event", "result");
    cli_json_str(j, "command", o->cmd->name);
    cli_json_bool(j, "ok", rc >= 0);
    cli_json_i64(j, "exit_status", xlsr_exit_status(rc));
    cli_json_str(j, "input", o->input);
    if (o->ctx.mode == XLSR_MODE_RESTORE) {
        cli_json_u64(j, "domid", o->ctx.domid);
        cli_json_bool(j, "dry_run", o->ctx.dry_run);
    }
    cli_json_u64(j, "records", r->records);
    cli_json_u64(j, "bytes", r->bytes);
    cli_json_bool(j, "complete", r->complete);
    cli_json_bool(j, "xl_header", r->xl_header);
    cli_json_u64(j, "checkpoints", r->checkpoints);
    cli_json_bool(j, "failover", r->failover);
    if (r->failover)
        cli_json_u64(j, "partial_offset", r->partial_offset);
    cli_json_u64(j, "trailing_bytes", r->trailing_bytes);
    if (o->ctx.mode == XLSR_MODE_RESTORE && o->ctx.have_results) {
        cli_json_u64(j, "store_mfn", o->ctx.store_mfn);
        cli_json_u64(j, "console_mfn", o->ctx.console_mfn);
    }
    if (xl_note)
        cli_json_str(j, "xl_restore", xl_note);
    if (rc < 0)
        cli_json_error(j, err);
    cli_json_close(j);
    cli_json_flush(j);
}

int cli_stream(struct cli_opts *o)
{
    struct xlsr_config *cfg = NULL;
    struct xlsr_session *s = NULL;
    struct xlsr_error err;
    struct xlsr_result res;
    struct stat st;
    int fd = -1, status = 2;

    memset(&res, 0, sizeof(res));
    memset(&err, 0, sizeof(err));
    cfg = cli_load_config(o, o->config);
    if (!cfg)
        goto out;
    struct xlsr_session_opts so = {
        .size = sizeof(so), .log = cli_log, .print = cli_print,
        .opaque = o, .format = o->format, .strict = o->strict,
        .progress = isatty(STDERR_FILENO) && !o->syslog ? progress_cb : NULL,
        .progress_bytes = 64ull << 20,
        .dump = o->out ? dump_json : NULL,
    };
    if (xlsr_session_open(cfg, &o->ctx, &so, &s, &err)) {
        cli_print_error(o, "configuration", &err);
        if (o->out)
            result_json(o, err.rc, &res, &err, NULL);
        goto out;
    }
    cli_step("reading the stream");
    fd = open_input(o, &err);
    if (fd < 0) {
        status = 1;
        if (o->out)
            result_json(o, err.rc, &res, &err, NULL);
        goto out;
    }
    if (fd != STDIN_FILENO && !fstat(fd, &st) && S_ISREG(st.st_mode))
        o->input_size = (uint64_t)st.st_size;
    int rc = xlsr_session_run(s, fd, &res, &err);
    if (so.progress && res.bytes >= so.progress_bytes)
        progress_line(o, res.bytes, true);
    if (o->ctx.mode == XLSR_MODE_DUMP) {  /* the stack of layers, even when
                                         it broke part-way */
        char line[600];
        xlsr_session_layer_line(s, line, sizeof(line));
        if (o->out) {
            cli_json_open(o->out);
            cli_json_str(o->out, "event", "layers");
            cli_json_str(o->out, "stack", line);
            cli_json_close(o->out);
            cli_json_flush(o->out);
        } else {
            printf("layers: %s\n", line[0] ? line : "(none recognised)");
        }
    }
    fflush(stdout);
    status = xlsr_exit_status(rc);
    if (rc) {
        if (res.failover)
            cli_logf(o, XLSR_LOG_ERROR, "stream broke before the first "
                     "complete checkpoint");
        cli_print_error(o, strcmp(o->input, "-") ? o->input : "stdin", &err);
    } else if (!o->out) {
        summary(o, &res);
    }
    if (o->out)
        result_json(o, rc, &res, &err, xlsr_session_xl_restore_note(s));
out:
    if (fd > STDIN_FILENO)
        close(fd);
    xlsr_session_close(s);
    xlsr_config_free(cfg);
    return cli_check_stdout(status);
}
