/*
 * main.c - the xlsr command: subcommand table and shared helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    { "dump", cmd_dump, "dump    [-c CONF] [-v] [--format auto|xl|libxl] "
      "[--strict] [--checkpointed remus|colo] FILE|-" },
    { "verify", cmd_verify, "verify  [-c CONF] [--format auto|xl|libxl] "
      "[--strict] [--checkpointed remus|colo] FILE|-" },
    { "restore", cmd_restore, "restore [-c CONF] --domid N [--dm-domid M] "
      "[--dry-run] [--store-port P] [--console-port P]\n"
      "                [--store-domid D] [--console-domid D] "
      "[--checkpointed remus|colo] FILE|-" },
    { "plugins", cli_plugins, "plugins [-c CONF] [-v] [--default CONF]" },
    { "export", cli_export, "export  [-c CONF] "
      "[--format elf|raw|lime|dump-core] -o OUT [--force]\n"
      "                [--checkpointed remus|colo] FILE|-" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: xlsr COMMAND [options]\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  xlsr %s\n", commands[i].usage);
    fprintf(f, "\nThe configuration defaults to $XLSR_CONFIG, else %s.\n"
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

void cli_log(void *opaque, enum xlsr_log_level level, const char *msg)
{
    static const char *const names[] = { "error", "warning", "info",
                                         "debug" };
    const struct cli_opts *o = opaque;
    if (level == XLSR_LOG_DEBUG && !o->verbose)
        return;
    if (level == XLSR_LOG_INFO && o->quiet)
        return;
    fprintf(stderr, "xlsr: %s: %s\n", names[level], msg);
}

void cli_print(void *opaque, const char *text)
{
    (void)opaque;
    fputs(text, stdout);
    fputc('\n', stdout);
}

int main(int argc, char **argv)
{
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
