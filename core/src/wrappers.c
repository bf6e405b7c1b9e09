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
 * The router calls every binding the same way (b->wrap): wrappers are not
 * special cases in the framer (SQLite's shim VFSes are the model).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The "uuid" string of the xl config's c_info, if any, into out. */
static bool config_uuid(const char *json, char *out, size_t len)
{
    const char *p = json ? strstr(json, "\"uuid\"") : NULL;
    if (!p)
        return false;
    p += 6;
    p += strspn(p, " \t\r\n");
    if (*p++ != ':')
        return false;
    p += strspn(p, " \t\r\n");
    if (*p++ != '"')
        return false;
    size_t n = strcspn(p, "\"");
    if (p[n] != '"' || n == 0 || n >= len)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
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

/* Appends text to b->report with JSON string escaping. */
static void json_put(struct xlsr_binding *b, const char *text, bool escape)
{
    size_t need = strlen(text) * (escape ? 6 : 1) + 1;
    char *r = realloc(b->report, b->report_len + need);
    if (!r)
        return;
    b->report = r;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (escape && (*c == '"' || *c == '\\'))
            b->report_len += (size_t)sprintf(r + b->report_len, "\\%c", *c);
        else if (escape && *c < 0x20)
            b->report_len += (size_t)sprintf(r + b->report_len, "\\u%04x",
                                             *c);
        else
            r[b->report_len++] = (char)*c;
    }
    r[b->report_len] = '\0';
}

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
    if (b->differ > SHADOW_MAX_ENTRIES)
        return;
    char head[160];
    snprintf(head, sizeof(head), "%s{\"offset\": %llu, \"type\": %u, "
             "\"checkpoint\": %u, \"current\": \"%s\", \"current_reason\": \"",
             b->differ > 1 ? ", " : "", (unsigned long long)rec->offset,
             rec->type, rec->checkpoint, rc_word(rc));
    json_put(b, head, false);
    json_put(b, why, true);
    json_put(b, "\", \"candidate\": \"", false);
    json_put(b, rc_word(crc), false);
    json_put(b, "\", \"candidate_reason\": \"", false);
    json_put(b, cwhy, true);
    json_put(b, "\"}", false);
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
                         const char *path, const char *head)
{
    char dir[PATH_MAX], why[PATH_MAX + 256];
    const char *name;
    char *text = NULL;
    int n = asprintf(&text, "%s%s]}\n", head, b->report ? b->report : "");
    if (n < 0)
        snprintf(why, sizeof(why), "out of memory");
    if (n >= 0 && report_split(path, dir, sizeof(dir), &name, why,
                               sizeof(why)) == 0 &&
        filebk_write(dir, name, (const uint8_t *)text, (size_t)n, why,
                     sizeof(why)) == 0) {
        free(text);
        return;
    }
    free(text);
    xlsr__logf(s, XLSR_LOG_WARN, "shadow [%s]: cannot write report %s: %s",
               b->sec->name, path, why);
}

static void shadow_finish(struct xlsr_session *s, struct xlsr_binding *b)
{
    char head[512];
    const char *path = xlsr__conf_get(b->sec, "shadow_report", NULL);
    snprintf(head, sizeof(head), "{\"binding\": \"%s\", \"current\": \"%s\", "
             "\"candidate\": \"%s\", \"records\": %llu, \"differing\": %llu, "
             "\"differences\": [", b->sec->name, b->cur.plugin->name,
             b->cand.plugin->name, (unsigned long long)b->seen,
             (unsigned long long)b->differ);
    xlsr__logf(s, XLSR_LOG_INFO, "shadow summary: %s%s]}", head,
               b->report ? b->report : "");
    if (path && s->ctx->mode == XLSR_MODE_RESTORE)
        shadow_write(s, b, path, head);
}

const struct xlsr_wrapper xlsr__wrap_shadow = {
    "shadow", shadow_record, NULL, shadow_finish,
};
