/*
 * main.c - the xlsr command: the command table (a new command is one
 * entry here), dispatch, and the helpers every command shares: the
 * configuration, error and log output (stderr or syslog, never mixed up
 * with a progress line) and plugin output (text or JSON).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cli.h"

#define STREAM_OPTS "config verbose quiet json syslog format strict " \
                    "checkpointed"

const struct cli_command cli_commands[] = {
    { "dump", cli_stream, XLSR_MODE_DUMP, "FILE|-", STREAM_OPTS,
      "print every header and record of a stream",
      "Prints every record: byte offset, type number and name, body length "
      "(and the xl header's flags and config length), plus what each "
      "plugin reports; -v lists the libxc records inside LIBXC_CONTEXT "
      "too. Checks everything verify checks." },
    { "verify", cli_stream, XLSR_MODE_VERIFY, "FILE|-", STREAM_OPTS,
      "check a stream through the configured plugins, changing nothing",
      "Checks every layer of the stream (xl header, libxl records, the "
      "libxc stream and every record a plugin handles) without side "
      "effects: the structure, lengths and values, not the page contents "
      "(the format carries no checksums). Bytes after END are counted and "
      "reported; --strict makes them an error. Prints what plugins report "
      "and one summary line." },
    { "restore", cli_stream, XLSR_MODE_RESTORE, "FILE|-",
      STREAM_OPTS " domid dm-domid dry-run store-port console-port "
      "store-domid console-domid",
      "restore a stream into domain N (or describe it with --dry-run)",
      "Applies the stream to domain N through the configured plugins: the "
      "libxc stream with libxenguest (needs a Xen dom0), the device model "
      "state to its file or command, the xenstore keys. --dry-run prints "
      "what each plugin would do. The port and domid options let a "
      "toolstack that prepared the domain itself run the middle part." },
    { "plugins", cli_plugins, XLSR_MODE_VERIFY, NULL,
      "config verbose quiet json syslog default",
      "load and check every configured plugin, list the bindings",
      "Loads and initialises every configured handler as verify would, "
      "lists each record type with its plugin file, version and ABI, marks "
      "what differs from the default configuration (or --default CONF), "
      "and exits. Checks only a real restore makes are left to restore." },
    { NULL, NULL, 0, NULL, NULL, NULL, NULL },
};

const char *cli_default_config(void)
{
    const char *env = getenv("XLSR_CONFIG");
    return env && *env ? env : XLSR_DEFAULT_CONFIG;
}

/* A progress line is on the terminal: clear it before a log line. */
static void clear_progress(struct cli_opts *o)
{
    if (o && o->progress_shown) {
        fputs("\r\033[K", stderr);
        o->progress_shown = false;
    }
}

static const char *const level_names[] = { "error", "warning", "info",
                                           "debug" };

void cli_log(void *opaque, enum xlsr_log_level level, const char *msg)
{
    static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    struct cli_opts *o = opaque;
    if (level > XLSR_LOG_DEBUG)
        level = XLSR_LOG_DEBUG;
    if (level == XLSR_LOG_DEBUG && !o->verbose)
        return;
    if (level == XLSR_LOG_INFO && o->quiet)
        return;
    if (o->syslog) {
        syslog(prio[level], "%s: %s", level_names[level], msg);
        return;
    }
    clear_progress(o);
    fprintf(stderr, "xlsr: %s: %s\n", level_names[level], msg);
}

void cli_logf(struct cli_opts *o, enum xlsr_log_level level,
              const char *fmt, ...)
{
    char buf[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    cli_log(o, level, buf);
}

/* An error the run ends with: on stderr always (whoever started xlsr
 * sees why it failed), and in syslog too with --syslog. */
void cli_print_error(struct cli_opts *o, const char *what,
                     const struct xlsr_error *err)
{
    char buf[1200];
    xlsr_error_format(err, buf, sizeof(buf));
    clear_progress(o);
    fprintf(stderr, "xlsr: %s: %s\n", what, buf);
    if (o && o->syslog)
        syslog(LOG_ERR, "%s: %s", what, buf);
}

struct xlsr_config *cli_load_config(struct cli_opts *o, const char *path)
{
    struct xlsr_config *cfg;
    struct xlsr_error err;
    if (xlsr_config_load(path, &cfg, &err)) {
        cli_print_error(o, "configuration", &err);
        if (o->out) {
            cli_json_open(o->out);
            cli_json_str(o->out, "event", "result");
            cli_json_str(o->out, "command", o->cmd->name);
            cli_json_bool(o->out, "ok", false);
            cli_json_i64(o->out, "exit_status", xlsr_exit_status(err.rc));
            cli_json_error(o->out, &err);
            cli_json_close(o->out);
            cli_json_flush(o->out);
        }
        return NULL;
    }
    return cfg;
}

/* What plugins print: a line on stdout, or with --json an "output"
 * object. */
void cli_print(void *opaque, const char *text)
{
    struct cli_opts *o = opaque;
    clear_progress(o);
    if (o && o->out) {
        cli_json_open(o->out);
        cli_json_str(o->out, "event", "output");
        cli_json_str(o->out, "text", text);
        cli_json_close(o->out);
        cli_json_flush(o->out);
        return;
    }
    fputs(text, stdout);
    fputc('\n', stdout);
}

int main(int argc, char **argv)
{
    struct cli_opts o;
    bool done;

    if (argc < 2) {
        cli_usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        cli_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("xlsr %s (plugin ABI %u.%u)\n", XLSR_VERSION, XLSR_ABI_MAJOR,
               XLSR_ABI_MINOR);
        return 0;
    }
    if (!strcmp(argv[1], "help"))
        return cli_help(argc - 1, argv + 1);
    const struct cli_command *c = cli_command_find(argv[1]);
    if (!c) {
        fprintf(stderr, "xlsr: '%s' is not a command (`xlsr help` lists "
                "them)\n", argv[1]);
        return 2;
    }
    int rc = cli_parse(c, argc - 1, argv + 1, &o, &done);
    if (rc || done)
        return rc;
    if (o.syslog)
        openlog("xlsr", LOG_PID, LOG_DAEMON);
    if (o.json && !(o.out = cli_json_new())) {
        fprintf(stderr, "xlsr: out of memory\n");
        return 1;
    }
    rc = c->run(&o);
    cli_json_free(o.out);
    if (o.syslog)
        closelog();
    return rc;
}
