/*
 * wrappers.c - how a binding reaches its plugin(s): directly (plain), or
 * through a staged-rollout wrapper around the current plugin and a
 * candidate, both configured in the same [record.*] section.
 *
 *   canary  a stable share of domains goes to the candidate.  The choice is
 *           made once per stream, on the first record, from the domain's
 *           UUID in the xl header's config (else the domid), and logged.
 *   shadow  the current plugin handles every record; the candidate then
 *           sees the same record as a dry run.  Results that differ are
 *           logged and collected into a JSON summary; the candidate's
 *           failures never fail the stream.
 *
 * JSON, read (the xl config's uuid) and written (the shadow summary), goes
 * through yajl, the library libxl itself uses for that config.
 *
 * The router calls every binding the same way (b->wrap): wrappers are not
 * special cases in the framer (SQLite's shim VFSes are the model).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "../../plugins/emulator/filebk.h"
#include "internal.h"

/* Differences kept in the JSON summary; the count goes on regardless. */
#define SHADOW_MAX_ENTRIES 100

int xlsr__slot_record(struct xlsr_session *s, struct xlsr_slot *slot,
                      const struct xlsr_record *rec)
{
    const struct xlsr_plugin *d = slot->plugin->desc;
    s->reason_set = false;
    s->failed_slot = slot;
    return d->record ? d->record(slot->state, rec) : XLSR_OK;
}

int xlsr__slot_substream(struct xlsr_session *s, struct xlsr_slot *slot,
                         const struct xlsr_record *rec)
{
    const struct xlsr_plugin *d = slot->plugin->desc;
    s->reason_set = false;
    s->failed_slot = slot;
    return d->substream ? d->substream(slot->state, rec) : XLSR_OK;
}

/* --- plain --------------------------------------------------------- */

static int plain_record(struct xlsr_session *s, struct xlsr_binding *b,
                        const struct xlsr_record *rec)
{
    return xlsr__slot_record(s, &b->cur, rec);
}

static int plain_substream(struct xlsr_session *s, struct xlsr_binding *b,
                           const struct xlsr_record *rec)
{
    return xlsr__slot_substream(s, &b->cur, rec);
}

static void plain_finish(struct xlsr_session *s, struct xlsr_binding *b)
{
    (void)s;
    (void)b;
}

const struct xlsr_wrapper xlsr__wrap_plain = {
    "plain", plain_record, plain_substream, plain_finish,
};

/* --- canary -------------------------------------------------------- */

/*
 * The domain's uuid from the xl config: the string at c_info.uuid of the
 * top-level object (libxl_domain_config's JSON, written by libxl_types.idl's
 * generated *_gen_json; libxl/libxl_types.idl names the field).  Only that
 * path counts: a guest *named* "uuid", or a "uuid" key anywhere else, is
 * not its uuid.  yajl's parser is not recursive and the callbacks stop at
 * a depth no libxl config reaches, so hostile nesting costs nothing.
 */
#define UUID_MAX_DEPTH 64

struct uuid_find {
    unsigned depth;             /* 1 inside the top-level object */
    bool in_cinfo;              /* depth 2 is c_info's object */
    bool key_cinfo, key_uuid;   /* the last key, at depth 1 / depth 2 */
    char *out;
    size_t len;
    bool found;
};

static int uf_scalar(void *ctx)
{
    struct uuid_find *u = ctx;
    u->key_cinfo = u->key_uuid = false;
    return 1;
}

static int uf_bool(void *ctx, int v)
{
    (void)v;
    return uf_scalar(ctx);
}

static int uf_number(void *ctx, const char *v, size_t n)
{
    (void)v;
    (void)n;
    return uf_scalar(ctx);
}

