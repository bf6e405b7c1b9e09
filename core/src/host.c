/*
 * host.c - the host function table handed to every plugin's init: the
 * only way a plugin reaches the core (logging, its configuration, the
 * restore context, and the stream during a sub-stream).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Declared with their format attribute so that the compiler checks the
 * va_list hand-offs below (clang's -Wformat-nonliteral wants it). */
static void h_log(xlsr_handle *h, enum xlsr_log_level level,
                  const char *fmt, ...) XLSR_PRINTF(3, 4);
static void h_fail(xlsr_handle *h, const char *fmt, ...) XLSR_PRINTF(2, 3);
static void h_print(xlsr_handle *h, const char *fmt, ...) XLSR_PRINTF(2, 3);

static void h_log(xlsr_handle *h, enum xlsr_log_level level,
                  const char *fmt, ...) XLSR_PRINTF(3, 4);
static void h_fail(xlsr_handle *h, const char *fmt, ...) XLSR_PRINTF(2, 3);
static void h_print(xlsr_handle *h, const char *fmt, ...) XLSR_PRINTF(2, 3);

static void h_log(xlsr_handle *h, enum xlsr_log_level level,
                  const char *fmt, ...)
{
    char buf[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    xlsr__logf(h->s, level, "%s: %s", h->slot->plugin->desc->name, buf);
}

static void h_fail(xlsr_handle *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->s->reason, sizeof(h->s->reason), fmt, ap);
    va_end(ap);
    h->s->reason_set = true;
}

static void h_print(xlsr_handle *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xlsr__vprintf(h->s, fmt, ap);     /* formatted once, straight out */
    va_end(ap);
}

/* The configured value (for a candidate, "candidate.KEY" first), else
 * the plugin's declared default. */
static int lookup(xlsr_handle *h, const char *key, enum xlsr_conf_type type,
                  const char **out)
{
    const struct xlsr_conf_key *k = h->slot->plugin->desc->conf_keys;
    for (; k && k->key; k++)
        if (!strcmp(k->key, key))
            break;
    if (!k || !k->key || k->type != type) {
        h_fail(h, "asked for undeclared or mistyped configuration key '%s'",
               key);
        return XLSR_ERR_CONFIG;
    }
    const char *v = NULL;
    if (h->slot->candidate) {
        char alt[160];
        snprintf(alt, sizeof(alt), "candidate.%s", key);
        v = xlsr__conf_get(h->b->sec, alt, NULL);
    }
    if (!v)
        v = xlsr__conf_get(h->b->sec, key, NULL);
    *out = v ? v : k->def;
    return XLSR_OK;
}

static int h_conf_str(xlsr_handle *h, const char *key, const char **out)
{
    return lookup(h, key, XLSR_CONF_STRING, out);
}

static int h_conf_u64(xlsr_handle *h, const char *key, uint64_t *out)
{
    const char *v;
    int rc = lookup(h, key, XLSR_CONF_U64, &v);
    if (rc)
        return rc;
    if (!v) {
        *out = 0;
        return XLSR_OK;
    }
    return xlsr__parse_u64(v, out);     /* validated at open */
}

static int h_conf_bool(xlsr_handle *h, const char *key, bool *out)
{
    const char *v;
    int rc = lookup(h, key, XLSR_CONF_BOOL, &v);
    if (rc)
        return rc;
    if (!v) {
        *out = false;
        return XLSR_OK;
    }
    return xlsr__parse_bool(v, out);
}

static const char *h_conf_dir(xlsr_handle *h)
{
    return h->s->cfg->dir;
}

void xlsr__dry_ctx(struct xlsr_slot *slot,
                   const struct xlsr_restore_ctx *ctx)
{
    /* The caller's ctx may be laid out by an older header: copy what it
     * has, no more (its size was checked at open). */
    size_t n = ctx->size < sizeof(*ctx) ? ctx->size : sizeof(*ctx);
    memset(&slot->dry_ctx, 0, sizeof(slot->dry_ctx));
    memcpy(&slot->dry_ctx, ctx, n);
    slot->dry_ctx.size = (uint32_t)n;
    slot->dry_ctx.dry_run = true;
}

static struct xlsr_restore_ctx *h_restore_ctx(xlsr_handle *h)
{
    struct xlsr_slot *slot = h->slot;
    if (!slot->dry)
        return h->s->ctx;
    /* A shadow candidate sees the same target, always as a dry run, and
     * its results never reach the caller. */
    if (h->s->state == XLSR__S_IDLE)
        xlsr__dry_ctx(slot, h->s->ctx);
    return &slot->dry_ctx;
}

static int need_substream(xlsr_handle *h, const char *what)
{
    if (xlsr__owns_substream(h->s))
        return XLSR_OK;
    h_fail(h, "%s called outside a sub-stream", what);
    return XLSR_ERR_HANDLER;
}

