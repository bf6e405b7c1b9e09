/*
 * config.c - the INI file: parse with inih, validate the core's keys,
 * keep every record section's keys (with line numbers) for the plugins.
 *
 * inih is used through one adapter.  Debian's libinih is built with the
 * library defaults, which we cannot change, so the adapter supplies what
 * they lack: our own line reader counts lines (INI_HANDLER_LINENO is off),
 * refuses lines longer than inih's buffer instead of letting inih split
 * them silently, and sees section headers itself, so empty and duplicate
 * sections are caught (inih merges duplicates and never reports empty
 * ones).  Duplicate keys are detected in the handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#ifndef XLSR_PLUGIN_DIR
#define XLSR_PLUGIN_DIR "/usr/local/lib/xlsr/plugins"
#endif

/* Big enough for any real EMULATOR_CONTEXT blob (QEMU device state, a few
 * KiB to a few MiB) with a wide margin; bodies are read incrementally, so
 * the limit is never allocated up front. */
#define DEFAULT_MAX_RECORD (512ull << 20)
/* One checkpoint's libxl part: emulator records, a few MiB at most. */
#define DEFAULT_CHECKPOINT_BYTES (256ull << 20)

struct parse {
    FILE *f;
    const char *path;
    unsigned line;
    struct xlsr_config *cfg;
    struct xlsr_conf_section *cur;  /* NULL in [core] */
    bool in_core, seen_core;
    unsigned core_seen;             /* bit per known [core] key */
    struct xlsr_error *err;
    bool failed;
};

