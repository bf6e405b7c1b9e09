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
static const char *const binding_keys[] = {
    "plugin", "canary_plugin", "canary_percent", "shadow_plugin",
    "shadow_report",
};
#define CANDIDATE_PREFIX "candidate."

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

static const struct xlsr_conf_key *declared(const struct xlsr_slot *slot,
                                            const char *key)
{
    if (!slot->plugin)
        return NULL;
    const struct xlsr_conf_key *k = slot->plugin->desc->conf_keys;
    for (; k && k->key; k++)
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
    va_start(ap, fmt);
    xlsr__vfail(err, XLSR_ERR_CONFIG, fmt, ap);
    va_end(ap);
    return XLSR_ERR_CONFIG;
}

static bool is_binding_key(const char *key)
{
    for (size_t j = 0; j < sizeof(binding_keys) / sizeof(*binding_keys); j++)
        if (!strcmp(key, binding_keys[j]))
            return true;
    return false;
}

static int check_value(const struct xlsr_session *s, struct xlsr_error *err,
                       const struct xlsr_conf_section *sec,
                       const struct xlsr_conf_kv *kv,
                       const struct xlsr_conf_key *k)
{
    uint64_t u;
    bool bl;
    if ((k->type == XLSR_CONF_U64 && xlsr__parse_u64(kv->value, &u)) ||
        (k->type == XLSR_CONF_BOOL && xlsr__parse_bool(kv->value, &bl)))
        return bad_key(s, err, kv->line, "[%s]: %s = '%s' is not a %s",
                       sec->name, kv->key, kv->value,
                       k->type == XLSR_CONF_U64 ? "number" : "boolean");
    return XLSR_OK;
}

static int check_required(const struct xlsr_session *s,
                          const struct xlsr_binding *b,
                          const struct xlsr_slot *slot,
                          struct xlsr_error *err)
{
    const struct xlsr_plugin *d = slot->plugin->desc;
    for (const struct xlsr_conf_key *k = d->conf_keys; k && k->key; k++) {
        char alt[128];
        snprintf(alt, sizeof(alt), CANDIDATE_PREFIX "%s", k->key);
        if (k->required && !xlsr__conf_get(b->sec, k->key, NULL) &&
            !(slot->candidate && xlsr__conf_get(b->sec, alt, NULL)))
            return bad_key(s, err, b->sec->line, "[%s]: plugin %s requires "
                           "key '%s'", b->sec->name, d->name, k->key);
    }
    return XLSR_OK;
}

/* Every key is the core's or declared by a plugin of the binding (keys
 * "candidate.KEY" by the candidate only), with a valid value; every
 * required key is there. */
static int check_keys(const struct xlsr_session *s,
                      const struct xlsr_binding *b, struct xlsr_error *err)
{
    const struct xlsr_conf_section *sec = b->sec;
    int rc;

    for (size_t i = 0; i < sec->nkv; i++) {
        const struct xlsr_conf_kv *kv = &sec->kv[i];
        if (is_binding_key(kv->key))
            continue;
        const struct xlsr_conf_key *k;
        if (!strncmp(kv->key, CANDIDATE_PREFIX, strlen(CANDIDATE_PREFIX))) {
            k = declared(&b->cand, kv->key + strlen(CANDIDATE_PREFIX));
            if (!k)
                return bad_key(s, err, kv->line, "[%s]: unknown key '%s' "
                               "(%s)", sec->name, kv->key, b->cand.plugin
                               ? "the candidate plugin declares no such key"
                               : "no canary_plugin or shadow_plugin here");
        } else {
            k = declared(&b->cur, kv->key);
            if (!k)
                k = declared(&b->cand, kv->key);
            if (!k)
                return bad_key(s, err, kv->line, "[%s]: unknown key '%s' "
                               "(plugin %s declares no such key)", sec->name,
                               kv->key, b->cur.plugin->desc->name);
        }
        rc = check_value(s, err, sec, kv, k);
        if (rc)
            return rc;
    }
    rc = check_required(s, b, &b->cur, err);
    if (!rc && b->cand.plugin)
        rc = check_required(s, b, &b->cand, err);
    return rc;
}

static int load_slot(struct xlsr_session *s, struct xlsr_binding *b,
                     struct xlsr_slot *slot, const char *name,
                     struct xlsr_error *err)
{
    int rc = XLSR_OK;
    slot->handle.s = s;
    slot->handle.b = b;
    slot->handle.slot = slot;
    slot->plugin = find_or_load(s, name, err, &rc);
    if (!slot->plugin) {
        xlsr__err_type(err, b->type);
        snprintf(err->handler, sizeof(err->handler), "%s", name);
    }
    return rc;
}

