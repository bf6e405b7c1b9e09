/*
 * emulator.c - the `emulator` plugin: hands EMULATOR_CONTEXT blobs (the
 * device model's saved state) to a backend chosen per emulator id.
 *
 * Backends: `file` (default; atomic write into one directory, filebk.c)
 * and `exec` (blob on a command's stdin, execbk.c).  The blob is passed
 * straight from the core's record body: never copied.
 *
 * A second record for the same emulator id and index is refused in a
 * plain stream (it would silently replace the first); in a checkpointed
 * stream each checkpoint's record replaces the previous checkpoint's, but
 * two in one checkpoint are refused.  Two different id/index pairs that
 * resolve to the same file are refused for the same reason.
 *
 * VERIFY and DUMP check the header and duplicates only; dry_run also
 * resolves the target and prints what would be written where.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xlsr/plugin.h>

#include "../xenstore/emuhdr.h"
#include "../xenstore/tmpl.h"
#include "execbk.h"
#include "filebk.h"

#define NIDS 3                  /* emulator ids with their own keys */
#define MAX_SEEN 64
#define DIR_DEFAULT "/var/lib/xen"
#define NAME_DEFAULT "qemu-resume.%domid"

enum backend { BE_FILE, BE_EXEC };

struct emu_cfg {
    enum backend be;
    const char *path;           /* template */
    char **argv;                /* exec: split template, NULL otherwise */
};

struct seen {
    uint32_t id, index;
    uint32_t checkpoint;
    uint64_t offset;
    char *target;               /* resolved file, NULL for exec/verify */
};

struct emu_state {
    const struct xlsr_host *host;
    xlsr_handle *h;
    struct xlsr_restore_ctx *ctx;
    const char *dir;
    unsigned exec_timeout;      /* seconds */
    char default_path[PATH_MAX];
    struct emu_cfg def, ids[NIDS];
    struct seen seen[MAX_SEEN];
    unsigned nseen;
    bool check_qevm;            /* verify/dry run: QEMU's header */
};

