/*
 * xenstore.c - the `xenstore` plugin: applies EMULATOR_XENSTORE_DATA.
 *
 * Every pair of a record is written below a root path (default, as libxl:
 * /local/domain/<dm_domid>/device-model/<domid>) in ONE xenstore
 * transaction through libxenstore, so the device model sees all keys or
 * none.  The whole record is validated before any transaction opens.  A
 * transaction that ends with EAGAIN (another client touched a node we
 * touched) is replayed from the start, at most `retries` times; any other
 * failure aborts it and fails the stream.
 *
 * Side effects happen only in RESTORE mode without dry_run; dry_run prints
 * the writes, DUMP prints the pairs, VERIFY only validates.  libxenstore
 * is opened lazily (verify and dump need no xenstored) and honours
 * XENSTORED_PATH.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xen/io/xs_wire.h>

#include <xlsr/plugin.h>

#include "pairs.h"
#include "tmpl.h"
#include "xsapi.h"

#define ROOT_DEFAULT "/local/domain/%dm_domid/device-model/%domid"
#define RETRIES_MAX 1000

struct xs_state {
    const struct xlsr_host *host;
    xlsr_handle *h;
    struct xlsr_restore_ctx *ctx;
    const char *root_tmpl;
    char root[XENSTORE_ABS_PATH_MAX + 1];   /* resolved, RESTORE only */
    unsigned retries;
    struct xs_handle *xsh;      /* opened at the first write */
    struct xs_api xs;           /* libxenstore, loaded then too */
};

static const struct xlsr_conf_key conf_keys[] = {
    { "root", XLSR_CONF_STRING, false, ROOT_DEFAULT,
      "xenstore path the keys are written under (%domid, %dm_domid)" },
    { "retries", XLSR_CONF_U64, false, "5",
      "times a transaction is replayed after EAGAIN (0-1000)" },
    { NULL, 0, false, NULL, NULL },
};

