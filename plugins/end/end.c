/*
 * end.c - the END record handler.
 *
 * END is the last record of a libxl stream and carries no body.  The core
 * treats a stream as complete only when a handler says so (XLSR_STOP), so
 * binding END to this plugin is what makes a stream end cleanly; a stream
 * that reaches EOF without it is truncated.
 */
#include <stdlib.h>

#include <xlsr/plugin.h>

struct end_state {
    const struct xlsr_host *host;
    xlsr_handle *h;
};

static int end_init(const struct xlsr_host *host, xlsr_handle *h,
                    void **state)
{
    struct end_state *st = calloc(1, sizeof(*st));
    if (!st)
        return XLSR_ERR_NOMEM;
    st->host = host;
    st->h = h;
    *state = st;
    return XLSR_OK;
}

static int end_record(void *state, const struct xlsr_record *rec)
{
    struct end_state *st = state;
    if (rec->length != 0) {
        st->host->fail(st->h, "END record must have an empty body, this "
                       "one has %u bytes", rec->length);
        return XLSR_ERR_STREAM;
    }
    if (rec->checkpoint)
        st->host->log(st->h, XLSR_LOG_INFO, "END after checkpoint %u",
                      rec->checkpoint);
    return XLSR_STOP;
}

static void end_fini(void *state, int rc)
{
    (void)rc;
    free(state);
}

static const struct xlsr_plugin end_plugin = {
    XLSR_PLUGIN_ABI,
    .name = "end",
    .version = "1.0",
    .description = "END record: completes the stream",
    .init = end_init,
    .record = end_record,
    .fini = end_fini,
};

XLSR_PLUGIN_DEFINE(end_plugin)