static int uf_string(void *ctx, const unsigned char *v, size_t n)
{
    struct uuid_find *u = ctx;
    if (u->key_uuid && u->depth == 2 && u->in_cinfo && !u->found &&
        n > 0 && n < u->len && !memchr(v, '\0', n)) {
        memcpy(u->out, v, n);
        u->out[n] = '\0';
        u->found = true;
    }
    return uf_scalar(ctx);
}

static int uf_key(void *ctx, const unsigned char *k, size_t n)
{
    struct uuid_find *u = ctx;
    u->key_cinfo = u->depth == 1 && n == 6 && !memcmp(k, "c_info", 6);
    u->key_uuid = u->depth == 2 && u->in_cinfo && n == 4 &&
                  !memcmp(k, "uuid", 4);
    return 1;
}

static int uf_open(void *ctx, bool map)
{
    struct uuid_find *u = ctx;
    if (u->depth >= UUID_MAX_DEPTH)
        return 0;
    if (u->depth == 0 && !map)
        return 0;               /* not an object: no c_info */
    u->in_cinfo = u->depth == 1 ? map && u->key_cinfo
                                : u->depth >= 2 && u->in_cinfo;
    u->depth++;
    u->key_cinfo = u->key_uuid = false;
    return 1;
}

static int uf_map_open(void *ctx)
{
    return uf_open(ctx, true);
}

static int uf_array_open(void *ctx)
{
    return uf_open(ctx, false);
}

static int uf_close(void *ctx)
{
    struct uuid_find *u = ctx;
    u->depth--;
    if (u->depth <= 1)
        u->in_cinfo = false;
    u->key_cinfo = u->key_uuid = false;
    return 1;
}

static const yajl_callbacks uuid_callbacks = {
    .yajl_null = uf_scalar, .yajl_boolean = uf_bool, .yajl_number = uf_number,
    .yajl_string = uf_string, .yajl_start_map = uf_map_open,
    .yajl_map_key = uf_key, .yajl_end_map = uf_close,
    .yajl_start_array = uf_array_open, .yajl_end_array = uf_close,
};

/* The c_info.uuid string of the xl config, if any, into out. */
static bool config_uuid(const char *json, char *out, size_t len)
{
    struct uuid_find u = { .out = out, .len = len };
    if (!json)
        return false;
    yajl_handle y = yajl_alloc(&uuid_callbacks, NULL, &u);
    if (!y)
        return false;
    yajl_status st = yajl_parse(y, (const unsigned char *)json,
                                strlen(json));
    if (st == yajl_status_ok)
        st = yajl_complete_parse(y);
    yajl_free(y);
    /* Only a config libxl could read names the guest: a broken one
     * falls back to the domid. */
    return u.found && st == yajl_status_ok;
}

/* FNV-1a, then a 64-bit finaliser so that close keys (domids 1, 2, 3)
 * spread evenly over the 100 buckets. */
static uint64_t stable_hash(const char *key)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *c = (const unsigned char *)key; *c; c++)
        h = (h ^ *c) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static struct xlsr_slot *canary_pick(struct xlsr_session *s,
                                     struct xlsr_binding *b)
{
    if (b->chosen < 0) {
        char key[128], what[160];
        if (config_uuid(s->ctx->xl_config, key, sizeof(key)))
            snprintf(what, sizeof(what), "uuid %s", key);
        else {
            snprintf(key, sizeof(key), "%u", s->ctx->domid);
            snprintf(what, sizeof(what), "domid %s", key);
        }
        unsigned bucket = (unsigned)(stable_hash(key) % 100);
        b->chosen = bucket < b->percent;
        xlsr__logf(s, XLSR_LOG_INFO, "canary [%s]: %s is in bucket %u of "
                   "100, share %llu%%: using %s plugin %s", b->sec->name,
                   what, bucket, (unsigned long long)b->percent,
                   b->chosen ? "candidate" : "current",
                   (b->chosen ? &b->cand : &b->cur)->plugin->name);
    }
    return b->chosen ? &b->cand : &b->cur;
}

