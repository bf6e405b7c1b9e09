/*
 * plugin-v10.c - a plugin written against the plugin SDK of ABI 1.0
 * (tests/abi/v1.0/xlsr/plugin.h), which the current core must load and
 * run.  Record 0x8000B001 carries a little-endian u32; dump prints it
 * with the configured tag, a body of another size fails with a reason.
 */
#include <stdlib.h>

#include <xlsr/plugin.h>

#if XLSR_ABI_MAJOR != 1 || XLSR_ABI_MINOR != 0
#error "built against the frozen ABI 1.0 header only"
#endif

struct v10 {
    const struct xlsr_host *host;
    xlsr_handle *h;
    const char *tag;
    enum xlsr_mode mode;
};

static const struct xlsr_conf_key v10_keys[] = {
    { "tag", XLSR_CONF_STRING, false, "none", "printed with every value" },
    { NULL, 0, false, NULL, NULL },
};

static int v10_init(const struct xlsr_host *host, xlsr_handle *h,
                    void **state)
{
    struct v10 *v = calloc(1, sizeof(*v));
    if (!v)
        return XLSR_ERR_NOMEM;
    v->host = host;
    v->h = h;
    v->mode = host->restore_ctx(h)->mode;
    if (host->conf_str(h, "tag", &v->tag)) {
        free(v);
        return XLSR_ERR_CONFIG;
    }
    *state = v;
    return XLSR_OK;
}

static int v10_record(void *state, const struct xlsr_record *rec)
{
    struct v10 *v = state;
    if (rec->length != 4) {
        v->host->fail(v->h, "body of %u bytes, expected 4", rec->length);
        return XLSR_ERR_STREAM;
    }
    unsigned n = (unsigned)rec->body[0] | (unsigned)rec->body[1] << 8 |
                 (unsigned)rec->body[2] << 16 | (unsigned)rec->body[3] << 24;
    if (v->mode == XLSR_MODE_DUMP)
        v->host->print(v->h, "  abi10: value %u, tag %s, host table %u "
                       "bytes, ABI %u.%u", n, v->tag, v->host->size,
                       v->host->abi_major, v->host->abi_minor);
    return XLSR_OK;
}

static void v10_fini(void *state, int rc)
{
    (void)rc;
    free(state);
}

static const struct xlsr_plugin v10_plugin = {
    .abi_major = XLSR_ABI_MAJOR,
    .abi_minor = XLSR_ABI_MINOR,
    .size = sizeof(struct xlsr_plugin),
    .name = "abi10",
    .version = "1.0",
    .description = "built against the ABI 1.0 SDK",
    .conf_keys = v10_keys,
    .init = v10_init,
    .record = v10_record,
    .fini = v10_fini,
};

XLSR_PLUGIN_DEFINE(v10_plugin)
