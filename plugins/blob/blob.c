/*
 * blob.c - the `blob` plugin: writes each record's whole body to a file,
 * with the emulator plugin's file backend (plugins/emulator/filebk.c,
 * compiled in, not copied): one configured directory, a path template
 * that must resolve to a file directly inside it, a temporary file
 * created O_EXCL|O_NOFOLLOW mode 0600, fsync, rename, directory fsync.
 *
 * Shipped for the blobs of XenServer suspend images that have no libxl
 * counterpart (xenopsd Varstored: the UEFI variable store; Swtpm0/Swtpm:
 * vTPM state), bound in [xenopsd.varstored] / [xenopsd.swtpm] sections;
 * it takes any record type.  %index in the path counts this binding's
 * records from 0 (xenopsd writes one Swtpm record per vTPM state), and
 * two records resolving to the same file are refused, never overwritten.
 *
 * VERIFY and DUMP only count (dump prints each); a dry run prints what
 * would be written where; only a real restore writes.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <xlsr/plugin.h>

#include "../emulator/filebk.h"
#include "../xenstore/tmpl.h"

#define MAX_TARGETS 64

struct blob_state {
    const struct xlsr_host *host;
    xlsr_handle *h;
    struct xlsr_restore_ctx *ctx;
    const char *dir, *path;
    uint32_t n;                         /* records seen */
    char *targets[MAX_TARGETS];         /* files written, for duplicates */
};

static const struct xlsr_conf_key conf_keys[] = {
    { "dir", XLSR_CONF_STRING, false, "/var/lib/xen",
      "the only directory blobs may be written in (absolute)" },
    { "path", XLSR_CONF_STRING, true, NULL,
      "target file template, directly in dir; %domid %dm_domid %index" },
    { NULL, 0, false, NULL, NULL },
};

/* The target of record number `index`, checked to lie inside dir. */
static int target(struct blob_state *s, uint32_t index, char *out,
                  size_t len, const char **name)
{
    struct tmpl_vars v = { .domid = s->ctx->domid,
                           .dm_domid = s->ctx->dm_domid, .have_emu = true,
                           .emu_id = 0, .index = index };
    char err[PATH_MAX + 256];
    if (tmpl_expand(s->path, &v, out, len, err, sizeof(err)) < 0 ||
        filebk_check_path(s->dir, out, name, err, sizeof(err)) < 0) {
        s->host->fail(s->h, "%s", err);
        return XLSR_ERR_CONFIG;
    }
    return XLSR_OK;
}

static void blob_fini(void *state, int rc);

static int blob_init(const struct xlsr_host *host, xlsr_handle *h,
                     void **state)
{
    struct blob_state *s = calloc(1, sizeof(*s));
    char err[512], path[PATH_MAX];
    const char *name;

    if (!s) {
        host->fail(h, "out of memory");
        return XLSR_ERR_NOMEM;
    }
    s->host = host;
    s->h = h;
    s->ctx = host->restore_ctx(h);
    *state = s;
    if (host->conf_str(h, "dir", &s->dir) ||
        host->conf_str(h, "path", &s->path))
        goto bad;
    if (filebk_check_dir(s->dir, err, sizeof(err)) < 0 ||
        tmpl_check(s->path, true, err, sizeof(err)) < 0) {
        host->fail(h, "%s", err);
        goto bad;
    }
    /* A path outside dir is a configuration error: say so now. */
    if (target(s, 0, path, sizeof(path), &name) == XLSR_OK)
        return XLSR_OK;
bad:
    blob_fini(s, XLSR_ERR_CONFIG);
    *state = NULL;
    return XLSR_ERR_CONFIG;
}

static int claim(struct blob_state *s, const char *path)
{
    for (uint32_t i = 0; i < s->n && i < MAX_TARGETS; i++) {
        if (s->targets[i] && !strcmp(s->targets[i], path)) {
            s->host->fail(s->h, "%s was already written for record %" PRIu32
                          " of this binding: refused, not overwritten "
                          "(use %%index in path)", path, i);
            return XLSR_ERR_STREAM;
        }
    }
    if (s->n >= MAX_TARGETS) {
        s->host->fail(s->h, "more than %d records for one blob binding",
                      MAX_TARGETS);
        return XLSR_ERR_LIMIT;
    }
    if (!(s->targets[s->n] = strdup(path))) {
        s->host->fail(s->h, "out of memory");
        return XLSR_ERR_NOMEM;
    }
    return XLSR_OK;
}

static int blob_record(void *state, const struct xlsr_record *rec)
{
    struct blob_state *s = state;
    char path[PATH_MAX], err[PATH_MAX + 256];
    const char *name;
    int rc;

    if (s->ctx->mode == XLSR_MODE_DUMP)
        s->host->print(s->h, "  blob: %" PRIu32 " bytes", rec->length);
    if (s->ctx->mode != XLSR_MODE_RESTORE) {
        s->n++;
        return XLSR_OK;
    }
    rc = target(s, s->n, path, sizeof(path), &name);
    if (rc)
        return XLSR_ERR_HANDLER;
    rc = claim(s, path);
    if (rc)
        return rc;
    s->n++;
    if (s->ctx->dry_run) {
        s->host->print(s->h, "blob: would write %" PRIu32 " bytes to %s",
                       rec->length, path);
        return XLSR_OK;
    }
    if (filebk_write(s->dir, name, rec->body, rec->length, err,
                     sizeof(err)) < 0) {
        s->host->fail(s->h, "%s", err);
        return XLSR_ERR_HANDLER;
    }
    s->host->log(s->h, XLSR_LOG_INFO, "wrote %" PRIu32 " bytes to %s",
                 rec->length, path);
    return XLSR_OK;
}

static void blob_fini(void *state, int rc)
{
    struct blob_state *s = state;
    (void)rc;
    if (!s)
        return;
    for (uint32_t i = 0; i < MAX_TARGETS; i++)
        free(s->targets[i]);
    free(s);
}

static const struct xlsr_plugin blob_plugin = {
    XLSR_PLUGIN_ABI,
    .name = "blob",
    .version = "1.0",
    .description = "writes a record's body to one file (xenopsd Varstored "
                   "and Swtpm blobs), with the emulator file backend's "
                   "rules",
    .conf_keys = conf_keys,
    .init = blob_init,
    .record = blob_record,
    .fini = blob_fini,
};

XLSR_PLUGIN_DEFINE(blob_plugin)
