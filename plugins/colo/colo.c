/*
 * colo.c - the CHECKPOINT_STATE record handler (COLO control messages).
 *
 * COLO's primary and secondary exchange CHECKPOINT_STATE records to step
 * through each checkpoint: 0 (new checkpoint) goes primary to secondary,
 * 1 (secondary suspended), 2 (secondary ready) and 3 (secondary resumed)
 * come back on the back channel.  A reader of a saved or forwarded stream
 * cannot act on them, so this plugin checks each one and reports it: a
 * log line at INFO in every mode, and a printed line in dump mode.
 *
 * Body: control_id u32, little-endian.  The spec draws it as 8 bytes
 * (control_id + 4 bytes of padding) while libxl writes a 4-byte body and
 * lets the record padding make up the 8.  Both are accepted; the 8-byte
 * form must carry zeros in its second half.  Anything else is refused.
 */
#include <stdint.h>
#include <stdlib.h>

#include <xlsr/plugin.h>

#define COLO_BODY_LIBXL 4u      /* sizeof(control_id): what libxl sends */
#define COLO_BODY_SPEC 8u       /* control_id + explicit padding */

struct colo_state {
    const struct xlsr_host *host;
    xlsr_handle *h;
    enum xlsr_mode mode;
};

static const char *const control_names[] = {
    "new checkpoint (primary to secondary)",
    "secondary suspended (secondary to primary)",
    "secondary ready (secondary to primary)",
    "secondary resumed (secondary to primary)",
};
#define NCONTROL (sizeof(control_names) / sizeof(control_names[0]))

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static int colo_init(const struct xlsr_host *host, xlsr_handle *h,
                     void **state)
{
    struct colo_state *st = calloc(1, sizeof(*st));

    if (!st) {
        host->fail(h, "out of memory");
        return XLSR_ERR_NOMEM;
    }
    st->host = host;
    st->h = h;
    st->mode = host->restore_ctx(h)->mode;
    *state = st;
    return XLSR_OK;
}

/* Checks the body's length and padding; the control id is checked by the
 * caller. */
static int check_body(struct colo_state *st, const struct xlsr_record *rec)
{
    if (rec->length != COLO_BODY_LIBXL && rec->length != COLO_BODY_SPEC) {
        st->host->fail(st->h, "CHECKPOINT_STATE body is %u bytes, expected "
                       "%u (control_id) or %u (control_id + padding)",
                       rec->length, COLO_BODY_LIBXL, COLO_BODY_SPEC);
        return XLSR_ERR_STREAM;
    }
    if (rec->length == COLO_BODY_SPEC && le32(rec->body + 4) != 0) {
        st->host->fail(st->h, "CHECKPOINT_STATE padding is not zero "
                       "(0x%08x)", (unsigned)le32(rec->body + 4));
        return XLSR_ERR_STREAM;
    }
    return XLSR_OK;
}

static int colo_record(void *state, const struct xlsr_record *rec)
{
    struct colo_state *st = state;
    uint32_t id;
    int rc = check_body(st, rec);

    if (rc)
        return rc;
    id = le32(rec->body);
    if (id >= NCONTROL) {
        st->host->fail(st->h, "unknown COLO control id %u (known: 0 new "
                       "checkpoint, 1 secondary suspended, 2 secondary "
                       "ready, 3 secondary resumed)", (unsigned)id);
        return XLSR_ERR_STREAM;
    }
    /* rec->checkpoint is 0 outside a checkpoint (a plain stream). */
    st->host->log(st->h, XLSR_LOG_INFO, "control id %u: %s, checkpoint %u",
                  (unsigned)id, control_names[id], (unsigned)rec->checkpoint);
    if (st->mode == XLSR_MODE_DUMP)
        st->host->print(st->h, "  colo: control id %u: %s, checkpoint %u",
                        (unsigned)id, control_names[id],
                        (unsigned)rec->checkpoint);
    return XLSR_OK;
}

static void colo_fini(void *state, int rc)
{
    (void)rc;
    free(state);
}

static const struct xlsr_plugin colo_plugin = {
    XLSR_PLUGIN_ABI,
    .name = "colo",
    .version = "1.0",
    .description = "CHECKPOINT_STATE: checks and reports COLO control ids",
    .init = colo_init,
    .record = colo_record,
    .fini = colo_fini,
};

XLSR_PLUGIN_DEFINE(colo_plugin)
