/*
 * options.c - every option of the xlsr command, documented once, and what
 * is made from that table: the parser, --help / `xlsr help CMD`, the man
 * page's COMMANDS and OPTIONS sections (`xlsr help --roff`) and the words
 * the bash completion offers (`xlsr help --complete [CMD]`).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* --- setters ------------------------------------------------------- */

/* Decimal only, as xl and libxl write domain ids and ports: with base 0,
 * "010" would silently be domain 8. */
static int number(const char *opt, const char *text, uint32_t max,
                  uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || !*text || *end || text[0] < '0' || text[0] > '9' ||
        v > max) {
        fprintf(stderr, "xlsr: --%s: '%s' is not a decimal number up to "
                "%u\n", opt, text, max);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* Domain ids a toolstack may name: below DOMID_FIRST_RESERVED (0x7FF0,
 * xen/include/public/xen.h). */
#define DOMID_MAX 0x7FEF

static int set_config(struct cli_opts *o, const char *a)
{
    o->config = a;
    return 0;
}

static int set_verbose(struct cli_opts *o, const char *a)
{
    (void)a;
    o->verbose = o->ctx.verbose = true;
    return 0;
}

static int set_quiet(struct cli_opts *o, const char *a)
{
    (void)a;
    o->quiet = true;
    return 0;
}

static int set_json(struct cli_opts *o, const char *a)
{
    (void)a;
    o->json = true;
    return 0;
}

static int set_syslog(struct cli_opts *o, const char *a)
{
    (void)a;
    o->syslog = true;
    return 0;
}

static int set_strict(struct cli_opts *o, const char *a)
{
    (void)a;
    o->strict = true;
    return 0;
}

static int set_dry_run(struct cli_opts *o, const char *a)
{
    (void)a;
    o->ctx.dry_run = true;
    return 0;
}

static int set_default(struct cli_opts *o, const char *a)
{
    o->default_config = a;
    return 0;
}

static int set_format(struct cli_opts *o, const char *a)
{
    if (xlsr_format_parse(a, &o->format) == XLSR_OK)
        return 0;
    fprintf(stderr, "xlsr: --format: '%s' is none of auto, xl, libvirt, "
            "xenopsd, libxl, libxc\n", a);
    return -1;
}

static int set_checkpointed(struct cli_opts *o, const char *a)
{
    if (!strcmp(a, "remus"))
        o->ctx.checkpointed = XLSR_CKPT_REMUS;
    else if (!strcmp(a, "colo"))
        o->ctx.checkpointed = XLSR_CKPT_COLO;
    else {
        fprintf(stderr, "xlsr: --checkpointed: '%s' is neither remus nor "
                "colo\n", a);
        return -1;
    }
    return 0;
}

static int set_domid(struct cli_opts *o, const char *a)
{
    o->have_domid = true;
    return number("domid", a, DOMID_MAX, &o->ctx.domid);
}

static int set_dm_domid(struct cli_opts *o, const char *a)
{
    return number("dm-domid", a, DOMID_MAX, &o->ctx.dm_domid);
}

static int set_store_domid(struct cli_opts *o, const char *a)
{
    return number("store-domid", a, DOMID_MAX, &o->ctx.store_domid);
}

static int set_console_domid(struct cli_opts *o, const char *a)
{
    return number("console-domid", a, DOMID_MAX, &o->ctx.console_domid);
}

static int port(const char *opt, const char *a, int32_t *out)
{
    uint32_t v;
    if (number(opt, a, INT32_MAX, &v))
        return -1;
    *out = (int32_t)v;
    return 0;
}

static int set_store_port(struct cli_opts *o, const char *a)
{
    return port("store-port", a, &o->ctx.store_port);
}

static int set_console_port(struct cli_opts *o, const char *a)
{
    return port("console-port", a, &o->ctx.console_port);
}

/* export's own: the output file and its layout (plugins/export). */
static int set_output(struct cli_opts *o, const char *a)
{
    if (!*a || !strcmp(a, "-")) {   /* layouts are written out of order */
        fprintf(stderr, "xlsr: -o: export writes a file, not standard "
                "output ('%s')\n", a);
        return -1;
    }
    o->output = a;
    return 0;
}

static int set_force(struct cli_opts *o, const char *a)
{
    (void)a;
    o->force = true;
    return 0;
}

static int set_no_sync(struct cli_opts *o, const char *a)
{
    (void)a;
    o->no_sync = true;
    return 0;
}

static int set_mem_format(struct cli_opts *o, const char *a)
{
    static const char *const names[] = { "elf", "raw", "lime", "dump-core" };
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        if (!strcmp(a, names[i])) {
            o->mem_format = a;
            return 0;
        }
    }
    fprintf(stderr, "xlsr: --format: '%s' is none of elf, raw, lime, "
            "dump-core\n", a);
    return -1;
}

