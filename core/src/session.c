/*
 * session.c - one stream's life around the run: load every configured
 * plugin, check each binding's keys against the plugin's declared table,
 * call init (all before the first byte is read), and at the end fini and
 * unload.  The routing table lives here too.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Keys of a [record.*] section the core itself owns. */
static const char *const binding_keys[] = { "plugin" };

/* Record types followed by an inline sub-stream on the same fd. */
static bool carries_substream(uint32_t type)
{
    return type == XLSR_REC_LIBXC_CONTEXT;
}

static struct xlsr_loaded *find_or_load(struct xlsr_session *s,
                                        const char *name,
                                        struct xlsr_error *err, int *rc)
{
    for (size_t i = 0; i < s->nplugins; i++)
        if (!strcmp(s->plugins[i].name, name))
            return &s->plugins[i];
    *rc = xlsr__plugin_load(s->cfg, name, &s->plugins[s->nplugins], err);
    return *rc ? NULL : &s->plugins[s->nplugins++];
}

static const struct xlsr_conf_key *declared(const struct xlsr_plugin *d,
                                            const char *key)
{
    for (const struct xlsr_conf_key *k = d->conf_keys; k && k->key; k++)
        if (!strcmp(k->key, key))
            return k;
    return NULL;
}

static int bad_key(const struct xlsr_session *s, struct xlsr_error *err,
                   unsigned line, const char *fmt, ...) XLSR_PRINTF(4, 5);
static int bad_key(const struct xlsr_session *s, struct xlsr_error *err,
                   unsigned line, const char *fmt, ...)
{
    va_list ap;
    xlsr__err_where(err, "%s:%u", s->cfg->path, line);
    err->rc = XLSR_ERR_CONFIG;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
    va_end(ap);
    return XLSR_ERR_CONFIG;
}

/* Every key is the core's or declared by the plugin, with a valid value;
 * every required key is there. */
static int check_keys(const struct xlsr_session *s,
                      const struct xlsr_binding *b, struct xlsr_error *err)
{
    const struct xlsr_plugin *d = b->plugin->desc;
    const struct xlsr_conf_section *sec = b->sec;

    for (size_t i = 0; i < sec->nkv; i++) {
        const struct xlsr_conf_kv *kv = &sec->kv[i];
        bool core = false;
        for (size_t j = 0; j < sizeof(binding_keys) / sizeof(*binding_keys);
             j++)
            core |= !strcmp(kv->key, binding_keys[j]);
        if (core)
            continue;
        const struct xlsr_conf_key *k = declared(d, kv->key);
        if (!k)
            return bad_key(s, err, kv->line, "[%s]: unknown key '%s' "
                           "(plugin %s declares no such key)", sec->name,
                           kv->key, d->name);
        uint64_t u;
        bool bl;
        if ((k->type == XLSR_CONF_U64 && xlsr__parse_u64(kv->value, &u)) ||
            (k->type == XLSR_CONF_BOOL && xlsr__parse_bool(kv->value, &bl)))
            return bad_key(s, err, kv->line, "[%s]: %s = '%s' is not a %s",
                           sec->name, kv->key, kv->value,
                           k->type == XLSR_CONF_U64 ? "number" : "boolean");
    }
    for (const struct xlsr_conf_key *k = d->conf_keys; k && k->key; k++)
        if (k->required && !xlsr__conf_get(sec, k->key, NULL))
            return bad_key(s, err, sec->line, "[%s]: plugin %s requires "
                           "key '%s'", sec->name, d->name, k->key);
    return XLSR_OK;
}

static int bind_all(struct xlsr_session *s, struct xlsr_error *err)
{
    const struct xlsr_config *c = s->cfg;
    int rc = XLSR_OK;

    s->plugins = calloc(c->nsec ? c->nsec : 1, sizeof(*s->plugins));
    s->bind = calloc(c->nsec ? c->nsec : 1, sizeof(*s->bind));
    if (!s->plugins || !s->bind)
        return xlsr__fail(err, XLSR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->nsec; i++) {
        const struct xlsr_conf_section *sec = &c->sec[i];
        struct xlsr_binding *b = &s->bind[s->nbind];
        const char *name = xlsr__conf_get(sec, "plugin", NULL);
        b->type = sec->type;
        b->sec = sec;
        b->handle.s = s;
        b->handle.b = b;
        b->plugin = find_or_load(s, name, err, &rc);
        if (!b->plugin) {
            xlsr__err_type(err, sec->type);
            snprintf(err->handler, sizeof(err->handler), "%s", name);
            return rc;
        }
        s->nbind++;
        rc = check_keys(s, b, err);
        if (rc)
            return rc;
        if (carries_substream(b->type) && !b->plugin->desc->substream) {
            xlsr__err_where(err, "%s:%u", c->path, sec->line);
            return xlsr__fail(err, XLSR_ERR_CONFIG, "[%s]: plugin %s cannot "
                              "read the inline stream that follows this "
                              "record (no substream handler)", sec->name,
                              name);
        }
    }
    return XLSR_OK;
}