static int perr(struct parse *p, const char *fmt, ...) XLSR_PRINTF(2, 3);
static int perr(struct parse *p, const char *fmt, ...)
{
    if (p->failed)
        return 0;
    va_list ap;
    p->failed = true;
    xlsr__err_where(p->err, "%s:%u", p->path, p->line);
    va_start(ap, fmt);
    xlsr__vfail(p->err, XLSR_ERR_CONFIG, fmt, ap);
    va_end(ap);
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
                     e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Section names: one prefix per layer whose records can be bound. */
static const struct section_kind {
    const char *prefix;
    enum xlsr_layer layer;
    int (*parse)(const char *text, uint32_t *type);
    const char *hint;
} section_kinds[] = {
    { "record.", XLSR_LAYER_LIBXL, xlsr_rec_type_parse,
      "a name such as emulator_context, or a number such as 0x80000001" },
    { "xenopsd.", XLSR_LAYER_XENOPSD, xlsr_xenopsd_type_parse,
      "a xenopsd record name such as varstored, or a number such as "
      "0x7001; libxl, libxc_legacy, qemu_xen and demu cannot be bound" },
    { NULL, XLSR_LAYER_LIBXL, NULL, NULL },
};

static void section_header(struct parse *p, char *line)
{
    char *s = trim(line);
    if (*s != '[')
        return;
    char *end = strchr(s, ']');
    if (!end) {
        perr(p, "section header without ']'");
        return;
    }
    *end = '\0';
    char *name = trim(s + 1);
    p->cur = NULL;
    p->in_core = false;
    if (!strcmp(name, "core")) {
        if (p->seen_core)
            perr(p, "duplicate section [core]");
        p->seen_core = p->in_core = true;
        return;
    }
    const struct section_kind *k = section_kinds;
    while (k->prefix && strncmp(name, k->prefix, strlen(k->prefix)))
        k++;
    if (!k->prefix) {
        perr(p, "unknown section [%s] (expected [core], [record.TYPE] or "
             "[xenopsd.TYPE])", name);
        return;
    }
    uint32_t type;
    const char *tname = name + strlen(k->prefix);
    if (k->parse(tname, &type)) {
        perr(p, "[%s]: unknown record type '%s' (%s)", name, tname, k->hint);
        return;
    }
    struct xlsr_config *c = p->cfg;
    for (size_t i = 0; i < c->nsec; i++) {
        if (c->sec[i].type == type && c->sec[i].layer == k->layer) {
            perr(p, "[%s]: record type 0x%x already has a handler, "
                 "section [%s] at line %u", name, type, c->sec[i].name,
                 c->sec[i].line);
            return;
        }
    }
    struct xlsr_conf_section *n = realloc(c->sec, (c->nsec + 1) * sizeof(*n));
    if (!n) {
        perr(p, "out of memory");
        return;
    }
    c->sec = n;
    p->cur = &c->sec[c->nsec++];
    memset(p->cur, 0, sizeof(*p->cur));
    p->cur->name = strdup(name);
    p->cur->line = p->line;
    p->cur->type = type;
    p->cur->layer = k->layer;
    if (!p->cur->name)
        perr(p, "out of memory");
}

/* inih's line source: counts lines and sees section headers first. */
static char *read_line(char *str, int num, void *stream)
{
    struct parse *p = stream;
    int c, n = 0;

    if (num < 2 || feof(p->f))
        return NULL;
    while ((c = getc(p->f)) != EOF) {
        if (n == num - 1) {
            p->line++;
            perr(p, "line longer than %d characters", num - 2);
            while (c != EOF && c != '\n')
                c = getc(p->f);
            str[0] = '\0';
            return str;
        }
        str[n++] = (char)c;
        if (c == '\n')
            break;
    }
    if (n == 0 && c == EOF)
        return NULL;
    str[n] = '\0';
    p->line++;
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", str);
    section_header(p, copy);
    return str;
}

static int set_plugin_dir(struct parse *p, const char *value)
{
    free(p->cfg->plugin_dir);
    p->cfg->plugin_dir = strdup(value);
    return p->cfg->plugin_dir ? 1 : perr(p, "out of memory");
}

static int set_max_record(struct parse *p, const char *value)
{
    uint64_t *v = &p->cfg->max_record_bytes;
    if (xlsr__parse_u64(value, v) || *v == 0 || *v > (1ull << 32))
        return perr(p, "max_record_bytes: '%s' is not a size between 1 "
                    "and 4G", value);
    return 1;
}

static int set_checkpoint_bytes(struct parse *p, const char *value)
{
    uint64_t *v = &p->cfg->checkpoint_bytes;
    if (xlsr__parse_u64(value, v) || *v == 0)
        return perr(p, "checkpoint_buffer_bytes: '%s' is not a size", value);
    return 1;
}

static int set_unknown_records(struct parse *p, const char *value)
{
    if (strcmp(value, "fail") && strcmp(value, "skip"))
        return perr(p, "unknown_records: '%s' (expected fail or skip)",
                    value);
    p->cfg->unknown_fail = !strcmp(value, "fail");
    return 1;
}

/* The [core] keys; bit i of parse.core_seen marks core_keys[i] as set. */
static const struct {
    const char *key;
    int (*set)(struct parse *p, const char *value);
} core_keys[] = {
    { "plugin_dir", set_plugin_dir },
    { "max_record_bytes", set_max_record },
    { "unknown_records", set_unknown_records },
    { "checkpoint_buffer_bytes", set_checkpoint_bytes },
};

static int core_key(struct parse *p, const char *key, const char *value)
{
    for (unsigned i = 0; i < sizeof(core_keys) / sizeof(*core_keys); i++) {
        if (strcmp(key, core_keys[i].key))
            continue;
        if (p->core_seen & (1u << i))
            return perr(p, "[core]: duplicate key '%s'", key);
        p->core_seen |= 1u << i;
        return core_keys[i].set(p, value);
    }
    return perr(p, "[core]: unknown key '%s' (known: plugin_dir, "
                "max_record_bytes, unknown_records, checkpoint_buffer_bytes)",
                key);
}

static int on_key(void *user, const char *section, const char *key,
                  const char *value)
{
    struct parse *p = user;
    (void)section;      /* read_line already tracked it, with its line */
    if (p->failed)
        return 1;
    if (p->in_core)
        return core_key(p, key, value);
    struct xlsr_conf_section *s = p->cur;
    if (!s)
        return perr(p, "key '%s' outside any section", key);
    for (size_t i = 0; i < s->nkv; i++)
        if (!strcmp(s->kv[i].key, key))
            return perr(p, "[%s]: duplicate key '%s' (first at line %u)",
                        s->name, key, s->kv[i].line);
    struct xlsr_conf_kv *kv = realloc(s->kv, (s->nkv + 1) * sizeof(*kv));
    if (!kv)
        return perr(p, "out of memory");
    s->kv = kv;
    kv = &s->kv[s->nkv++];
    kv->key = strdup(key);
    kv->value = strdup(value);
    kv->line = p->line;
    kv->used = false;
    return kv->key && kv->value ? 1 : perr(p, "out of memory");
}

const char *xlsr__conf_get(const struct xlsr_conf_section *s,
                           const char *key, unsigned *line)
{
    for (size_t i = 0; i < s->nkv; i++) {
        if (!strcmp(s->kv[i].key, key)) {
            if (line)
                *line = s->kv[i].line;
            return s->kv[i].value;
        }
    }
    return NULL;
}

static char *dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    char *d = strdup(dirname(copy));
    free(copy);
    return d;
}

