/*
 * recorder.c - a test-only plugin that records what the core hands it.
 *
 * Every callback appends one line to the file named by `log`, so a test
 * can compare the sequence of calls, types, lengths, offsets and body
 * checksums with what it wrote.  `cookie` is stored at init and echoed on
 * every line: it proves that state from init reaches record and fini.
 * As a substream handler it walks a libxc-framed stream (24-byte image
 * header, 16-byte domain header, records up to type 0) with host->read,
 * one record at a time, without interpreting it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsr/plugin.h>

struct rec_state {
    const struct xlsr_host *host;
    xlsr_handle *h;
    FILE *log;
    uint64_t cookie;
    uint64_t fail_at;       /* 1-based record number to fail on, 0 never */
    bool stop, decline;
    uint64_t n, return_code;
};

static const struct xlsr_conf_key rec_keys[] = {
    { "log", XLSR_CONF_STRING, true, NULL, "file to append call lines to" },
    { "cookie", XLSR_CONF_U64, false, "0", "echoed on every line" },
    { "fail_init", XLSR_CONF_BOOL, false, "false", "init fails" },
    { "crash_init", XLSR_CONF_BOOL, false, "false", "init dies of SIGSEGV" },
    { "fail_at", XLSR_CONF_U64, false, "0", "fail the Nth record" },
    { "stop", XLSR_CONF_BOOL, false, "false", "return STOP (as END)" },
    { "decline", XLSR_CONF_BOOL, false, "false", "decline every record" },
    { "return_code", XLSR_CONF_U64, false, "0", "return this instead of OK" },
    { NULL, 0, false, NULL, NULL },
};

/* FNV-1a: enough to tell bodies apart. */
static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static int rec_init(const struct xlsr_host *host, xlsr_handle *h,
                    void **state)
{
    struct rec_state *st = calloc(1, sizeof(*st));
    const char *path;
    bool fail_init, crash_init;

    if (!st)
        return XLSR_ERR_NOMEM;
    st->host = host;
    st->h = h;
    if (host->conf_str(h, "log", &path) ||
        host->conf_u64(h, "cookie", &st->cookie) ||
        host->conf_u64(h, "fail_at", &st->fail_at) ||
        host->conf_bool(h, "stop", &st->stop) ||
        host->conf_bool(h, "decline", &st->decline) ||
        host->conf_u64(h, "return_code", &st->return_code) ||
        host->conf_bool(h, "fail_init", &fail_init) ||
        host->conf_bool(h, "crash_init", &crash_init)) {
        free(st);
        return XLSR_ERR_CONFIG;
    }
    if (crash_init)
        raise(SIGSEGV);
    if (fail_init) {
        host->fail(h, "recorder told to fail (fail_init = true)");
        free(st);
        return XLSR_ERR_CONFIG;
    }
    st->log = fopen(path, "a");
    if (!st->log) {
        host->fail(h, "cannot open %s", path);
        free(st);
        return XLSR_ERR_CONFIG;
    }
    setvbuf(st->log, NULL, _IOLBF, 0);
    fprintf(st->log, "init cookie=%llu\n", (unsigned long long)st->cookie);
    *state = st;
    return XLSR_OK;
}

static int rec_record(void *state, const struct xlsr_record *rec)
{
    struct rec_state *st = state;
    st->n++;
    fprintf(st->log, "record cookie=%llu type=0x%x len=%u offset=%llu "
            "ckpt=%u fnv=%016llx\n", (unsigned long long)st->cookie,
            rec->type, rec->length, (unsigned long long)rec->offset,
            rec->checkpoint,
            (unsigned long long)fnv(rec->body, rec->body ? rec->length : 0));
    if (st->fail_at && st->n == st->fail_at) {
        st->host->fail(st->h, "recorder told to fail record %llu",
                       (unsigned long long)st->n);
        return XLSR_ERR_HANDLER;
    }
    if (st->decline)
        return XLSR_DECLINE;
    if (st->return_code)
        return (int)st->return_code;
    return st->stop ? XLSR_STOP : XLSR_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static int rec_substream(void *state, const struct xlsr_record *rec)
{
    struct rec_state *st = state;
    uint8_t hdr[40], rh[8];
    uint64_t start = st->host->offset(st->h), records = 0;
    int rc;

    (void)rec;
    rc = st->host->read(st->h, hdr, sizeof(hdr));
    if (rc) {
        st->host->fail(st->h, "sub-stream headers: %d", rc);
        return rc;
    }
    for (;;) {
        rc = st->host->read(st->h, rh, sizeof(rh));
        if (rc) {
            st->host->fail(st->h, "sub-stream record header: %d", rc);
            return rc;
        }
        records++;
        uint32_t type = le32(rh), len = le32(rh + 4);
        uint64_t padded = ((uint64_t)len + 7) & ~7ull;
        if (padded > st->host->max_record_bytes(st->h)) {
            st->host->fail(st->h, "sub-stream record too long");
            return XLSR_ERR_LIMIT;
        }
        rc = st->host->skip(st->h, padded);
        if (rc) {
            st->host->fail(st->h, "sub-stream record body: %d", rc);
            return rc;
        }
        if (type == 0)
            break;
    }
    fprintf(st->log, "substream cookie=%llu start=%llu end=%llu "
            "records=%llu\n", (unsigned long long)st->cookie,
            (unsigned long long)start,
            (unsigned long long)st->host->offset(st->h),
            (unsigned long long)records);
    return XLSR_OK;
}

static void rec_fini(void *state, int rc)
{
    struct rec_state *st = state;
    fprintf(st->log, "fini cookie=%llu records=%llu rc=%d\n",
            (unsigned long long)st->cookie, (unsigned long long)st->n, rc);
    fclose(st->log);
    free(st);
}

static const struct xlsr_plugin recorder = {
    XLSR_PLUGIN_ABI,
    .name = "recorder",
    .version = "test",
    .description = "records every call (tests only)",
    .conf_keys = rec_keys,
    .init = rec_init,
    .record = rec_record,
    .substream = rec_substream,
    .fini = rec_fini,
};

XLSR_PLUGIN_DEFINE(recorder)
