/*
 * plugins_cmd.c - `xlsr plugins`: load and initialise every handler the
 * configuration binds, as `xlsr verify` would (checks that only a real
 * restore makes, such as a hypervisor being there, are left to restore),
 * list each record type with its binding, plugin file, version and ABI,
 * mark what differs from the default configuration, and exit.
 *
 * The default is conf/xlsr.ini's set of bindings, compiled in below (a
 * test keeps the two in step), or any file given with --default.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    uint32_t type;
    const char *plugin;
    const char *key, *value;    /* the one plugin key conf/xlsr.ini sets */
} builtin_default[] = {
    { XLSR_REC_END, "end", NULL, NULL },
    { XLSR_REC_LIBXC_CONTEXT, "libxc", "mode", "restore" },
    { XLSR_REC_EMULATOR_XENSTORE_DATA, "xenstore", NULL, NULL },
    { XLSR_REC_EMULATOR_CONTEXT, "emulator", NULL, NULL },
    { XLSR_REC_CHECKPOINT_STATE, "colo", NULL, NULL },
};
#define NDEFAULT (sizeof(builtin_default) / sizeof(*builtin_default))

struct listing {
    const struct xlsr_config *cfg, *def;    /* def NULL: built-in */
    bool keys;                              /* -v: declared keys too */
    uint32_t last_type;
    bool any;
};

/* A key of the default configuration's binding for type, or NULL. */
static const char *default_key(const struct listing *l, uint32_t type,
                               const char *key)
{
    if (l->def)
        return xlsr_config_get(l->def, type, key);
    for (size_t i = 0; i < NDEFAULT; i++) {
        if (builtin_default[i].type != type)
            continue;
        if (!strcmp(key, "plugin"))
            return builtin_default[i].plugin;
        if (builtin_default[i].key && !strcmp(key, builtin_default[i].key))
            return builtin_default[i].value;
    }
    return NULL;
}

static const char *default_plugin(const struct listing *l, uint32_t type)
{
    return default_key(l, type, "plugin");
}

struct keydiff {
    const struct listing *l;
    uint32_t type;
    int n;
};

/* Keys of this binding that the default does not have, or has otherwise. */
static void key_diff(void *opaque, const char *key, const char *value)
{
    struct keydiff *k = opaque;
    if (!strcmp(key, "plugin"))
        return;
    const char *d = default_key(k->l, k->type, key);
    if (d && !strcmp(d, value))
        return;
    printf("%s%s = %s%s%s%s", k->n++ ? ", " : "    differs: ", key, value,
           d ? " (default " : "", d ? d : "", d ? ")" : "");
}

static void mark(const struct listing *l, uint32_t type, const char *plugin)
{
    const char *d = default_plugin(l, type);
    if (!d)
        printf("    + not in the default configuration\n");
    else if (strcmp(d, plugin))
        printf("    * differs: plugin = %s (default %s)\n", plugin, d);
    struct keydiff k = { l, type, 0 };
    xlsr_config_keys(l->cfg, type, key_diff, &k);
    if (k.n)
        printf("\n");
    if (d && !strcmp(d, plugin) && !k.n)
        printf("    = as in the default configuration\n");
}

static void one(void *opaque, uint32_t type, const char *section,
                const char *plugin, const char *path,
                const struct xlsr_plugin *d, const char *role)
{
    struct listing *l = opaque;
    /* [xenopsd.*]: a container's record type (docs/containers.md), not
     * compared with the default's libxl bindings. */
    bool container = strncmp(section, "record.", 7) != 0;
    const char *name = container ? xlsr_xenopsd_type_name(type)
                                 : xlsr_rec_type_name(type);
    bool first = !l->any || type != l->last_type;
    if (first)
        printf("0x%08x %s [%s]\n", type, name ? name : "(vendor)", section);
    printf("    %s: %s %s, ABI %u.%u, %s\n", role, plugin, d->version,
           d->abi_major, d->abi_minor, path);
    if (first && !container)
        mark(l, type, xlsr_config_get(l->cfg, type, "plugin"));
    static const char *const types[] = { "?", "string", "number", "bool" };
    for (const struct xlsr_conf_key *k = d->conf_keys; l->keys && k && k->key;
         k++)
        printf("      key %s (%s%s%s%s): %s\n", k->key,
               types[k->type <= 3 ? k->type : 0],
               k->required ? ", required" : "", k->def ? ", default " : "",
               k->def ? k->def : "", k->help ? k->help : "");
    l->last_type = type;
    l->any = true;
}

/* Default bindings this configuration drops. */
static void removed(const struct listing *l)
{
    uint32_t types[64];
    size_t n;
    if (l->def) {
        n = xlsr_config_types(l->def, types, 64);
        n = n < 64 ? n : 64;
    } else {
        n = NDEFAULT;
        for (size_t i = 0; i < n; i++)
            types[i] = builtin_default[i].type;
    }
    for (size_t i = 0; i < n; i++) {
        if (xlsr_config_get(l->cfg, types[i], "plugin"))
            continue;
        const char *name = xlsr_rec_type_name(types[i]);
        printf("0x%08x %s\n    - not bound here (default plugin = %s)\n",
               types[i], name ? name : "(vendor)",
               default_plugin(l, types[i]));
    }
}

int cli_plugins(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "default", required_argument, NULL, 'd' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_opts o;
    struct xlsr_session *s;
    struct xlsr_error err;
    struct listing l = { 0 };
    struct xlsr_config *def = NULL;
    const char *def_path = NULL;
    int c, status = 2;

    memset(&o, 0, sizeof(o));
    o.config = cli_default_config();
    o.ctx.size = sizeof(o.ctx);
    o.ctx.mode = XLSR_MODE_VERIFY;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:v", opts, NULL)) != -1) {
        if (c == 'c')
            o.config = optarg;
        else if (c == 'v')
            l.keys = true;
        else if (c == 'd')
            def_path = optarg;
        else
            return 2;
    }
    if (optind != argc) {
        fprintf(stderr, "xlsr: plugins takes no input\n");
        return 2;
    }
    struct xlsr_config *cfg = cli_load_config(o.config);
    if (!cfg)
        return 2;
    if (def_path && !(def = cli_load_config(def_path)))
        goto out;
    struct xlsr_session_opts so = { .size = sizeof(so), .log = cli_log,
                                    .opaque = &o };
    if (xlsr_session_open(cfg, &o.ctx, &so, &s, &err)) {
        cli_print_error("configuration", &err);
        goto out;
    }
    printf("configuration %s, compared with %s\n", o.config,
           def_path ? def_path : "the built-in default");
    l.cfg = cfg;
    l.def = def;
    xlsr_session_bindings(s, one, &l);
    removed(&l);
    xlsr_session_close(s);
    status = 0;
out:
    xlsr_config_free(def);
    xlsr_config_free(cfg);
    return cli_check_stdout(status);
}
