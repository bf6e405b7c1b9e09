/*
 * cli.h - shared pieces of the xlsr command's subcommands.
 */
#ifndef XLSR_CLI_H
#define XLSR_CLI_H

#include <xlsr/xlsr.h>

struct cli_opts {
    const char *config;
    const char *input;          /* path or "-" */
    enum xlsr_format format;
    bool strict, verbose, quiet;
    struct xlsr_restore_ctx ctx;
};

/* Each subcommand: parse its own options from argv, return exit status. */
int cli_stream(int argc, char **argv, enum xlsr_mode mode);
int cli_plugins(int argc, char **argv);
int cli_export(int argc, char **argv);

/* Loads the configuration, printing any error; NULL on failure. */
struct xlsr_config *cli_load_config(const char *path);
void cli_print_error(const char *what, const struct xlsr_error *err);
void cli_log(void *opaque, enum xlsr_log_level level, const char *msg);
void cli_print(void *opaque, const char *text);
const char *cli_default_config(void);

#endif