static int init_all(struct xlsr_session *s, struct xlsr_error *err)
{
    for (size_t i = 0; i < s->nbind; i++) {
        struct xlsr_binding *b = &s->bind[i];
        const struct xlsr_plugin *d = b->plugin->desc;
        if (!d->init) {
            b->inited = true;
            continue;
        }
        s->reason_set = false;
        int rc = d->init(&xlsr__host, &b->handle, &b->state);
        if (rc < 0) {
            snprintf(err->handler, sizeof(err->handler), "%s", d->name);
            xlsr__err_where(err, "%s:%u", s->cfg->path, b->sec->line);
            xlsr__err_type(err, b->type);
            return xlsr__fail(err, XLSR_ERR_CONFIG, "init failed: %s",
                              s->reason_set ? s->reason : xlsr_strerror(rc));
        }
        b->inited = true;
    }
    return XLSR_OK;
}

XLSR_API int xlsr_session_open(const struct xlsr_config *cfg,
                               struct xlsr_restore_ctx *ctx,
                               const struct xlsr_session_opts *opts,
                               struct xlsr_session **out,
                               struct xlsr_error *err)
{
    struct xlsr_error dummy;
    struct xlsr_session *s = calloc(1, sizeof(*s));
    int rc;

    if (!err)
        err = &dummy;
    memset(err, 0, sizeof(*err));
    *out = NULL;
    if (!s)
        return xlsr__fail(err, XLSR_ERR_NOMEM, "out of memory");
    s->cfg = cfg;
    s->ctx = ctx;
    if (opts)
        memcpy(&s->opts, opts,
               opts->size && opts->size < sizeof(s->opts) ? opts->size
                                                          : sizeof(s->opts));
    rc = bind_all(s, err);
    if (!rc)
        rc = init_all(s, err);
    if (rc) {
        xlsr_session_close(s);
        return rc;
    }
    *out = s;
    return XLSR_OK;
}

XLSR_API void xlsr_session_close(struct xlsr_session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nbind; i++) {
        struct xlsr_binding *b = &s->bind[i];
        if (b->inited && b->plugin->desc->fini)
            b->plugin->desc->fini(b->state, s->final_rc);
    }
    for (size_t i = 0; i < s->nplugins; i++)
        xlsr__plugin_unload(&s->plugins[i]);
    free(s->plugins);
    free(s->bind);
    free(s->xl_config);
    free(s->body);
    xlsr__reader_free(&s->rd);
    free(s);
}

struct xlsr_binding *xlsr__binding_for(struct xlsr_session *s, uint32_t type)
{
    /* A handful of bindings: a scan beats any index. */
    for (size_t i = 0; i < s->nbind; i++)
        if (s->bind[i].type == type)
            return &s->bind[i];
    return NULL;
}

XLSR_API void xlsr_session_bindings(const struct xlsr_session *s,
                                    xlsr_binding_fn fn, void *opaque)
{
    for (size_t i = 0; i < s->nbind; i++) {
        const struct xlsr_binding *b = &s->bind[i];
        fn(opaque, b->type, b->sec->name, b->plugin->name, b->plugin->path,
           b->plugin->desc, "current");
    }
}

static void emit(struct xlsr_session *s, enum xlsr_log_level level,
                 bool print, const char *fmt, va_list ap)
{
    char buf[2048];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    if (print && s->opts.print)
        s->opts.print(s->opts.opaque, buf);
    else if (!print && s->opts.log)
        s->opts.log(s->opts.opaque, level, buf);
}

void xlsr__logf(struct xlsr_session *s, enum xlsr_log_level level,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(s, level, false, fmt, ap);
    va_end(ap);
}

void xlsr__printf(struct xlsr_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(s, XLSR_LOG_INFO, true, fmt, ap);
    va_end(ap);
}
