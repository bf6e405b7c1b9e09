/*
 * main.c - the xlsr command: the command table (a new command is one
 * entry here), dispatch, and the helpers every command shares: the
 * configuration, error and log output (stderr or syslog, never mixed up
 * with a progress line) and plugin output (text or JSON); and what must
 * happen before anything else: descriptors 0-2 made open, and a crash
 * handler that names the step (the plugin) that crashed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

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
    { "export", cli_export, XLSR_MODE_VERIFY, "FILE|-",
      "config verbose quiet syslog format output force no-sync checkpointed",
      "write the guest's memory out of a stream (ELF, raw, LiME, dump-core)",
      "Writes the guest memory a save or migration stream carries to OUT, "
      "through the exporter export.ini binds to LIBXC_CONTEXT "
      "(plugins/export): an ELF core with one PT_LOAD per run of frames "
      "and a note per vCPU, a raw image (file offset = guest physical "
      "address), LiME, or xl dump-core's own ELF. Every other record is "
      "checked as verify does; nothing but OUT is written, created 0600 "
      "and named only when the stream succeeded. A checkpointed stream "
      "gives the memory of its last complete checkpoint. The "
      "configuration defaults to $XLSR_EXPORT_CONFIG, else export.ini "
      "beside the default xlsr.ini. See docs/export.md." },
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
    if (level == XLSR_LOG_DEBUG)
        cli_step(msg);          /* what the crash handler names */
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

/* What the process is doing, for the crash handler (a plugin's init
 * runs foreign code; the core logs each one at debug level). */
static char step[256] = "starting";

void cli_step(const char *what)
{
    snprintf(step, sizeof(step), "%s", what);
}

/* Async-signal-safe: write() of fixed pieces only. */
static void say(const char *text)
{
    if (write(STDERR_FILENO, text, strlen(text)) < 0)
        return;         /* nothing more to do in a dying process */
}

static void crashed(int sig)
{
    say("xlsr: fatal signal ");
    say(sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS"
        : sig == SIGILL ? "SIGILL" : "SIGFPE");
    say(" during ");
    say(step);
    say("\n");
    signal(sig, SIG_DFL);
    raise(sig);
}

static void crash_handlers(void)
{
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = crashed;
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
        sigaction(sigs[i], &sa, NULL);
}

/* A descriptor 0-2 closed by whoever started us would be handed to the
 * first file we open (a plugin, then read as the stream on `-`, or a
 * config receiving our output): make each one /dev/null first. */
static int open_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int n = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
        if (n != fd) {
            if (n >= 0)
                close(n);
            return -1;
        }
    }
    return 0;
}

int cli_check_stdout(int status)
{
    /* A report that did not reach its reader is a failure, not a 0. */
    if (fflush(stdout) == 0 && !ferror(stdout))
        return status;
    fprintf(stderr, "xlsr: standard output: %s\n", strerror(errno));
    return status ? status : 1;
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

    if (open_std_fds() < 0)
        return 127;     /* nowhere to say it: stderr may be what failed */
    crash_handlers();
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