/* plugin_dir is a ':'-separated search list; relative entries are
 * relative to the configuration file. */
static int resolve_plugin_dirs(struct xlsr_config *c)
{
    if (!c->plugin_dir && !(c->plugin_dir = strdup(XLSR_PLUGIN_DIR)))
        return XLSR_ERR_NOMEM;
    char *list = strdup(c->plugin_dir), *save = NULL;
    if (!list)
        return XLSR_ERR_NOMEM;
    for (char *d = strtok_r(list, ":", &save); d;
         d = strtok_r(NULL, ":", &save)) {
        char **n = realloc(c->plugin_dirs,
                           (c->nplugin_dirs + 1) * sizeof(*n));
        if (!n)
            goto nomem;
        c->plugin_dirs = n;
        if (d[0] == '/' ? !(n[c->nplugin_dirs] = strdup(d))
                        : asprintf(&n[c->nplugin_dirs], "%s/%s", c->dir,
                                   d) < 0)
            goto nomem;
        c->nplugin_dirs++;
    }
    free(list);
    return c->nplugin_dirs ? XLSR_OK : XLSR_ERR_CONFIG;
nomem:
    free(list);
    return XLSR_ERR_NOMEM;
}

/* Owner and mode rule shared with plugin files (loader.c): the file must
 * be owned by root or by the user running xlsr, and writable by nobody
 * else, since whoever can write it decides what code xlsr runs.  what
 * names the file in the error ("plugin", "configuration file"). */
int xlsr__vet_owner_mode(const struct stat *st, const char *what,
                         struct xlsr_error *err)
{
    if (st->st_uid != 0 && st->st_uid != geteuid())
        return xlsr__fail(err, XLSR_ERR_CONFIG, "refusing %s: owned by uid "
                          "%u, neither root nor the running user (uid %u)",
                          what, (unsigned)st->st_uid, (unsigned)geteuid());
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return xlsr__fail(err, XLSR_ERR_CONFIG, "refusing %s: it is %s-"
                          "writable (mode %04o)", what,
                          st->st_mode & S_IWOTH ? "world" : "group",
                          (unsigned)(st->st_mode & 07777));
    return XLSR_OK;
}

/* Opens the configuration without blocking (a FIFO or a device at the
 * path must not hang us) and vets what was opened: a regular file, and,
 * when running as root, the owner and mode rule above. */
static int open_config(const char *path, FILE **fp, struct xlsr_error *err)
{
    struct stat st;
    int rc = XLSR_OK;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        rc = xlsr__fail(err, XLSR_ERR_CONFIG, "cannot read configuration "
                        "file: %s", strerror(errno));
    else if (fstat(fd, &st) < 0)
        rc = xlsr__fail(err, XLSR_ERR_CONFIG, "cannot read configuration "
                        "file: %s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = xlsr__fail(err, XLSR_ERR_CONFIG, "cannot read configuration "
                        "file: not a regular file");
    else if (geteuid() == 0)
        rc = xlsr__vet_owner_mode(&st, "configuration file", err);
    if (!rc && !(*fp = fdopen(fd, "r")))
        rc = xlsr__fail(err, XLSR_ERR_NOMEM, "out of memory");
    if (rc) {
        if (fd >= 0)
            close(fd);
        xlsr__err_where(err, "%s", path);
    }
    return rc;
}

XLSR_API int xlsr_config_load(const char *path, struct xlsr_config **out,
                              struct xlsr_error *err)
{
    struct xlsr_error dummy;
    struct xlsr_config *c = calloc(1, sizeof(*c));
    struct parse p = { .path = path, .cfg = c, .err = err ? err : &dummy };
    int rc = XLSR_ERR_NOMEM;

