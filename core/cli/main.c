/*
 * main.c - the xlsr command: subcommand table and shared helpers, and
 * what must happen before anything else: descriptors 0-2 made open, and
 * a crash handler that names the step (the plugin) that crashed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int cmd_dump(int argc, char **argv)
{
    return cli_stream(argc, argv, XLSR_MODE_DUMP);
}

static int cmd_verify(int argc, char **argv)
{
    return cli_stream(argc, argv, XLSR_MODE_VERIFY);
}

static int cmd_restore(int argc, char **argv)
{
    return cli_stream(argc, argv, XLSR_MODE_RESTORE);
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
} commands[] = {
    { "dump", cmd_dump, "dump    [-c CONF] [-v] [--format FORMAT] "
      "[--strict] [--checkpointed remus|colo] FILE|-" },
    { "verify", cmd_verify, "verify  [-c CONF] [--format FORMAT] "
      "[--strict] [--checkpointed remus|colo] FILE|-" },
    { "restore", cmd_restore, "restore [-c CONF] --domid N [--dm-domid M] "
      "[--dry-run] [--store-port P] [--console-port P]\n"
      "                [--store-domid D] [--console-domid D] "
      "[--checkpointed remus|colo] FILE|-" },
    { "plugins", cli_plugins, "plugins [-c CONF] [-v] [--default CONF]" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: xlsr COMMAND [options]\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  xlsr %s\n", commands[i].usage);
    fprintf(f, "\nThe configuration defaults to $XLSR_CONFIG, else %s.\n"
            "FORMAT: auto (default: detected), xl, libvirt, xenopsd, "
            "libxl, libxc.\n"
            "Exit status: 0 success, 1 stream or handler error, "
            "2 usage or configuration error.\n", XLSR_DEFAULT_CONFIG);
}

const char *cli_default_config(void)
{
    const char *env = getenv("XLSR_CONFIG");
    return env && *env ? env : XLSR_DEFAULT_CONFIG;
}

void cli_print_error(const char *what, const struct xlsr_error *err)
{
    char buf[1200];
    xlsr_error_format(err, buf, sizeof(buf));
    fprintf(stderr, "xlsr: %s: %s\n", what, buf);
}

struct xlsr_config *cli_load_config(const char *path)
{
    struct xlsr_config *cfg;
    struct xlsr_error err;
    if (xlsr_config_load(path, &cfg, &err)) {
        cli_print_error("configuration", &err);
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

void cli_log(void *opaque, enum xlsr_log_level level, const char *msg)
{
    static const char *const names[] = { "error", "warning", "info",
                                         "debug" };
    const struct cli_opts *o = opaque;
    if (level == XLSR_LOG_DEBUG)
        cli_step(msg);
    if (level == XLSR_LOG_DEBUG && !o->verbose)
        return;
    if (level == XLSR_LOG_INFO && o->quiet)
        return;
    fprintf(stderr, "xlsr: %s: %s\n", names[level], msg);
}

int cli_check_stdout(int status)
{
    /* A report that did not reach its reader is a failure, not a 0. */
    if (fflush(stdout) == 0 && !ferror(stdout))
        return status;
    fprintf(stderr, "xlsr: standard output: %s\n", strerror(errno));
    return status ? status : 1;
}

void cli_print(void *opaque, const char *text)
{
    (void)opaque;
    fputs(text, stdout);
    fputc('\n', stdout);
}

int main(int argc, char **argv)
{
    if (open_std_fds() < 0)
        return 127;     /* nowhere to say it: stderr may be what failed */
    crash_handlers();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("xlsr %s (plugin ABI %u.%u)\n", XLSR_VERSION, XLSR_ABI_MAJOR,
               XLSR_ABI_MINOR);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "xlsr: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