/* read and skip are called for every libxc record (a million times for
 * a million records): when the read-ahead already holds the bytes, serve
 * them at once; everything else (refills, progress, checks) is the slow
 * path. */
static int h_read(xlsr_handle *h, void *buf, size_t len)
{
    struct xlsr_reader *r = &h->s->rd;
    if (xlsr__owns_substream(h->s) && xlsr__read_ahead(r, buf, len))
        return XLSR_OK;
    int rc = need_substream(h, "read");
    if (rc)
        return rc;
    xlsr__progress(h->s);
    return xlsr__read(r, buf, len);
}

static int h_skip(xlsr_handle *h, uint64_t len)
{
    struct xlsr_reader *r = &h->s->rd;
    if (xlsr__owns_substream(h->s) && xlsr__skip_ahead(r, len))
        return XLSR_OK;
    int rc = need_substream(h, "skip");
    if (rc)
        return rc;
    xlsr__progress(h->s);
    return xlsr__skip(r, len);
}

static uint64_t h_offset(xlsr_handle *h)
{
    return h->s->rd.offset;
}

static int h_take_fd(xlsr_handle *h, int *fd)
{
    int rc = need_substream(h, "take_fd");
    if (rc)
        return rc;
    if (xlsr__buffered(&h->s->rd)) {
        h_fail(h, "cannot hand the fd over: %zu bytes already read ahead "
               "(only exact-mode streams can be handed over)",
               xlsr__buffered(&h->s->rd));
        return XLSR_ERR_HANDLER;
    }
    *fd = h->s->rd.fd;
    return XLSR_OK;
}

static void h_return_fd(xlsr_handle *h, uint64_t consumed)
{
    struct xlsr_reader *r = &h->s->rd;
    if (consumed != UINT64_MAX) {
        r->offset += consumed;
        return;
    }
    off_t pos = lseek(r->fd, 0, SEEK_CUR);
    if (pos >= 0 && (uint64_t)pos >= r->base &&
        (uint64_t)pos - r->base >= r->offset) {
        /* files: the fd position is exact, from where the run began */
        r->offset = (uint64_t)pos - r->base;
        return;
    }
    /* Pipes and sockets: later offsets count from an unknown base. */
    r->offset_known = false;
}

static int h_checkpoint(xlsr_handle *h)
{
    int rc = need_substream(h, "checkpoint");
    if (!rc)
        rc = xlsr__layers_libxl_ok(h->s, "checkpoint");
    return rc ? rc : xlsr__checkpoint(h->s);
}

static int h_libxl_record(xlsr_handle *h, uint32_t expect_type)
{
    int rc = need_substream(h, "libxl_record");
    if (!rc)
        rc = xlsr__layers_libxl_ok(h->s, "libxl_record");
    return rc ? rc : xlsr__between_checkpoints(h->s, expect_type);
}

/* The libxc domain header's guest type, for libxl's record rules. */
static void h_guest_type(xlsr_handle *h, uint32_t libxc_domain_type)
{
    if (!h->slot->dry)
        xlsr__guest_from_libxc(h->s, libxc_domain_type);
}

/* Regular files only: the reader seeks over skips there (reader.c), so
 * the fd position is ours, but explicit-offset reads never disturb it. */
static int h_input_file(xlsr_handle *h, int *fd, uint64_t *base)
{
    int rc = need_substream(h, "input_file");
    if (rc)
        return rc;
    const struct xlsr_reader *r = &h->s->rd;
    if (!r->seek_skip || !r->offset_known)
        return XLSR_DECLINE;
    *fd = r->fd;
    *base = r->base;
    return XLSR_OK;
}

static uint64_t h_max_record_bytes(xlsr_handle *h)
{
    return h->s->cfg->max_record_bytes;
}

const struct xlsr_host xlsr__host = {
    .size = sizeof(struct xlsr_host),
    .abi_major = XLSR_ABI_MAJOR,
    .abi_minor = XLSR_ABI_MINOR,
    .log = h_log,
    .fail = h_fail,
    .print = h_print,
    .conf_str = h_conf_str,
    .conf_u64 = h_conf_u64,
    .conf_bool = h_conf_bool,
    .conf_dir = h_conf_dir,
    .restore_ctx = h_restore_ctx,
    .read = h_read,
    .skip = h_skip,
    .offset = h_offset,
    .take_fd = h_take_fd,
    .return_fd = h_return_fd,
    .checkpoint = h_checkpoint,
    .max_record_bytes = h_max_record_bytes,
    .libxl_record = h_libxl_record,
    .guest_type = h_guest_type,
    .input_file = h_input_file,
};