    *out = NULL;
    xlsr__err_clear(p.err);
    if (!c)
        goto out;
    c->max_record_bytes = DEFAULT_MAX_RECORD;
    c->checkpoint_bytes = DEFAULT_CHECKPOINT_BYTES;
    c->unknown_fail = false;
    c->path = strdup(path);
    c->dir = dir_of(path);
    if (!c->path || !c->dir)
        goto out;
    rc = open_config(path, &p.f, p.err);
    if (rc)
        goto out;
    int r = ini_parse_stream(read_line, &p, on_key, &p);
    fclose(p.f);
    if (!p.failed && r != 0)
        perr(&p, "syntax error (expected 'key = value' or '[section]')");
    if (p.failed) {
        rc = XLSR_ERR_CONFIG;
        goto out;
    }
    for (size_t i = 0; i < c->nsec; i++) {
        if (!xlsr__conf_get(&c->sec[i], "plugin", NULL)) {
            p.line = c->sec[i].line;
            perr(&p, "[%s]: missing required key 'plugin'", c->sec[i].name);
            rc = XLSR_ERR_CONFIG;
            goto out;
        }
    }
    rc = resolve_plugin_dirs(c);
    if (rc == XLSR_ERR_CONFIG) {
        p.line = 0;
        xlsr__fail(p.err, rc, "[core]: plugin_dir lists no directory");
        xlsr__err_where(p.err, "%s", path);
    }
    if (rc)
        goto out;
    *out = c;
    return XLSR_OK;
out:
    if (rc == XLSR_ERR_NOMEM)
        xlsr__fail(p.err, rc, "out of memory loading configuration");
    xlsr_config_free(c);
    return rc;
}

XLSR_API void xlsr_config_free(struct xlsr_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nsec; i++) {
        for (size_t j = 0; j < c->sec[i].nkv; j++) {
            free(c->sec[i].kv[j].key);
            free(c->sec[i].kv[j].value);
        }
        free(c->sec[i].kv);
        free(c->sec[i].name);
    }
    free(c->sec);
    for (size_t i = 0; i < c->nplugin_dirs; i++)
        free(c->plugin_dirs[i]);
    free(c->plugin_dirs);
    free(c->plugin_dir);
    free(c->dir);
    free(c->path);
    free(c);
}

XLSR_API uint64_t xlsr_config_max_record_bytes(const struct xlsr_config *c)
{
    return c->max_record_bytes;
}

static const struct xlsr_conf_section *section_for(
    const struct xlsr_config *c, uint32_t type)
{
    for (size_t i = 0; i < c->nsec; i++)
        if (c->sec[i].type == type && c->sec[i].layer == XLSR_LAYER_LIBXL)
            return &c->sec[i];
    return NULL;
}

XLSR_API size_t xlsr_config_types(const struct xlsr_config *c,
                                  uint32_t *types, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nsec; i++)
        if (c->sec[i].layer == XLSR_LAYER_LIBXL && n++ < max)
            types[n - 1] = c->sec[i].type;
    return n;
}

XLSR_API const char *xlsr_config_get(const struct xlsr_config *c,
                                     uint32_t type, const char *key)
{
    const struct xlsr_conf_section *s = section_for(c, type);
    return s ? xlsr__conf_get(s, key, NULL) : NULL;
}

XLSR_API int xlsr_config_set(struct xlsr_config *c, uint32_t type,
                             const char *key, const char *value)
{
    struct xlsr_conf_section *s = (struct xlsr_conf_section *)
        section_for(c, type);
    if (!s)
        return XLSR_ERR_CONFIG;
    char *v = strdup(value);
    if (!v)
        return XLSR_ERR_NOMEM;
    for (size_t i = 0; i < s->nkv; i++) {
        if (!strcmp(s->kv[i].key, key)) {
            free(s->kv[i].value);
            s->kv[i].value = v;
            s->kv[i].line = 0;
            return XLSR_OK;
        }
    }
    struct xlsr_conf_kv *kv = realloc(s->kv, (s->nkv + 1) * sizeof(*kv));
    char *k = strdup(key);
    if (kv)
        s->kv = kv;
    if (!kv || !k) {
        free(k);
        free(v);
        return XLSR_ERR_NOMEM;
    }
    s->kv[s->nkv++] = (struct xlsr_conf_kv){ .key = k, .value = v };
    return XLSR_OK;
}

XLSR_API void xlsr_config_keys(const struct xlsr_config *c, uint32_t type,
                               void (*fn)(void *opaque, const char *key,
                                          const char *value),
                               void *opaque)
{
    const struct xlsr_conf_section *s = section_for(c, type);
    for (size_t i = 0; s && i < s->nkv; i++)
        fn(opaque, s->kv[i].key, s->kv[i].value);
}
