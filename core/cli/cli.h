/*
 * cli.h - shared pieces of the xlsr command: the parsed options, the
 * option and command tables (options.c, main.c) and the helpers every
 * subcommand uses (configuration, logging, JSON output).
 */
#ifndef XLSR_CLI_H
#define XLSR_CLI_H

#include <stdio.h>

#include <xlsr/xlsr.h>

struct cli_command;

/* Everything any command's options can set; each command reads its own. */
struct cli_opts {
    const struct cli_command *cmd;
    const char *config;
    const char *input;          /* path or "-"; NULL for commands without */
    const char *default_config; /* plugins --default */
    enum xlsr_format format;
    bool strict, verbose, quiet, json, syslog;
    bool have_domid;
    struct xlsr_restore_ctx ctx;
    struct cli_json *out;       /* --json: the writer; NULL otherwise */
    /* export: -o, --format (the output's layout), --force, --no-sync. */
    const char *output, *mem_format;
    bool force, no_sync;
    uint64_t input_size;        /* a regular file's size, for progress */
    /* Set while a progress line is on the terminal (see cli_log). */
    bool progress_shown;
};

/*
 * One option, documented once: --help, `xlsr help CMD`, the man page
 * (`xlsr help --roff`) and the bash completion are all made from this.
 * set() stores the value and, on a bad one, prints an error that names
 * the option; it returns 0 or -1.
 */
struct cli_option {
    const char *name;           /* long name, without -- */
    char short_name;            /* 0: none */
    const char *arg;            /* metavariable ("CONF"), NULL: a flag */
    const char *choices;        /* "auto xl libxl" for completion, or NULL */
    const char *help;
    int (*set)(struct cli_opts *o, const char *arg);
    /* NULL: any command that lists the name; else only this command, and
     * the generic entry of the same name is not that command's. */
    const char *only;
};

/*
 * One command: a new command is one entry in main.c's table, naming the
 * options (from options.c) it takes.
 */
struct cli_command {
    const char *name;
    int (*run)(struct cli_opts *o);
    enum xlsr_mode mode;
    const char *operand;        /* "FILE|-", or NULL: takes none */
    const char *options;        /* long names, space-separated */
    const char *summary;        /* one line */
    const char *description;    /* a paragraph, wrapped by the printer */
};

extern const struct cli_option cli_options[];
extern const struct cli_command cli_commands[];

const struct cli_option *cli_option_find(const char *name);
const struct cli_command *cli_command_find(const char *name);
bool cli_command_takes(const struct cli_command *c, const struct cli_option *opt);
/* Parses argv (argv[0] is the command name) into o: 0, or an exit
 * status (0 after --help, 2 on a usage error). */
int cli_parse(const struct cli_command *c, int argc, char **argv,
              struct cli_opts *o, bool *done);
void cli_usage(FILE *f);
void cli_command_help(FILE *f, const struct cli_command *c);
void cli_roff(FILE *f);
void cli_completion_words(FILE *f, const char *cmd);
int cli_help(int argc, char **argv);

/* The subcommands. */
int cli_stream(struct cli_opts *o);
int cli_plugins(struct cli_opts *o);
int cli_export(struct cli_opts *o);

/* Loads the configuration, printing any error; NULL on failure. */
struct xlsr_config *cli_load_config(struct cli_opts *o, const char *path);
void cli_print_error(struct cli_opts *o, const char *what,
                     const struct xlsr_error *err);
void cli_log(void *opaque, enum xlsr_log_level level, const char *msg);
void cli_logf(struct cli_opts *o, enum xlsr_log_level level,
              const char *fmt, ...) XLSR_PRINTF(3, 4);
void cli_print(void *opaque, const char *text);
const char *cli_default_config(void);
/* Flushes stdout: status, or 1 (with a message) if the output was lost. */
int cli_check_stdout(int status);
/* Names what is running now, for the crash message (main.c). */
void cli_step(const char *what);

/* JSON output (json.c): one object per line on stdout, through yajl. */
struct cli_json;
struct cli_json *cli_json_new(void);
void cli_json_free(struct cli_json *j);
void cli_json_open(struct cli_json *j);             /* { */
void cli_json_close(struct cli_json *j);            /* } */
void cli_json_array(struct cli_json *j, const char *key);  /* "key": [ */
void cli_json_array_end(struct cli_json *j);
void cli_json_object(struct cli_json *j, const char *key); /* "key": { */
void cli_json_str(struct cli_json *j, const char *key, const char *v);
void cli_json_u64(struct cli_json *j, const char *key, uint64_t v);
void cli_json_i64(struct cli_json *j, const char *key, int64_t v);
void cli_json_bool(struct cli_json *j, const char *key, bool v);
void cli_json_error(struct cli_json *j, const struct xlsr_error *err);
/* Writes the finished top-level object as one line and resets. */
int cli_json_flush(struct cli_json *j);

#endif
