/*
 * guestmeta.c - an example vendor plugin: guest metadata in an optional
 * record type (e.g. 0x8000F001), as a JSON object with a "uuid" string.
 *
 * Every mode validates the body (json.c: yajl, depth-bounded)
 * and the uuid's form.  `xlsr dump` prints a summary line, `verify` says
 * nothing more, `restore --dry-run` prints where the file would go, and
 * `restore` writes the body, byte for byte, atomically (atomic.c) to the
 * file the `path` template names inside the configured `dir`.
 *
 * It is written as a plugin outside this tree would be: it includes only
 * <xlsr/plugin.h>, reaches xlsr only through the host table, keeps all
 * state in what init returns, and reports every refusal with host->fail
 * before returning the error (the core adds offset, type and handler).
 * See docs/plugin-guide.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xlsr/plugin.h>

#include "atomic.h"
#include "json.h"

#define UUID_LEN 36
#define SAMPLE_UUID "00000000-0000-0000-0000-000000000000"

static const struct xlsr_conf_key gm_keys[] = {
    { "dir", XLSR_CONF_STRING, false, "/var/lib/xen",
      "the only directory written in (relative: to the config file); "
      "must exist" },
    { "path", XLSR_CONF_STRING, false, "%dir/guestmeta.%domid.json",
      "file written in dir: %dir %domid %dm_domid %uuid %%" },
    { "mode", XLSR_CONF_STRING, false, "0600",
      "octal mode of the written file; world-writable is refused" },
    { "max_bytes", XLSR_CONF_U64, false, "64K",
      "largest metadata record accepted" },
    { "max_depth", XLSR_CONF_U64, false, "16",
      "deepest JSON nesting accepted (1 to 64)" },
    { NULL, 0, false, NULL, NULL },
};

struct gm_state {
    const struct xlsr_host *host;
    xlsr_handle *h;
    const struct xlsr_restore_ctx *ctx;
    char dir[PATH_MAX];         /* absolute or config-relative, no '/' at
                                   the end unless it is "/" */
    const char *path;           /* template */
    mode_t mode;
    uint64_t max_bytes;
    unsigned max_depth;
    bool seen;                  /* a record was handled ... */
    uint64_t seen_offset;       /* ... at this offset ... */
    uint32_t seen_checkpoint;   /* ... in this checkpoint (0: none) */
};

/* ---- configuration ---------------------------------------------------- */

struct vars {
    const char *dir;
    uint32_t domid, dm_domid;
    const char *uuid;
};

/* Expands %dir %domid %dm_domid %uuid %% in tmpl.  0, or -1 with err. */
static int expand(const char *tmpl, const struct vars *v, char *out,
                  size_t outlen, char *err, size_t errlen)
{
    static const char *const names[] = { "dir", "domid", "dm_domid",
                                         "uuid", "%" };
    size_t o = 0;

    for (const char *p = tmpl; *p; p++) {
        char num[16];
        const char *piece = p;
        size_t len = 1, k = 0, nk = sizeof(names) / sizeof(names[0]);

        if (*p == '%') {
            for (; k < nk; k++)
                if (!strncmp(p + 1, names[k], strlen(names[k])))
                    break;
            if (k == nk) {
                snprintf(err, errlen, "path '%s': unknown variable at "
                         "'%.12s' (known: %%dir %%domid %%dm_domid %%uuid "
                         "%%%%)", tmpl, p);
                return -1;
            }
            p += strlen(names[k]);
            if (k == 1 || k == 2)
                snprintf(num, sizeof(num), "%u",
                         (unsigned)(k == 1 ? v->domid : v->dm_domid));
            piece = k == 0 ? v->dir : k == 3 ? v->uuid : k == 4 ? "%" : num;
            len = strlen(piece);
        }
        if (o + len >= outlen) {
            snprintf(err, errlen, "path '%s' expands to more than %zu "
                     "bytes", tmpl, outlen - 1);
            return -1;
        }
        memcpy(out + o, piece, len);
        o += len;
    }
    out[o] = '\0';
    return 0;
}

/* The file name part of path, which must lie directly in dir. */
static const char *name_in_dir(const char *dir, const char *path, char *err,
                               size_t errlen)
{
    size_t dl = strcmp(dir, "/") ? strlen(dir) : 0;
    const char *name = path + dl + 1;

    if (strncmp(path, dir, dl) || path[dl] != '/' || !*name ||
        strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
        snprintf(err, errlen, "path '%s' does not name a file directly in "
                 "dir '%s'", path, dir);
        return NULL;
    }
    return name;
}