/* Which wrapper, from the staged-rollout keys. */
static int choose_wrapper(struct xlsr_session *s, struct xlsr_binding *b,
                          struct xlsr_error *err)
{
    unsigned lc = 0, lp = 0, ls = 0;
    const char *canary = xlsr__conf_get(b->sec, "canary_plugin", &lc);
    const char *pct = xlsr__conf_get(b->sec, "canary_percent", &lp);
    const char *shadow = xlsr__conf_get(b->sec, "shadow_plugin", &ls);
    const char *report = xlsr__conf_get(b->sec, "shadow_report", NULL);

    b->wrap = &xlsr__wrap_plain;
    b->chosen = -1;
    if (canary && shadow)
        return bad_key(s, err, ls, "[%s]: canary_plugin and shadow_plugin "
                       "exclude each other: roll out one way at a time",
                       b->sec->name);
    if (!canary && pct)
        return bad_key(s, err, lp, "[%s]: canary_percent without "
                       "canary_plugin", b->sec->name);
    if (!shadow && report)
        return bad_key(s, err, b->sec->line, "[%s]: shadow_report without "
                       "shadow_plugin", b->sec->name);
    if (canary) {
        if (!pct || xlsr__parse_u64(pct, &b->percent) || b->percent > 100)
            return bad_key(s, err, pct ? lp : lc, "[%s]: canary_percent must "
                           "be given, from 0 to 100", b->sec->name);
        b->wrap = &xlsr__wrap_canary;
    }
    if (shadow) {
        if (xlsr__binding_substream(b))
            return bad_key(s, err, ls, "[%s]: a shadow cannot run on a record "
                           "followed by an inline stream (it can be read "
                           "once)", b->sec->name);
        char why[600];
        if (report && xlsr__shadow_report_check(report, why, sizeof(why)))
            return bad_key(s, err, b->sec->line, "[%s]: %s", b->sec->name,
                           why);
        b->wrap = &xlsr__wrap_shadow;
        b->cand.dry = true;
    }
    if (!canary && !shadow)
        return XLSR_OK;
    b->cand.candidate = true;
    return load_slot(s, b, &b->cand, canary ? canary : shadow, err);
}

static int bind_all(struct xlsr_session *s, struct xlsr_error *err)
{
    const struct xlsr_config *c = s->cfg;
    size_t n = c->nsec ? c->nsec : 1;
    int rc = XLSR_OK;

    s->plugins = calloc(2 * n, sizeof(*s->plugins));
    s->bind = calloc(n, sizeof(*s->bind));
    if (!s->plugins || !s->bind)
        return xlsr__fail(err, XLSR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->nsec; i++) {
        const struct xlsr_conf_section *sec = &c->sec[i];
        struct xlsr_binding *b = &s->bind[s->nbind++];
        b->type = sec->type;
        b->sec = sec;
        rc = load_slot(s, b, &b->cur, xlsr__conf_get(sec, "plugin", NULL),
                       err);
        if (!rc)
            rc = choose_wrapper(s, b, err);
        if (!rc)
            rc = check_keys(s, b, err);
        if (rc)
            return rc;
        for (int j = 0; j < 2; j++) {
            const struct xlsr_slot *slot = j ? &b->cand : &b->cur;
            if (slot->plugin && xlsr__binding_substream(b) &&
                !slot->plugin->desc->substream) {
                xlsr__err_where(err, "%s:%u", c->path, sec->line);
                return xlsr__fail(err, XLSR_ERR_CONFIG, "[%s]: plugin %s "
                                  "cannot read the inline stream that follows "
                                  "this record (no substream handler)",
                                  sec->name, slot->plugin->name);
            }
        }
    }
    return XLSR_OK;
}

static int init_slot(struct xlsr_session *s, struct xlsr_binding *b,
                     struct xlsr_slot *slot, struct xlsr_error *err)
{
    const struct xlsr_plugin *d = slot->plugin->desc;
    if (!d->init) {
        slot->inited = true;
        return XLSR_OK;
    }
    s->reason_set = false;
    /* Seen by a crash handler if foreign code dies in its init. */
    xlsr__logf(s, XLSR_LOG_DEBUG, "init of plugin %s (%s) for [%s]",
               d->name, slot->plugin->path, b->sec->name);
    int rc = d->init(&xlsr__host, &slot->handle, &slot->state);
    if (rc < 0) {
        snprintf(err->handler, sizeof(err->handler), "%s", d->name);
        xlsr__err_where(err, "%s:%u", s->cfg->path, b->sec->line);
        xlsr__err_type(err, b->type);
        return xlsr__fail(err, XLSR_ERR_CONFIG, "init failed: %s",
                          s->reason_set ? s->reason : xlsr_strerror(rc));
    }
    slot->inited = true;
    return XLSR_OK;
}

