/*
 * libxc.c - the plugin descriptor and its lifecycle: configuration, the
 * choice between verifying the libxc stream ourselves and restoring it
 * through libxenguest, and per-stream state.
 *
 * Mode: verify whenever the run must not touch a domain (verify, dump,
 * restore --dry-run) or the binding says `mode = verify`; otherwise
 * restore, which needs a hypervisor and is refused at init without one,
 * before the core reads a byte.
 */
#include <stdlib.h>
#include <string.h>

#include "libxc.h"

static const struct xlsr_conf_key conf_keys[] = {
    { "mode", XLSR_CONF_STRING, false, "restore",
      "restore: hand the libxc stream to libxenguest; verify: check it and "
      "restore nothing" },
    { "restore_timeout", XLSR_CONF_U64, false, "0",
      "seconds libxenguest's helper may take for the whole restore (0: no "
      "limit; a Remus stream lasts as long as its primary)" },
    { NULL, 0, false, NULL, NULL },
};

static int lx_init(const struct xlsr_host *host, xlsr_handle *h,
                   void **state)
{
    const char *mode = NULL;
    struct lx_state *s;
    int rc;

    /* The last member we cannot do without (libxl_record is optional). */
    if (!XLSR_HOST_HAS(host, max_record_bytes)) {
        host->fail(h, "host function table too small (%u bytes)",
                   host->size);
        return XLSR_ERR_CONFIG;
    }
    rc = host->conf_str(h, "mode", &mode);
    if (rc)
        return rc;
    if (strcmp(mode, "restore") && strcmp(mode, "verify")) {
        host->fail(h, "mode = %s: expected restore or verify", mode);
        return XLSR_ERR_CONFIG;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        return XLSR_ERR_NOMEM;
    s->host = host;
    s->h = h;
    s->ctx = host->restore_ctx(h);
    s->verify = s->ctx->mode != XLSR_MODE_RESTORE || s->ctx->dry_run ||
                !strcmp(mode, "verify");
    if (!s->verify) {
        rc = lx_restore_init(s);
        if (rc) {
            free(s);
            return rc;
        }
    }
    *state = s;
    return XLSR_OK;
}

/* LIBXC_CONTEXT itself: an empty body (libxl-migration-stream spec). */
static int lx_record(void *state, const struct xlsr_record *rec)
{
    struct lx_state *s = state;

    if (rec->type != XLSR_REC_LIBXC_CONTEXT) {
        s->host->fail(s->h, "the libxc plugin handles LIBXC_CONTEXT only");
        return XLSR_ERR_CONFIG;
    }
    if (rec->length) {
        s->host->fail(s->h, "LIBXC_CONTEXT body of %u bytes, must be empty",
                      rec->length);
        return XLSR_ERR_STREAM;
    }
    return XLSR_OK;
}

static int lx_substream(void *state, const struct xlsr_record *rec)
{
    struct lx_state *s = state;
    (void)rec;
    return s->verify ? lx_verify_stream(s) : lx_restore_stream(s);
}

static void lx_fini(void *state, int rc)
{
    struct lx_state *s = state;
    (void)rc;
    if (!s)
        return;
    lx_restore_fini(s);
    free(s);
}

static const struct xlsr_plugin lx_plugin = {
    .abi_major = XLSR_ABI_MAJOR,
    .abi_minor = XLSR_ABI_MINOR,
    .size = sizeof(struct xlsr_plugin),
    .name = "libxc",
    .version = XLSR_VERSION,
    .description = "inline libxc stream: verify it, or restore it with "
                   "libxenguest's xc_domain_restore()",
    .conf_keys = conf_keys,
    .init = lx_init,
    .record = lx_record,
    .substream = lx_substream,
    .fini = lx_fini,
};

XLSR_PLUGIN_DEFINE(lx_plugin)
