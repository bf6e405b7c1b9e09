/*
 * plugins_cmd.c - `xlsr plugins`: load and initialise every handler the
 * configuration binds (exactly what a restore would do before reading),
 * list them, and exit.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void one(void *opaque, uint32_t type, const char *section,
                const char *plugin, const char *path,
                const struct xlsr_plugin *d, const char *role)
{
    (void)opaque;
    const char *name = xlsr_rec_type_name(type);
    printf("0x%08x %-22s [%s] plugin %s %s (ABI %u.%u) %s %s\n", type,
           name ? name : "-", section, plugin, d->version, d->abi_major,
           d->abi_minor, path, role);
}

int cli_plugins(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_opts o;
    struct xlsr_session *s;
    struct xlsr_error err;
    int c;

    memset(&o, 0, sizeof(o));
    o.config = cli_default_config();
    o.ctx.size = sizeof(o.ctx);
    o.ctx.mode = XLSR_MODE_VERIFY;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        if (c != 'c')
            return 2;
        o.config = optarg;
    }
    if (optind != argc) {
        fprintf(stderr, "xlsr: plugins takes no input\n");
        return 2;
    }
    struct xlsr_config *cfg = cli_load_config(o.config);
    if (!cfg)
        return 2;
    struct xlsr_session_opts so = { .size = sizeof(so), .log = cli_log,
                                    .opaque = &o };
    if (xlsr_session_open(cfg, &o.ctx, &so, &s, &err)) {
        cli_print_error("configuration", &err);
        xlsr_config_free(cfg);
        return 2;
    }
    printf("configuration %s\n", o.config);
    xlsr_session_bindings(s, one, NULL);
    xlsr_session_close(s);
    xlsr_config_free(cfg);
    return 0;
}