static int init_all(struct xlsr_session *s, struct xlsr_error *err)
{
    for (size_t i = 0; i < s->nbind; i++) {
        struct xlsr_binding *b = &s->bind[i];
        int rc = init_slot(s, b, &b->cur, err);
        if (!rc && b->cand.plugin)
            rc = init_slot(s, b, &b->cand, err);
        if (rc)
            return rc;
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
    xlsr__err_clear(err);
    *out = NULL;
    if (!ctx || ctx->size < XLSR__CTX_V10_SIZE) {
        /* Plugins read and write every member up to have_results. */
        free(s);
        return xlsr__fail(err, XLSR_ERR_CONFIG, "restore context of %u "
                          "bytes is smaller than ABI 1.0's %zu (set "
                          "ctx->size = sizeof(struct xlsr_restore_ctx))",
                          ctx ? ctx->size : 0, XLSR__CTX_V10_SIZE);
    }
    if (!s)
        return xlsr__fail(err, XLSR_ERR_NOMEM, "out of memory");
    if (opts && !opts->size) {
        /* Without a size the core cannot know how much to read. */
        free(s);
        return xlsr__fail(err, XLSR_ERR_CONFIG, "session options without "
                          "a size (set opts->size = sizeof(struct "
                          "xlsr_session_opts))");
    }
    s->cfg = cfg;
    s->ctx = ctx;
    if (opts)
        memcpy(&s->opts, opts,
               opts->size < sizeof(s->opts) ? opts->size : sizeof(s->opts));
    if (!s->opts.progress)
        s->opts.progress_bytes = 0;
    if (ctx && ctx->size >= offsetof(struct xlsr_restore_ctx, strict) +
                                sizeof(ctx->strict))
        ctx->strict = s->opts.strict;
    s->next_progress = s->opts.progress_bytes;
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

static void fini_slot(struct xlsr_session *s, struct xlsr_slot *slot)
{
    if (slot->inited && slot->plugin->desc->fini)
        slot->plugin->desc->fini(slot->state, s->final_rc);
    slot->inited = false;
}

XLSR_API void xlsr_session_close(struct xlsr_session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nbind; i++) {
        fini_slot(s, &s->bind[i].cand);
        fini_slot(s, &s->bind[i].cur);
        free(s->bind[i].diffs);
    }
    for (size_t i = 0; i < s->nplugins; i++)
        xlsr__plugin_unload(&s->plugins[i]);
    free(s->plugins);
    free(s->bind);
    /* The caller's ctx outlives us: leave no pointer into freed memory. */
    if (s->xl_config && s->ctx->xl_config == s->xl_config) {
        s->ctx->xl_config = NULL;
        s->ctx->xl_config_len = 0;
    }
    free(s->xl_config);
    xlsr__layers_free(s);
    free(s->body);
    xlsr__reader_free(&s->rd);
    free(s);
}

struct xlsr_binding *xlsr__binding_for(struct xlsr_session *s, uint32_t type)
{
    /* A handful of bindings: a scan beats any index. */
    for (size_t i = 0; i < s->nbind; i++)
        if (s->bind[i].type == type &&
            s->bind[i].sec->layer == XLSR_LAYER_LIBXL)
            return &s->bind[i];
    return NULL;
}

XLSR_API void xlsr_session_bindings(const struct xlsr_session *s,
                                    xlsr_binding_fn fn, void *opaque)
{
    for (size_t i = 0; i < s->nbind; i++) {
        const struct xlsr_binding *b = &s->bind[i];
        char role[64];
        fn(opaque, b->type, b->sec->name, b->cur.plugin->name,
           b->cur.plugin->path, b->cur.plugin->desc, "current");
        if (!b->cand.plugin)
            continue;
        if (b->wrap == &xlsr__wrap_canary)
            snprintf(role, sizeof(role), "canary candidate, %llu%% of "
                     "domains", (unsigned long long)b->percent);
        else
            snprintf(role, sizeof(role), "shadow candidate, dry run");
        fn(opaque, b->type, b->sec->name, b->cand.plugin->name,
           b->cand.plugin->path, b->cand.plugin->desc, role);
    }
}

static void emit(struct xlsr_session *s, enum xlsr_log_level level,
                 bool print, const char *fmt, va_list ap) XLSR_PRINTF(4, 0);
static void emit(struct xlsr_session *s, enum xlsr_log_level level,
                 bool print, const char *fmt, va_list ap)
{
    char buf[2048];
    if (print ? !s->opts.print : !s->opts.log)
        return;     /* nobody listens: don't format */
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

void xlsr__vprintf(struct xlsr_session *s, const char *fmt, va_list ap)
{
    emit(s, XLSR_LOG_INFO, true, fmt, ap);
}

void xlsr__printf(struct xlsr_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xlsr__vprintf(s, fmt, ap);
    va_end(ap);
}