/* --- the table ----------------------------------------------------- */

const struct cli_option cli_options[] = {
    { "config", 'c', "CONF", NULL,
      "configuration file (default: $XLSR_CONFIG, else "
      XLSR_DEFAULT_CONFIG ")", set_config, NULL },
    { "verbose", 'v', NULL, NULL,
      "more detail: debug log lines; dump lists the libxc records inside "
      "LIBXC_CONTEXT; plugins lists each plugin's keys", set_verbose, NULL },
    { "quiet", 'q', NULL, NULL,
      "no info log lines (warnings and errors still)", set_quiet, NULL },
    { "json", 0, NULL, NULL,
      "machine-readable output on stdout, one JSON object per line (see "
      "JSON OUTPUT in xlsr(1)); logs stay on stderr", set_json, NULL },
    { "syslog", 0, NULL, NULL,
      "log to syslog (facility daemon, ident xlsr) instead of stderr; the "
      "final error is also printed on stderr", set_syslog, NULL },
    { "format", 0, "FMT", "auto xl libvirt xenopsd libxl libxc",
      "auto (default: the layers are detected from the first bytes), or "
      "the outermost layer the stream must have: xl (an xl save header), "
      "libvirt (a libvirt save header), xenopsd (a XenServer suspend "
      "image), libxl (a bare libxl v2 stream) or libxc (a bare libxc "
      "stream); see docs/containers.md", set_format, NULL },
    { "strict", 0, NULL, NULL,
      "bytes after END are an error (by default counted and reported: a "
      "live xl migrate carries its handshake there)", set_strict, NULL },
    { "checkpointed", 0, "KIND", "remus colo",
      "remus or colo: colo makes the core route COLO's CHECKPOINT_STATE "
      "records (checkpointed streams need no flag otherwise)",
      set_checkpointed, NULL },
    { "domid", 0, "N", NULL,
      "the domain to restore into (required)", set_domid, NULL },
    { "dm-domid", 0, "M", NULL,
      "the domain running the device model (default 0)", set_dm_domid, NULL },
    { "dry-run", 0, NULL, NULL,
      "print what each plugin would do, change nothing", set_dry_run, NULL },
    { "store-port", 0, "P", NULL,
      "xenstore event channel already set up by the toolstack",
      set_store_port, NULL },
    { "console-port", 0, "P", NULL,
      "console event channel already set up by the toolstack",
      set_console_port, NULL },
    { "store-domid", 0, "D", NULL,
      "domain serving the guest's xenstore ring (default 0)",
      set_store_domid, NULL },
    { "console-domid", 0, "D", NULL,
      "domain serving the guest's console (default 0)", set_console_domid, NULL },
    { "default", 0, "CONF", NULL,
      "compare with this configuration instead of the built-in default",
      set_default, NULL },
    { "format", 0, "FMT", "elf raw lime dump-core",
      "the output's layout: elf (default: an ELF core, one PT_LOAD per run "
      "of guest frames, a note per vCPU), raw (file offset = guest "
      "physical address, holes sparse), lime (LiME ranges) or dump-core "
      "(xl dump-core's own ELF)", set_mem_format, "export" },
    { "output", 'o', "OUT", NULL,
      "the file to write (created 0600, named only once complete)",
      set_output, "export" },
    { "force", 0, NULL, NULL,
      "replace OUT if it exists (a regular file only)", set_force,
      "export" },
    { "no-sync", 0, NULL, NULL,
      "name OUT without fsync()ing it first: as fast as cp, but a crash "
      "before the system writes it back can leave OUT with holes",
      set_no_sync, "export" },
    { "help", 'h', NULL, NULL, "this help", NULL, NULL },
    { NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

const struct cli_option *cli_option_find(const char *name)
{
    for (const struct cli_option *p = cli_options; p->name; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

const struct cli_command *cli_command_find(const char *name)
{
    for (const struct cli_command *c = cli_commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

/* Whether the command's option list names opt (every command takes
 * --help). */
bool cli_command_takes(const struct cli_command *c,
                       const struct cli_option *opt)
{
    size_t n = strlen(opt->name);
    if (!strcmp(opt->name, "help"))
        return true;
    if (opt->only && strcmp(opt->only, c->name))
        return false;
    /* A command with its own entry of this name does not take the
     * generic one (export's --format is the output's layout). */
    for (const struct cli_option *q = cli_options; !opt->only && q->name; q++)
        if (q->only && !strcmp(q->only, c->name) &&
            !strcmp(q->name, opt->name))
            return false;
    for (const char *p = c->options; p && *p;) {
        size_t w = strcspn(p, " ");
        if (w == n && !strncmp(p, opt->name, n))
            return true;
        p += w;
        p += strspn(p, " ");
    }
    return false;
}

/* --- parsing ------------------------------------------------------- */

#define MAX_OPTS 64

int cli_parse(const struct cli_command *c, int argc, char **argv,
              struct cli_opts *o, bool *done)
{
    struct option lo[MAX_OPTS + 1];
    char shorts[2 * MAX_OPTS + 2] = ":";    /* we report missing values */
    size_t n = 0, ns = 1;

    *done = false;
    /* Every option is known to the parser, so that one given to the wrong
     * command is named as such instead of "unrecognized". */
    for (const struct cli_option *p = cli_options; p->name && n < MAX_OPTS;
         p++, n++) {
        lo[n] = (struct option){ p->name, p->arg ? required_argument
                                                 : no_argument, NULL,
                                 256 + (int)n };
        if (p->short_name) {
            shorts[ns++] = p->short_name;
            if (p->arg)
                shorts[ns++] = ':';
        }
    }
    lo[n] = (struct option){ NULL, 0, NULL, 0 };
    shorts[ns] = '\0';

    memset(o, 0, sizeof(*o));
    o->cmd = c;
    o->config = cli_default_config();
    o->ctx.size = sizeof(o->ctx);
    o->ctx.mode = c->mode;
    o->ctx.store_port = o->ctx.console_port = -1;
    optind = 1;
    opterr = 0;
    for (;;) {
        int ch = getopt_long(argc, argv, shorts, lo, NULL);
        if (ch == -1)
            break;
        const char *given = optind > 0 ? argv[optind - 1] : "?";
        if (ch == '?') {
            if (optopt)
                fprintf(stderr, "xlsr %s: unknown option -%c (see xlsr "
                        "help %s)\n", c->name, optopt, c->name);
            else
                fprintf(stderr, "xlsr %s: unknown option '%s' (see xlsr "
                        "help %s)\n", c->name, given, c->name);
            return 2;
        }
        if (ch == ':') {
            if (optopt >= 256)
                fprintf(stderr, "xlsr %s: option '--%s' needs a value\n",
                        c->name, cli_options[optopt - 256].name);
            else
                fprintf(stderr, "xlsr %s: option '-%c' needs a value\n",
                        c->name, optopt);
            return 2;
        }
        const struct cli_option *p = NULL;
        if (ch >= 256)
            p = &cli_options[ch - 256];
        else
            for (const struct cli_option *q = cli_options; q->name; q++)
                if (q->short_name == ch)
                    p = q;
        if (!p)
            return 2;
        /* getopt found the first entry of that name: this command's own
         * entry may be another. */
        for (const struct cli_option *q = cli_options;
             !cli_command_takes(c, p) && q->name; q++)
            if (!strcmp(q->name, p->name) && cli_command_takes(c, q))
                p = q;
        if (!cli_command_takes(c, p)) {
            fprintf(stderr, "xlsr %s: --%s is not an option of %s (see "
                    "xlsr help %s)\n", c->name, p->name, c->name, c->name);
            return 2;
        }
        if (!p->set) {                      /* --help */
            cli_command_help(stdout, c);
            *done = true;
            return 0;
        }
        if (p->set(o, optarg))
            return 2;
    }
    if (c->operand) {
        if (optind != argc - 1) {
            fprintf(stderr, "xlsr %s: expected one input (%s: a file, or - "
                    "for standard input)%s\n", c->name, c->operand,
                    optind < argc - 1 ? ", got several" : "");
            return 2;
        }
        o->input = argv[optind];
    } else if (optind != argc) {
        fprintf(stderr, "xlsr %s: takes no operand ('%s')\n", c->name,
                argv[optind]);
        return 2;
    }
    if (c->mode == XLSR_MODE_RESTORE && c->run == cli_stream &&
        !o->have_domid) {
        fprintf(stderr, "xlsr %s: --domid is required\n", c->name);
        return 2;
    }
    return 0;
}

/* --- help ---------------------------------------------------------- */

/* Prints text wrapped at 78 columns: `pad` spaces first (the cursor is
 * then at column `col`), later lines indented by `indent`. */
static void wrap(FILE *f, const char *text, int pad, int col, int indent)
{
    int start = 1;
    fprintf(f, "%*s", pad, "");
    for (const char *p = text; *p;) {
        size_t w = strcspn(p, " ");
        if (!start && col + 1 + (int)w > 78) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
            start = 1;
        }
        if (!start) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)w, p);
        col += (int)w;
        start = 0;
        p += w;
        p += strspn(p, " ");
    }
    fputc('\n', f);
}

static void synopsis(FILE *f, const struct cli_command *c, const char *lead)
{
    fprintf(f, "%s%s [options]%s%s\n", lead, c->name, c->operand ? " " : "",
            c->operand ? c->operand : "");
}

static void option_label(char *buf, size_t len, const struct cli_option *p)
{
    char sh[8] = "    ";
    if (p->short_name)
        snprintf(sh, sizeof(sh), "-%c, ", p->short_name);
    snprintf(buf, len, "%s--%s%s%s", sh, p->name, p->arg ? " " : "",
             p->arg ? p->arg : "");
}

void cli_command_help(FILE *f, const struct cli_command *c)
{
    fprintf(f, "usage: ");
    synopsis(f, c, "xlsr ");
    fputc('\n', f);
    wrap(f, c->description, 0, 0, 0);
    fprintf(f, "\noptions:\n");
    for (const struct cli_option *p = cli_options; p->name; p++) {
        if (!cli_command_takes(c, p))
            continue;
        char label[64];
        option_label(label, sizeof(label), p);
        if (strlen(label) > 22) {
            fprintf(f, "  %s\n", label);
            wrap(f, p->help, 26, 26, 26);
        } else {
            fprintf(f, "  %-22s", label);
            wrap(f, p->help, 2, 26, 26);
        }
    }
    fprintf(f, "\nExit status: 0 success, 1 stream or handler error, "
            "2 usage or\nconfiguration error.  See xlsr(1).\n");
}

void cli_usage(FILE *f)
{
    fprintf(f, "usage: xlsr COMMAND [options] ...\n\ncommands:\n");
    for (const struct cli_command *c = cli_commands; c->name; c++)
        fprintf(f, "  %-9s %s\n", c->name, c->summary);
    fprintf(f, "  %-9s %s\n", "help", "this list, or `xlsr help COMMAND` "
            "for one command's options");
    fprintf(f, "\nxlsr --version prints the version and plugin ABI.\n"
            "The configuration defaults to $XLSR_CONFIG, else\n%s.\n"
            "Exit status: 0 success, 1 stream or handler error, 2 usage or\n"
            "configuration error.  See xlsr(1) and xlsr.ini(5).\n",
            XLSR_DEFAULT_CONFIG);
}

/* roff-escapes text: backslashes and the hyphens of options. */
static void roff_text(FILE *f, const char *s)
{
    bool line_start = true;
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else if ((*s == '.' || *s == '\'') && line_start)
            fputs("\\&.", f);
        else
            fputc(*s, f);
        line_start = false;
    }
}

/* The COMMANDS and OPTIONS sections of xlsr(1), from the tables. */
void cli_roff(FILE *f)
{
    fprintf(f, ".SH COMMANDS\n");
    for (const struct cli_command *c = cli_commands; c->name; c++) {
        fprintf(f, ".TP\n.B xlsr %s\n", c->name);
        fprintf(f, "[\\fIoptions\\fR]");
        if (c->operand) {
            fputc(' ', f);
            roff_text(f, c->operand);
        }
        fputs("\n.br\n", f);
        roff_text(f, c->description);
        fputs("\n.br\nOptions:", f);
        for (const struct cli_option *p = cli_options; p->name; p++) {
            if (!cli_command_takes(c, p) || !strcmp(p->name, "help"))
                continue;
            fputs(" \\fB\\-\\-", f);
            roff_text(f, p->name);
            fputs("\\fR", f);
        }
        fputs(".\n", f);
    }
    fprintf(f, ".TP\n.B xlsr help\n[\\fICOMMAND\\fR]\n.br\nThe list of "
            "commands, or one command's usage and options (the same as "
            "\\fBxlsr\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR).\n");
    fprintf(f, ".SH OPTIONS\n");
    for (const struct cli_option *p = cli_options; p->name; p++) {
        fprintf(f, ".TP\n");
        if (p->short_name)
            fprintf(f, "\\fB\\-%c\\fR, ", p->short_name);
        fputs("\\fB\\-\\-", f);
        roff_text(f, p->name);
        fputs("\\fR", f);
        if (p->arg) {
            fputs(" \\fI", f);
            roff_text(f, p->arg);
            fputs("\\fR", f);
        }
        fputc('\n', f);
        roff_text(f, p->help);
        fputs(" (", f);
        bool first = true;
        for (const struct cli_command *c = cli_commands; c->name; c++) {
            if (!cli_command_takes(c, p))
                continue;
            fprintf(f, "%s%s", first ? "" : ", ", c->name);
            first = false;
        }
        fputs(")\n", f);
    }
}

/* For the bash completion: the commands, or one command's options (and
 * the values of those with a fixed set, as --format=auto ...). */
void cli_completion_words(FILE *f, const char *cmd)
{
    const struct cli_command *c = cmd ? cli_command_find(cmd) : NULL;
    if (!cmd) {
        for (c = cli_commands; c->name; c++)
            fprintf(f, "%s\n", c->name);
        fprintf(f, "help\n");
        return;
    }
    if (!c)
        return;
    for (const struct cli_option *p = cli_options; p->name; p++) {
        if (!cli_command_takes(c, p))
            continue;
        fprintf(f, "--%s%s\n", p->name, p->arg ? "=" : "");
        for (const char *v = p->choices; v && *v;) {
            size_t w = strcspn(v, " ");
            fprintf(f, "--%s=%.*s\n", p->name, (int)w, v);
            v += w;
            v += strspn(v, " ");
        }
    }
}

/* xlsr help [COMMAND] | --roff | --complete [COMMAND] */
int cli_help(int argc, char **argv)
{
    if (argc == 1) {
        cli_usage(stdout);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--roff")) {
        cli_roff(stdout);
        return 0;
    }
    if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--complete")) {
        cli_completion_words(stdout, argc == 3 ? argv[2] : NULL);
        return 0;
    }
    const struct cli_command *c = argc == 2 ? cli_command_find(argv[1])
                                            : NULL;
    if (argc == 2 && !strcmp(argv[1], "help")) {
        cli_usage(stdout);
        return 0;
    }
    if (!c && argc == 2) {
        fprintf(stderr, "xlsr help: '%s' is not a command (`xlsr help` "
                "lists them)\n", argv[1]);
        return 2;
    }
    if (!c) {
        fprintf(stderr, "xlsr help: one command at most\n");
        return 2;
    }
    cli_command_help(stdout, c);
    return 0;
}