/* "0640" and the like: at most 0777, not world-writable. */
static int parse_mode(const char *s, mode_t *out)
{
    unsigned long v = 0;
    size_t n = strlen(s);

    if (n == 0 || n > 4)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '7')
            return -1;
        v = v * 8 + (unsigned long)(s[i] - '0');
    }
    if (v > 0777 || (v & S_IWOTH))
        return -1;
    *out = (mode_t)v;
    return 0;
}

static int conf_dir(struct gm_state *s)
{
    const char *d;
    int r;

    if (s->host->conf_str(s->h, "dir", &d))
        return XLSR_ERR_CONFIG;
    if (!*d) {
        s->host->fail(s->h, "dir is empty");
        return XLSR_ERR_CONFIG;
    }
    if (d[0] == '/')
        r = snprintf(s->dir, sizeof(s->dir), "%s", d);
    else
        r = snprintf(s->dir, sizeof(s->dir), "%s/%s",
                     s->host->conf_dir(s->h), d);
    if (r < 0 || (size_t)r >= sizeof(s->dir)) {
        s->host->fail(s->h, "dir '%s' is too long", d);
        return XLSR_ERR_CONFIG;
    }
    for (size_t n = strlen(s->dir); n > 1 && s->dir[n - 1] == '/'; n--)
        s->dir[n - 1] = '\0';
    return XLSR_OK;
}

static int gm_conf(struct gm_state *s)
{
    char path[PATH_MAX], err[PATH_MAX + 128];
    const char *mode;
    uint64_t depth;
    struct vars v = { .dir = s->dir, .uuid = SAMPLE_UUID };
    int rc = conf_dir(s);

    if (rc)
        return rc;
    if (s->host->conf_str(s->h, "path", &s->path) ||
        s->host->conf_str(s->h, "mode", &mode) ||
        s->host->conf_u64(s->h, "max_bytes", &s->max_bytes) ||
        s->host->conf_u64(s->h, "max_depth", &depth))
        return XLSR_ERR_CONFIG;
    if (parse_mode(mode, &s->mode)) {
        s->host->fail(s->h, "mode = '%s': expected octal digits, at most "
                      "0777, not world-writable", mode);
        return XLSR_ERR_CONFIG;
    }
    if (depth < 1 || depth > JSON_MAX_DEPTH) {
        s->host->fail(s->h, "max_depth = %llu: expected 1 to %u",
                      (unsigned long long)depth, JSON_MAX_DEPTH);
        return XLSR_ERR_CONFIG;
    }
    s->max_depth = (unsigned)depth;
    /* Values never hold a '/', so a template that stays in dir with the
     * sample values stays there with any: check it once, here. */
    if (expand(s->path, &v, path, sizeof(path), err, sizeof(err)) ||
        !name_in_dir(s->dir, path, err, sizeof(err))) {
        s->host->fail(s->h, "%s", err);
        return XLSR_ERR_CONFIG;
    }
    return XLSR_OK;
}

static int gm_init(const struct xlsr_host *host, xlsr_handle *h,
                   void **state)
{
    struct gm_state *s = calloc(1, sizeof(*s));
    int rc;

    if (!s) {
        host->fail(h, "out of memory");
        return XLSR_ERR_NOMEM;
    }
    s->host = host;
    s->h = h;
    s->ctx = host->restore_ctx(h);
    rc = gm_conf(s);
    if (rc) {
        free(s);
        return rc;
    }
    *state = s;
    return XLSR_OK;
}

/* ---- records ---------------------------------------------------------- */