static int canary_record(struct xlsr_session *s, struct xlsr_binding *b,
                         const struct xlsr_record *rec)
{
    return xlsr__slot_record(s, canary_pick(s, b), rec);
}

static int canary_substream(struct xlsr_session *s, struct xlsr_binding *b,
                            const struct xlsr_record *rec)
{
    return xlsr__slot_substream(s, canary_pick(s, b), rec);
}

const struct xlsr_wrapper xlsr__wrap_canary = {
    "canary", canary_record, canary_substream, plain_finish,
};

/* --- shadow -------------------------------------------------------- */

static const char *rc_word(int rc)
{
    return rc == XLSR_OK ? "ok" : rc == XLSR_DECLINE ? "declined"
           : rc == XLSR_STOP ? "stop" : "error";
}

struct xlsr__shadow_diff {
    uint64_t offset;
    uint32_t type, checkpoint;
    int rc, crc;
    char why[512], cwhy[512];
};

static void shadow_note(struct xlsr_session *s, struct xlsr_binding *b,
                        const struct xlsr_record *rec, int rc,
                        const char *why, int crc, const char *cwhy)
{
    b->differ++;
    xlsr__logf(s, XLSR_LOG_WARN, "shadow [%s]: record at offset %llu "
               "(type 0x%x): current %s %s%s%s, candidate %s %s%s%s",
               b->sec->name, (unsigned long long)rec->offset, rec->type,
               b->cur.plugin->name, rc_word(rc), *why ? ": " : "", why,
               b->cand.plugin->name, rc_word(crc), *cwhy ? ": " : "", cwhy);
    if (b->ndiffs >= SHADOW_MAX_ENTRIES)
        return;
    struct xlsr__shadow_diff *d = realloc(b->diffs, (b->ndiffs + 1) *
                                                        sizeof(*d));
    if (!d)
        return;
    b->diffs = d;
    d += b->ndiffs++;
    d->offset = rec->offset;
    d->type = rec->type;
    d->checkpoint = rec->checkpoint;
    d->rc = rc;
    d->crc = crc;
    snprintf(d->why, sizeof(d->why), "%s", why);
    snprintf(d->cwhy, sizeof(d->cwhy), "%s", cwhy);
}

static void gen_str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_kstr(yajl_gen g, const char *k, const char *v)
{
    gen_str(g, k);
    gen_str(g, v);
}

static void gen_ku64(yajl_gen g, const char *k, uint64_t v)
{
    char num[24];
    gen_str(g, k);
    int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
    yajl_gen_number(g, num, (size_t)n);    /* exact beyond 2^53 too */
}

/* The shadow summary as one JSON object, or NULL (out of memory). */
static yajl_gen shadow_json(const struct xlsr_binding *b)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    yajl_gen_config(g, yajl_gen_validate_utf8, 0);
    yajl_gen_map_open(g);
    gen_kstr(g, "binding", b->sec->name);
    gen_kstr(g, "current", b->cur.plugin->name);
    gen_kstr(g, "candidate", b->cand.plugin->name);
    gen_ku64(g, "records", b->seen);
    gen_ku64(g, "differing", b->differ);
    gen_str(g, "differences");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < b->ndiffs; i++) {
        const struct xlsr__shadow_diff *d = &b->diffs[i];
        yajl_gen_map_open(g);
        gen_ku64(g, "offset", d->offset);
        gen_ku64(g, "type", d->type);
        gen_ku64(g, "checkpoint", d->checkpoint);
        gen_kstr(g, "current", rc_word(d->rc));
        gen_kstr(g, "current_reason", d->why);
        gen_kstr(g, "candidate", rc_word(d->crc));
        gen_kstr(g, "candidate_reason", d->cwhy);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    return g;
}