#define KEYS_FOR(n)                                                       \
    { "backend." #n, XLSR_CONF_STRING, false, NULL,                       \
      "backend for emulator id " #n " (default: backend)" },              \
    { "path." #n, XLSR_CONF_STRING, false, NULL,                          \
      "file template for emulator id " #n " (default: path)" },           \
    { "exec." #n, XLSR_CONF_STRING, false, NULL,                          \
      "command for emulator id " #n " (default: exec)" }

static const struct xlsr_conf_key conf_keys[] = {
    { "backend", XLSR_CONF_STRING, false, "file",
      "file | exec: where blobs go unless backend.<id> says otherwise" },
    { "dir", XLSR_CONF_STRING, false, DIR_DEFAULT,
      "the only directory the file backend may write in" },
    { "path", XLSR_CONF_STRING, false, NULL,
      "file backend target (default <dir>/qemu-resume.%domid); "
      "%domid %dm_domid %emu_id %index" },
    { "exec", XLSR_CONF_STRING, false, NULL,
      "exec backend command: absolute path and arguments split on spaces, "
      "no shell; same variables as path" },
    { "exec_timeout", XLSR_CONF_U64, false, "600",
      "seconds an exec command may take (reading the blob and exiting) "
      "before it is killed, 1-86400" },
    KEYS_FOR(0), KEYS_FOR(1), KEYS_FOR(2),
    { "check_qevm", XLSR_CONF_BOOL, false, "false",
      "verify and dry runs refuse qemu-xen (id 2) state without QEMU's "
      "QEVM magic and version 3, as QEMU would" },
    { NULL, 0, false, NULL, NULL },
};

static const char *opt_str(struct emu_state *s, const char *key)
{
    const char *v = NULL;

    if (s->host->conf_str(s->h, key, &v) != XLSR_OK || !v || !*v)
        return NULL;
    return v;
}

/* True (with a reason) when a file template can only land outside dir:
 * variables expand to decimal numbers, never to '/' or '..', so whether
 * the result is directly in dir does not depend on their values, and a
 * broken template is a configuration error at start-up, not a failure at
 * the first EMULATOR_CONTEXT. */
static bool path_outside(struct emu_state *s, const char *tmpl, char *err,
                         size_t errlen)
{
    struct tmpl_vars zero = { .have_emu = true };
    char path[PATH_MAX], why[PATH_MAX + 256];
    const char *name;
    if (tmpl_expand(tmpl, &zero, path, sizeof(path), why, sizeof(why)) < 0)
        return false;           /* too long: reported when expanded */
    if (filebk_check_path(s->dir, path, &name, why, sizeof(why)) == 0)
        return false;
    if (snprintf(err, errlen, "'%s' never names a file directly in dir "
                 "'%s', whatever its variables expand to (%s)", tmpl, s->dir,
                 why) < 0)
        err[0] = '\0';
    return true;
}

/* Fills one emu_cfg from key suffix sfx ("" or ".N"), falling back to
 * def when given. */
static int load_cfg(struct emu_state *s, const char *sfx,
                    const struct emu_cfg *def, const char *def_exec,
                    struct emu_cfg *c)
{
    char key[32], err[512];
    const char *be, *ex;

    snprintf(key, sizeof(key), "backend%s", sfx);
    be = opt_str(s, key);
    c->be = def ? def->be : BE_FILE;
    if (be && strcmp(be, "file") == 0)
        c->be = BE_FILE;
    else if (be && strcmp(be, "exec") == 0)
        c->be = BE_EXEC;
    else if (be) {
        s->host->fail(s->h, "%s = %s: expected file or exec", key, be);
        return XLSR_ERR_CONFIG;
    }
    snprintf(key, sizeof(key), "path%s", sfx);
    c->path = opt_str(s, key);
    if (!c->path)
        c->path = def ? def->path : s->default_path;
    if (tmpl_check(c->path, true, err, sizeof(err)) < 0 ||
        (c->be == BE_FILE && path_outside(s, c->path, err, sizeof(err)))) {
        s->host->fail(s->h, "%s: %s", key, err);
        return XLSR_ERR_CONFIG;
    }
    snprintf(key, sizeof(key), "exec%s", sfx);
    ex = opt_str(s, key);
    if (!ex)
        ex = def_exec;
    if (c->be != BE_EXEC)
        return XLSR_OK;
    if (!ex) {
        s->host->fail(s->h, "backend%s = exec needs an exec%s command", sfx,
                      sfx);
        return XLSR_ERR_CONFIG;
    }
    int argc;
    c->argv = execbk_split(ex, &argc);
    if (!c->argv) {
        s->host->fail(s->h, "out of memory");
        return XLSR_ERR_NOMEM;
    }
    if (argc == 0 || c->argv[0][0] != '/') {
        s->host->fail(s->h, "%s = '%s': the command must start with an "
                      "absolute path", key, ex);
        return XLSR_ERR_CONFIG;
    }
    for (int i = 0; i < argc; i++) {
        if (tmpl_check(c->argv[i], true, err, sizeof(err)) < 0) {
            s->host->fail(s->h, "%s: %s", key, err);
            return XLSR_ERR_CONFIG;
        }
    }
    return XLSR_OK;
}

static int emu_conf(struct emu_state *s)
{
    char err[512], sfx[8];
    const char *def_exec;
    int rc;

    if (s->host->conf_str(s->h, "dir", &s->dir) != XLSR_OK)
        return XLSR_ERR_CONFIG;
    if (filebk_check_dir(s->dir, err, sizeof(err)) < 0) {
        s->host->fail(s->h, "%s", err);
        return XLSR_ERR_CONFIG;
    }
    size_t dl = strlen(s->dir);
    int r = snprintf(s->default_path, sizeof(s->default_path), "%s%s%s",
                     s->dir, dl && s->dir[dl - 1] == '/' ? "" : "/",
                     NAME_DEFAULT);
    if (r < 0 || (size_t)r >= sizeof(s->default_path)) {
        s->host->fail(s->h, "dir '%s' is too long", s->dir);
        return XLSR_ERR_CONFIG;
    }
    uint64_t t;
    if (s->host->conf_u64(s->h, "exec_timeout", &t) != XLSR_OK)
        return XLSR_ERR_CONFIG;
    if (t < 1 || t > 86400) {
        s->host->fail(s->h, "exec_timeout = %" PRIu64 ": expected 1 to "
                      "86400 seconds", t);
        return XLSR_ERR_CONFIG;
    }
    s->exec_timeout = (unsigned)t;
    def_exec = opt_str(s, "exec");
    rc = load_cfg(s, "", NULL, def_exec, &s->def);
    for (int i = 0; rc == XLSR_OK && i < NIDS; i++) {
        snprintf(sfx, sizeof(sfx), ".%d", i);
        rc = load_cfg(s, sfx, &s->def, def_exec, &s->ids[i]);
    }
    return rc;
}

static void emu_fini(void *state, int rc);

static int emu_init(const struct xlsr_host *host, xlsr_handle *h,
                    void **state)
{
    struct emu_state *s = calloc(1, sizeof(*s));
    int rc;

    if (!s) {
        host->fail(h, "out of memory");
        return XLSR_ERR_NOMEM;
    }
    s->host = host;
    s->h = h;
    s->ctx = host->restore_ctx(h);
    rc = emu_conf(s);
    if (!rc)
        rc = host->conf_bool(h, "check_qevm", &s->check_qevm);
    if (rc != XLSR_OK) {
        emu_fini(s, rc);
        return rc;
    }
    *state = s;
    return XLSR_OK;
}

/* Records (id, index) and refuses duplicates; see the top of the file. */
static int note_seen(struct emu_state *s, const struct xlsr_record *rec,
                     uint32_t id, uint32_t index, struct seen **out)
{
    for (unsigned i = 0; i < s->nseen; i++) {
        struct seen *e = &s->seen[i];
        if (e->id != id || e->index != index)
            continue;
        if (rec->checkpoint == 0 || e->checkpoint == rec->checkpoint) {
            s->host->fail(s->h, "second EMULATOR_CONTEXT for emulator %"
                          PRIu32 " index %" PRIu32 " in one %s (the first "
                          "is at offset %" PRIu64 "): refused, not "
                          "overwritten", id, index, rec->checkpoint ?
                          "checkpoint" : "stream", e->offset);
            return XLSR_ERR_STREAM;
        }
        e->checkpoint = rec->checkpoint;    /* a newer checkpoint */
        e->offset = rec->offset;
        *out = e;
        return XLSR_OK;
    }
    if (s->nseen == MAX_SEEN) {
        s->host->fail(s->h, "more than %d distinct emulator id/index pairs",
                      MAX_SEEN);
        return XLSR_ERR_LIMIT;
    }
    struct seen *e = &s->seen[s->nseen++];
    *e = (struct seen){ id, index, rec->checkpoint, rec->offset, NULL };
    *out = e;
    return XLSR_OK;
}

/* Refuses a target another id/index already wrote in this checkpoint. */
static int claim_target(struct emu_state *s, struct seen *me,
                        const char *path)
{
    for (unsigned i = 0; i < s->nseen; i++) {
        struct seen *e = &s->seen[i];
        if (e == me || !e->target || e->checkpoint != me->checkpoint ||
            strcmp(e->target, path) != 0)
            continue;
        s->host->fail(s->h, "%s was already written for emulator %" PRIu32
                      " index %" PRIu32 " (offset %" PRIu64 "): refused, "
                      "not overwritten", path, e->id, e->index, e->offset);
        return XLSR_ERR_STREAM;
    }
    free(me->target);
    me->target = strdup(path);
    if (!me->target) {
        s->host->fail(s->h, "out of memory");
        return XLSR_ERR_NOMEM;
    }
    return XLSR_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int to_file(struct emu_state *s, const struct emu_cfg *c,
                   const struct tmpl_vars *v, struct seen *me,
                   const uint8_t *blob, size_t len)
{
    char path[PATH_MAX], err[PATH_MAX + 256];
    const char *name;
    int rc;

    if (tmpl_expand(c->path, v, path, sizeof(path), err, sizeof(err)) < 0 ||
        filebk_check_path(s->dir, path, &name, err, sizeof(err)) < 0) {
        s->host->fail(s->h, "%s", err);
        return XLSR_ERR_HANDLER;
    }
    rc = claim_target(s, me, path);
    if (rc != XLSR_OK)
        return rc;
    if (s->ctx->dry_run) {
        s->host->print(s->h, "emulator: would write %zu bytes (emulator %"
                       PRIu32 " index %" PRIu32 ") to %s", len, v->emu_id,
                       v->index, path);
        return XLSR_OK;
    }
    double t0 = now_s();
    if (filebk_write(s->dir, name, blob, len, err, sizeof(err)) < 0) {
        s->host->fail(s->h, "%s", err);
        return XLSR_ERR_HANDLER;
    }
    double dt = now_s() - t0;
    s->host->log(s->h, XLSR_LOG_INFO, "wrote %zu bytes to %s in "
                 "%.3f s (%.0f MiB/s)", len, path, dt,
                 dt > 0 ? (double)len / 1048576.0 / dt : 0.0);
    return XLSR_OK;
}

/* Appends a and b to the display string buf, cut when full. */
static void append(char *buf, size_t size, const char *a, const char *b)
{
    size_t l = strlen(buf);
    int r = snprintf(buf + l, size - l, "%s%s", a, b);
    if (r < 0 || (size_t)r >= size - l)
        memcpy(buf + size - 4, "...", 4);
}

static int to_exec(struct emu_state *s, const struct emu_cfg *c,
                   const struct tmpl_vars *v, const uint8_t *blob,
                   size_t len)
{
    char err[1024], line[1024] = "";
    int n = 0, rc = XLSR_ERR_HANDLER;
    char **argv;

    while (c->argv[n])
        n++;
    argv = calloc((size_t)n + 1, sizeof(char *));
    if (!argv) {
        s->host->fail(s->h, "out of memory");
        return XLSR_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        char word[PATH_MAX];
        if (tmpl_expand(c->argv[i], v, word, sizeof(word), err,
                        sizeof(err)) < 0) {
            s->host->fail(s->h, "%s", err);
            goto out;
        }
        argv[i] = strdup(word);
        if (!argv[i]) {
            s->host->fail(s->h, "out of memory");
            rc = XLSR_ERR_NOMEM;
            goto out;
        }
        append(line, sizeof(line), i ? " " : "", word);
    }
    if (s->ctx->dry_run) {
        s->host->print(s->h, "emulator: would pipe %zu bytes (emulator %"
                       PRIu32 " index %" PRIu32 ") into: %s", len,
                       v->emu_id, v->index, line);
        rc = XLSR_OK;
    } else if (execbk_run(argv, blob, len, s->exec_timeout, err,
                          sizeof(err)) < 0) {
        s->host->fail(s->h, "exec backend: %s", err);
    } else {
        s->host->log(s->h, XLSR_LOG_INFO, "piped %zu bytes into "
                     "%s", len, line);
        rc = XLSR_OK;
    }
out:
    for (int i = 0; i < n; i++)
        free(argv[i]);
    free(argv);
    return rc;
}

/*
 * Verify and dry runs: will the device model take this blob?  QEMU upstream
 * (qemu-xen, emulator id 2) loads it with qemu_loadvm_state()
 * (migration/savevm.c): it refuses a stream without QEMU_VM_FILE_MAGIC
 * ("QEVM", big-endian) or whose version is not QEMU_VM_FILE_VERSION (3;
 * 2 is "obsolete").  A real restore leaves that to QEMU itself.
 */
static int check_qevm(struct emu_state *s, uint32_t id, const uint8_t *b,
                      size_t len)
{
    if (id != 2 || !s->check_qevm)
        return XLSR_OK;
    if (len < 8) {
        s->host->fail(s->h, "qemu-xen state of %zu bytes: QEMU needs at "
                      "least its 8-byte QEVM header", len);
        return XLSR_ERR_STREAM;
    }
    uint32_t magic = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                     (uint32_t)b[2] << 8 | b[3];
    uint32_t ver = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
                   (uint32_t)b[6] << 8 | b[7];
    if (magic != 0x5145564du) {
        s->host->fail(s->h, "qemu-xen state starts 0x%08x, not QEMU's "
                      "\"QEVM\" magic: QEMU refuses it", magic);
        return XLSR_ERR_STREAM;
    }
    if (ver != 3) {
        s->host->fail(s->h, "qemu-xen state version %u, QEMU loads "
                      "version 3", ver);
        return XLSR_ERR_STREAM;
    }
    return XLSR_OK;
}

static int emu_record(void *state, const struct xlsr_record *rec)
{
    struct emu_state *s = state;
    uint32_t id, index;
    struct seen *me;
    char err[256];
    int rc;

    if (rec->type != XLSR_REC_EMULATOR_CONTEXT) {
        s->host->fail(s->h, "the emulator plugin handles EMULATOR_CONTEXT "
                      "records only");
        return XLSR_ERR_CONFIG;
    }
    if (emuhdr_parse(rec->body, rec->length, &id, &index, err,
                     sizeof(err)) < 0) {
        s->host->fail(s->h, "%s", err);
        return XLSR_ERR_STREAM;
    }
    rc = note_seen(s, rec, id, index, &me);
    if (rc != XLSR_OK)
        return rc;
    const uint8_t *blob = rec->body + EMUHDR_SIZE;
    size_t len = rec->length - EMUHDR_SIZE;
    if (s->ctx->mode == XLSR_MODE_DUMP)
        s->host->print(s->h, "  emulator %" PRIu32 " (%s) index %" PRIu32
                       ": %zu bytes of device model state", id,
                       emuhdr_name(id), index, len);
    if (s->ctx->mode != XLSR_MODE_RESTORE || s->ctx->dry_run) {
        rc = check_qevm(s, id, blob, len);
        if (rc != XLSR_OK || s->ctx->mode != XLSR_MODE_RESTORE)
            return rc;
    }

    const struct emu_cfg *c = id < NIDS ? &s->ids[id] : &s->def;
    struct tmpl_vars v = { .domid = s->ctx->domid,
                           .dm_domid = s->ctx->dm_domid, .have_emu = true,
                           .emu_id = id, .index = index };
    if (c->be == BE_EXEC)
        return to_exec(s, c, &v, blob, len);
    return to_file(s, c, &v, me, blob, len);
}

/* Outside a real restore only the emulator header is looked at: the
 * device model's state is read past, never held (dry runs print its
 * length, which the header gives). */
static uint32_t emu_body_needed(void *state, const struct xlsr_record *rec)
{
    struct emu_state *s = state;
    if (s->ctx->mode == XLSR_MODE_RESTORE && !s->ctx->dry_run)
        return rec->length;
    /* Verify and dry runs read the emulator header, and with check_qevm
     * QEMU's 8-byte header after it (check_qevm() reads no further). */
    return EMUHDR_SIZE + (s->check_qevm ? 8 : 0);
}

static void emu_fini(void *state, int rc)
{
    struct emu_state *s = state;

    (void)rc;
    if (!s)
        return;
    free(s->def.argv);
    for (int i = 0; i < NIDS; i++)
        free(s->ids[i].argv);
    for (unsigned i = 0; i < s->nseen; i++)
        free(s->seen[i].target);
    free(s);
}

static const struct xlsr_plugin emulator_plugin = {
    XLSR_PLUGIN_ABI,
    .name = "emulator",
    .version = "1.0",
    .description = "hands EMULATOR_CONTEXT blobs to a file or a command, "
                   "per emulator id",
    .conf_keys = conf_keys,
    .init = emu_init,
    .record = emu_record,
    .fini = emu_fini,
    .body_needed = emu_body_needed,
};

XLSR_PLUGIN_DEFINE(emulator_plugin)