static bool uuid_ok(const char *u)
{
    if (strlen(u) != UUID_LEN)
        return false;
    for (size_t i = 0; i < UUID_LEN; i++) {
        char c = u[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                   (c >= 'A' && c <= 'F');
        if (dash ? c != '-' : !hex)
            return false;
    }
    return true;
}

/* Validates the body; the uuid goes to cap->value. */
static int check_body(struct gm_state *s, const struct xlsr_record *rec,
                      struct json_capture *cap, struct json_result *res)
{
    char err[256];

    if (rec->length == 0) {
        s->host->fail(s->h, "empty guest metadata record");
        return XLSR_ERR_STREAM;
    }
    if (rec->length > s->max_bytes) {
        s->host->fail(s->h, "guest metadata is %u bytes, more than "
                      "max_bytes (%llu)", rec->length,
                      (unsigned long long)s->max_bytes);
        return XLSR_ERR_LIMIT;
    }
    cap->key = "uuid";
    if (json_check_object(rec->body, rec->length, s->max_depth, cap, res,
                          err, sizeof(err))) {
        /* Header is 8 bytes: the body starts at offset + 8. */
        s->host->fail(s->h, "guest metadata is not valid JSON: body byte "
                      "%zu (stream offset %llu): %s", res->err_at,
                      (unsigned long long)(rec->offset + 8 + res->err_at),
                      err);
        return XLSR_ERR_STREAM;
    }
    if (cap->found != 1 || !cap->is_string || !uuid_ok(cap->value)) {
        s->host->fail(s->h, "guest metadata needs exactly one \"uuid\" "
                      "member holding a string like %s (%s)", SAMPLE_UUID,
                      cap->found == 0 ? "there is none"
                      : cap->found > 1 ? "there are several"
                      : !cap->is_string ? "it is not a string"
                      : "its value has another form");
        return XLSR_ERR_STREAM;
    }
    return XLSR_OK;
}

/* One record per stream; in a checkpointed stream, one per checkpoint
 * (each checkpoint's replaces the previous one's). */
static int check_once(struct gm_state *s, const struct xlsr_record *rec)
{
    if (s->seen && (!rec->checkpoint ||
                    rec->checkpoint == s->seen_checkpoint)) {
        s->host->fail(s->h, "a second guest metadata record (the first "
                      "was at offset %llu)",
                      (unsigned long long)s->seen_offset);
        return XLSR_ERR_STREAM;
    }
    s->seen = true;
    s->seen_offset = rec->offset;
    s->seen_checkpoint = rec->checkpoint;
    return XLSR_OK;
}

static int restore(struct gm_state *s, const struct xlsr_record *rec,
                   const char *uuid)
{
    char path[PATH_MAX], err[PATH_MAX + 256];
    const char *name;
    struct vars v = { .dir = s->dir, .domid = s->ctx->domid,
                      .dm_domid = s->ctx->dm_domid, .uuid = uuid };

    if (expand(s->path, &v, path, sizeof(path), err, sizeof(err)) ||
        !(name = name_in_dir(s->dir, path, err, sizeof(err)))) {
        s->host->fail(s->h, "%s", err);
        return XLSR_ERR_HANDLER;
    }
    if (s->ctx->dry_run) {
        s->host->print(s->h, "guestmeta: would write %u bytes (uuid %s) "
                       "to %s, mode %04o", rec->length, uuid, path,
                       (unsigned)s->mode);
        return XLSR_OK;
    }
    if (atomic_write(s->dir, name, s->mode, rec->body, rec->length, err,
                     sizeof(err))) {
        s->host->fail(s->h, "%s", err);
        return XLSR_ERR_HANDLER;
    }
    s->host->log(s->h, XLSR_LOG_INFO, "wrote %u bytes (uuid %s) to %s",
                 rec->length, uuid, path);
    return XLSR_OK;
}

static int gm_record(void *state, const struct xlsr_record *rec)
{
    struct gm_state *s = state;
    struct json_capture cap;
    struct json_result res;
    int rc = check_body(s, rec, &cap, &res);

    if (!rc)
        rc = check_once(s, rec);
    if (rc)
        return rc;
    switch (s->ctx->mode) {
    case XLSR_MODE_DUMP:
        s->host->print(s->h, "  guestmeta: uuid %s, %u members, depth %u, "
                       "%u bytes", cap.value, res.members,
                       res.max_depth_seen, rec->length);
        return XLSR_OK;
    case XLSR_MODE_RESTORE:
        return restore(s, rec, cap.value);
    case XLSR_MODE_VERIFY:
        break;
    }
    s->host->log(s->h, XLSR_LOG_DEBUG, "uuid %s: valid", cap.value);
    return XLSR_OK;
}

static void gm_fini(void *state, int rc)
{
    (void)rc;
    free(state);
}

static const struct xlsr_plugin guestmeta = {
    XLSR_PLUGIN_ABI,
    .name = "guestmeta",
    .version = "1.0",
    .description = "example: guest metadata (JSON object with a uuid), "
                   "validated and written atomically",
    .conf_keys = gm_keys,
    .init = gm_init,
    .record = gm_record,
    .fini = gm_fini,
};

XLSR_PLUGIN_DEFINE(guestmeta)