/* The resolved root: absolute, no trailing '/', valid xenstore chars. */
static int check_root(struct xs_state *s)
{
    size_t n = strlen(s->root);

    while (n > 1 && s->root[n - 1] == '/')
        s->root[--n] = '\0';
    if (s->root[0] != '/' || n < 2) {
        s->host->fail(s->h, "root '%s' must be an absolute path below /",
                      s->root);
        return XLSR_ERR_CONFIG;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s->root[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || strchr("-/_@", c);
        if (!ok || (c == '/' && s->root[i + 1] == '/')) {
            s->host->fail(s->h, "root '%s' is not a valid xenstore path",
                          s->root);
            return XLSR_ERR_CONFIG;
        }
    }
    return XLSR_OK;
}

static int xs_conf(struct xs_state *s)
{
    uint64_t retries;
    char err[256];

    if (s->host->conf_str(s->h, "root", &s->root_tmpl) != XLSR_OK ||
        s->host->conf_u64(s->h, "retries", &retries) != XLSR_OK)
        return XLSR_ERR_CONFIG;
    if (retries > RETRIES_MAX) {
        s->host->fail(s->h, "retries = %" PRIu64 " is above %d", retries,
                      RETRIES_MAX);
        return XLSR_ERR_CONFIG;
    }
    s->retries = (unsigned)retries;
    if (tmpl_check(s->root_tmpl, false, err, sizeof(err)) < 0) {
        s->host->fail(s->h, "root: %s", err);
        return XLSR_ERR_CONFIG;
    }
    if (s->ctx->mode != XLSR_MODE_RESTORE)
        return XLSR_OK;
    struct tmpl_vars v = { .domid = s->ctx->domid,
                           .dm_domid = s->ctx->dm_domid };
    if (tmpl_expand(s->root_tmpl, &v, s->root, sizeof(s->root), err,
                    sizeof(err)) < 0) {
        s->host->fail(s->h, "root: %s", err);
        return XLSR_ERR_CONFIG;
    }
    return check_root(s);
}

static int xs_init(const struct xlsr_host *host, xlsr_handle *h,
                   void **state)
{
    struct xs_state *s = calloc(1, sizeof(*s));
    int rc;

    if (!s) {
        host->fail(h, "out of memory");
        return XLSR_ERR_NOMEM;
    }
    s->host = host;
    s->h = h;
    s->ctx = host->restore_ctx(h);
    rc = xs_conf(s);
    if (rc != XLSR_OK) {
        free(s);
        return rc;
    }
    *state = s;
    return XLSR_OK;
}

/* One pair, printed (dump, dry run) or written in a transaction. */
struct walk {
    struct xs_state *s;
    const char *verb;           /* for printing */
    xs_transaction_t t;
    char *path;                 /* root + '/' + room for the longest key */
    size_t rootlen;
    int err;                    /* errno of a failed write */
    const char *failed_key;
};

static int print_pair(void *opaque, const char *key, const char *val,
                      size_t vlen)
{
    struct walk *w = opaque;
    char shown[256];

    pairs_escape(val, vlen, shown, sizeof(shown));
    if (w->path)
        w->s->host->print(w->s->h, "%s%s/%s = \"%s\"", w->verb,
                          w->s->root, key, shown);
    else
        w->s->host->print(w->s->h, "%s%s = \"%s\"", w->verb, key, shown);
    return 0;
}

static int write_pair(void *opaque, const char *key, const char *val,
                      size_t vlen)
{
    struct walk *w = opaque;

    strcpy(w->path + w->rootlen + 1, key);
    if (!w->s->xs.write(w->s->xsh, w->t, w->path, val, (unsigned)vlen)) {
        w->err = errno ? errno : EIO;
        w->failed_key = key;
        return -1;
    }
    return 0;
}

/* Sleep a little before a replay, longer each time (at most 64 ms). */
static void backoff(unsigned attempt)
{
    struct timespec ts = { 0, (long)(1000000L << (attempt < 6 ? attempt : 6)) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* One transaction attempt: 0 committed, EAGAIN to replay, -1 failed. */
static int try_once(struct walk *w, const struct xlsr_record *rec)
{
    struct xs_state *s = w->s;

    w->t = s->xs.transaction_start(s->xsh);
    if (w->t == XBT_NULL) {
        s->host->fail(s->h, "xs_transaction_start: %s", strerror(errno));
        return -1;
    }
    if (pairs_each(rec->body, rec->length, write_pair, w)) {
        s->xs.transaction_end(s->xsh, w->t, true);
        s->host->fail(s->h, "xs_write %s: %s; transaction aborted, "
                      "nothing written", w->path, strerror(w->err));
        return -1;
    }
    if (s->xs.transaction_end(s->xsh, w->t, false))
        return 0;
    if (errno == EAGAIN)
        return EAGAIN;
    s->host->fail(s->h, "xs_transaction_end: %s", strerror(errno));
    return -1;
}

static int apply(struct xs_state *s, const struct xlsr_record *rec,
                 const struct pairs_info *pi)
{
    struct walk w = { .s = s, .rootlen = strlen(s->root) };
    int rc = XLSR_ERR_HANDLER;

    if (!s->xsh) {
        char why[300];
        if (xs_api_load(&s->xs, why, sizeof(why))) {
            s->host->fail(s->h, "%s", why);
            return XLSR_ERR_HANDLER;
        }
        s->xsh = s->xs.open(0);
        if (!s->xsh) {
            s->host->fail(s->h, "cannot connect to xenstored (xs_open): %s",
                          strerror(errno));
            return XLSR_ERR_HANDLER;
        }
    }
    w.path = malloc(w.rootlen + 1 + pi->max_key + 1);
    if (!w.path) {
        s->host->fail(s->h, "out of memory");
        return XLSR_ERR_NOMEM;
    }
    memcpy(w.path, s->root, w.rootlen);
    w.path[w.rootlen] = '/';
    for (unsigned attempt = 0;; attempt++) {
        int r = try_once(&w, rec);
        if (r == 0) {
            s->host->log(s->h, XLSR_LOG_INFO, "wrote %zu keys "
                         "under %s (attempt %u)", pi->npairs, s->root,
                         attempt + 1);
            rc = XLSR_OK;
            break;
        }
        if (r != EAGAIN)
            break;
        if (attempt >= s->retries) {
            s->host->fail(s->h, "xenstore transaction still conflicting "
                          "(EAGAIN) after %u attempts; nothing written",
                          attempt + 1);
            break;
        }
        s->host->log(s->h, XLSR_LOG_WARN, "xenstore transaction conflict "
                     "(EAGAIN), retry %u of %u", attempt + 1, s->retries);
        backoff(attempt);
    }
    free(w.path);
    return rc;
}

static int xs_record(void *state, const struct xlsr_record *rec)
{
    struct xs_state *s = state;
    struct pairs_info pi;
    char err[512];

    if (rec->type != XLSR_REC_EMULATOR_XENSTORE_DATA) {
        s->host->fail(s->h, "the xenstore plugin handles "
                      "EMULATOR_XENSTORE_DATA records only");
        return XLSR_ERR_CONFIG;
    }
    if (pairs_validate(rec->body, rec->length, &pi, err, sizeof(err)) < 0) {
        s->host->fail(s->h, "%s", err);
        return XLSR_ERR_STREAM;
    }
    if (s->ctx->mode == XLSR_MODE_DUMP) {
        struct walk w = { .s = s, .verb = "    " };
        s->host->print(s->h, "  emulator %" PRIu32 " index %" PRIu32
                       ": %zu xenstore pairs", pi.emu_id, pi.index,
                       pi.npairs);
        pairs_each(rec->body, rec->length, print_pair, &w);
        return XLSR_OK;
    }
    if (s->ctx->mode != XLSR_MODE_RESTORE)
        return XLSR_OK;
    if (s->ctx->dry_run) {
        struct walk w = { .s = s, .verb = "xenstore: would write ",
                          .path = s->root };
        pairs_each(rec->body, rec->length, print_pair, &w);
        return XLSR_OK;
    }
    return apply(s, rec, &pi);
}

static void xs_fini(void *state, int rc)
{
    struct xs_state *s = state;

    (void)rc;
    if (!s)
        return;
    if (s->xsh)
        s->xs.close(s->xsh);
    xs_api_unload(&s->xs);
    free(s);
}

static const struct xlsr_plugin xenstore_plugin = {
    XLSR_PLUGIN_ABI,
    .name = "xenstore",
    .version = "1.0",
    .description = "writes EMULATOR_XENSTORE_DATA pairs in one xenstore "
                   "transaction",
    .conf_keys = conf_keys,
    .init = xs_init,
    .record = xs_record,
    .fini = xs_fini,
};

XLSR_PLUGIN_DEFINE(xenstore_plugin)
