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
    struct cli_json *out;                   /* --json */
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

static const char *const key_types[] = { "?", "string", "number", "bool" };

/* --json: one "binding" object per plugin of a binding. */
static void one_json(struct listing *l, uint32_t type, const char *section,
                     const char *plugin, const char *path,
                     const struct xlsr_plugin *d, const char *role)
{
    struct cli_json *j = l->out;
    const char *name = xlsr_rec_type_name(type);
    const char *def = default_plugin(l, type);
    char abi[16];
    snprintf(abi, sizeof(abi), "%u.%u", d->abi_major, d->abi_minor);
    cli_json_open(j);
    cli_json_str(j, "event", "binding");
    cli_json_u64(j, "type", type);
    cli_json_str(j, "name", name);
    cli_json_str(j, "section", section);
    cli_json_str(j, "role", role);
    cli_json_str(j, "plugin", plugin);
    cli_json_str(j, "version", d->version);
    cli_json_str(j, "abi", abi);
    cli_json_str(j, "path", path);
    cli_json_str(j, "default_plugin", def);
    cli_json_array(j, "keys");
    for (const struct xlsr_conf_key *k = d->conf_keys; k && k->key; k++) {
        cli_json_open(j);
        cli_json_str(j, "key", k->key);
        cli_json_str(j, "type", key_types[k->type <= 3 ? k->type : 0]);
        cli_json_bool(j, "required", k->required);
        cli_json_str(j, "default", k->def);
        cli_json_str(j, "help", k->help);
        cli_json_close(j);
    }
    cli_json_array_end(j);
    cli_json_close(j);
    cli_json_flush(j);
}

static void one(void *opaque, uint32_t type, const char *section,
                const char *plugin, const char *path,
                const struct xlsr_plugin *d, const char *role)
{
    struct listing *l = opaque;
    if (l->out) {
        one_json(l, type, section, plugin, path, d, role);
        return;
    }
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
    for (const struct xlsr_conf_key *k = d->conf_keys; l->keys && k && k->key;
         k++)
        printf("      key %s (%s%s%s%s): %s\n", k->key,
               key_types[k->type <= 3 ? k->type : 0],
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
        if (l->out) {
            cli_json_open(l->out);
            cli_json_str(l->out, "event", "unbound");
            cli_json_u64(l->out, "type", types[i]);
            cli_json_str(l->out, "name", name);
            cli_json_str(l->out, "default_plugin", default_plugin(l, types[i]));
            cli_json_close(l->out);
            cli_json_flush(l->out);
            continue;
        }
        printf("0x%08x %s\n    - not bound here (default plugin = %s)\n",
               types[i], name ? name : "(vendor)",
               default_plugin(l, types[i]));
    }
}

static void result_json(const struct cli_opts *o, int rc,
                        const struct xlsr_error *err)
{
    cli_json_open(o->out);
    cli_json_str(o->out, "event", "result");
    cli_json_str(o->out, "command", o->cmd->name);
    cli_json_bool(o->out, "ok", rc >= 0);
    cli_json_i64(o->out, "exit_status", xlsr_exit_status(rc));
    cli_json_str(o->out, "config", o->config);
    cli_json_str(o->out, "compared_with", o->default_config);
    if (rc < 0)
        cli_json_error(o->out, err);
    cli_json_close(o->out);
    cli_json_flush(o->out);
}

int cli_plugins(struct cli_opts *o)
{
    struct xlsr_session *s;
    struct xlsr_error err;
    struct listing l = { 0 };
    struct xlsr_config *def = NULL;
    int status = 2;

    struct xlsr_config *cfg = cli_load_config(o, o->config);
    if (!cfg)
        return 2;
    if (o->default_config && !(def = cli_load_config(o, o->default_config)))
        goto out;
    struct xlsr_session_opts so = { .size = sizeof(so), .log = cli_log,
                                    .opaque = o };
    if (xlsr_session_open(cfg, &o->ctx, &so, &s, &err)) {
        cli_print_error(o, "configuration", &err);
        if (o->out)
            result_json(o, err.rc, &err);
        goto out;
    }
    if (!o->out)
        printf("configuration %s, compared with %s\n", o->config,
               o->default_config ? o->default_config : "the built-in default");
    l.cfg = cfg;
    l.def = def;
    l.keys = o->verbose;
    l.out = o->out;
    xlsr_session_bindings(s, one, &l);
    removed(&l);
    xlsr_session_close(s);
    if (o->out)
        result_json(o, XLSR_OK, &err);
    status = 0;
out:
    xlsr_config_free(def);
    xlsr_config_free(cfg);
    return cli_check_stdout(status);
}