static int shadow_record(struct xlsr_session *s, struct xlsr_binding *b,
                         const struct xlsr_record *rec)
{
    char why[sizeof(s->reason)] = "";
    int rc = xlsr__slot_record(s, &b->cur, rec);
    bool had_reason = s->reason_set;
    if (had_reason)
        memcpy(why, s->reason, sizeof(why));

    /* The candidate sees the target as it is now (xl config, results),
     * always as a dry run. */
    xlsr__dry_ctx(&b->cand, s->ctx);
    int crc = xlsr__slot_record(s, &b->cand, rec);
    const char *cwhy = s->reason_set ? s->reason : "";
    b->seen++;
    if (crc != rc || (rc < 0 && strcmp(why, cwhy)))
        shadow_note(s, b, rec, rc, why, crc, cwhy);
    /* The current plugin's result stands, reason included. */
    s->failed_slot = &b->cur;
    s->reason_set = had_reason;
    memcpy(s->reason, why, sizeof(why));
    return rc;
}

/* Splits an absolute report path into its directory (into dir) and file
 * name; -1 with a reason when it cannot be written safely. */
static int report_split(const char *path, char *dir, size_t dirlen,
                        const char **name, char *why, size_t whylen)
{
    const char *slash = strrchr(path, '/');
    if (path[0] != '/' || !slash || !slash[1]) {
        snprintf(why, whylen, "shadow_report '%s' is not an absolute file "
                 "path", path);
        return -1;
    }
    size_t dl = slash == path ? 1 : (size_t)(slash - path);
    if (dl >= dirlen) {
        snprintf(why, whylen, "shadow_report '%s' is too long", path);
        return -1;
    }
    memcpy(dir, path, dl);
    dir[dl] = '\0';
    return filebk_check_path(dir, path, name, why, whylen);
}

int xlsr__shadow_report_check(const char *path, char *why, size_t whylen)
{
    char dir[PATH_MAX];
    const char *name;
    return report_split(path, dir, sizeof(dir), &name, why, whylen);
}

/* Written like the emulator's file backend (no symlink followed, vetted
 * directory, temporary + rename, 0600), and only by a restore: verify
 * and dump have no side effects. */
static void shadow_write(struct xlsr_session *s, struct xlsr_binding *b,
                         const char *path, const unsigned char *text,
                         size_t len)
{
    char dir[PATH_MAX], why[PATH_MAX + 256];
    const char *name;
    char *buf = malloc(len + 1);
    if (!buf)
        snprintf(why, sizeof(why), "out of memory");
    else {
        memcpy(buf, text, len);
        buf[len] = '\n';
    }
    if (buf && report_split(path, dir, sizeof(dir), &name, why,
                            sizeof(why)) == 0 &&
        filebk_write(dir, name, (const uint8_t *)buf, len + 1, why,
                     sizeof(why)) == 0) {
        free(buf);
        return;
    }
    free(buf);
    xlsr__logf(s, XLSR_LOG_WARN, "shadow [%s]: cannot write report %s: %s",
               b->sec->name, path, why);
}

static void shadow_finish(struct xlsr_session *s, struct xlsr_binding *b)
{
    const char *path = xlsr__conf_get(b->sec, "shadow_report", NULL);
    const unsigned char *text;
    size_t len;
    yajl_gen g = shadow_json(b);
    if (!g || yajl_gen_get_buf(g, &text, &len) != yajl_gen_status_ok) {
        xlsr__logf(s, XLSR_LOG_WARN, "shadow [%s]: out of memory for the "
                   "summary", b->sec->name);
        if (g)
            yajl_gen_free(g);
        return;
    }
    xlsr__logf(s, XLSR_LOG_INFO, "shadow summary: %.*s", (int)len,
               (const char *)text);
    if (path && s->ctx->mode == XLSR_MODE_RESTORE)
        shadow_write(s, b, path, text, len);
    yajl_gen_free(g);
}

const struct xlsr_wrapper xlsr__wrap_shadow = {
    "shadow", shadow_record, NULL, shadow_finish,
};
