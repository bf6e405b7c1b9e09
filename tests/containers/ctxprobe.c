/*
 * ctxprobe.c - a test-only plugin that shows what the core hands a plugin
 * from a container: one line per record (layer, type, length, offset, the
 * first body bytes) and, at the first record, which container configs the
 * restore context carries, all appended to the file `log`.  Bound to a
 * xenopsd type it shows the routing of container records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsr/plugin.h>

struct probe {
    const struct xlsr_host *host;
    xlsr_handle *h;
    FILE *log;
    bool ctx_done;
};

static const struct xlsr_conf_key keys[] = {
    { "log", XLSR_CONF_STRING, true, NULL, "file to append lines to" },
    { NULL, 0, false, NULL, NULL },
};

static int probe_init(const struct xlsr_host *host, xlsr_handle *h,
                      void **state)
{
    struct probe *p = calloc(1, sizeof(*p));
    const char *path;
    if (!p || host->conf_str(h, "log", &path) || !(p->log = fopen(path, "a"))) {
        free(p);
        host->fail(h, "cannot open the log");
        return XLSR_ERR_CONFIG;
    }
    setvbuf(p->log, NULL, _IOLBF, 0);
    p->host = host;
    p->h = h;
    *state = p;
    return XLSR_OK;
}

static void show_ctx(struct probe *p)
{
    const struct xlsr_restore_ctx *c = p->host->restore_ctx(p->h);
    if (p->ctx_done || !XLSR_CTX_HAS(c, xenops_sexp_len))
        return;
    p->ctx_done = true;
    fprintf(p->log, "ctx xl=%zu libvirt=%zu xenops=%zu\n", c->xl_config_len,
            c->libvirt_xml_len, c->xenops_sexp_len);
    if (c->libvirt_xml)
        fprintf(p->log, "libvirt_xml %.40s\n", c->libvirt_xml);
    if (c->xenops_sexp)
        fprintf(p->log, "xenops_sexp %.40s\n", c->xenops_sexp);
}

static int probe_record(void *state, const struct xlsr_record *rec)
{
    struct probe *p = state;
    show_ctx(p);
    fprintf(p->log, "record layer=%u type=0x%x len=%u offset=%llu body=",
            p->host->abi_minor >= 2 ? rec->layer : 0, rec->type, rec->length,
            (unsigned long long)rec->offset);
    for (uint32_t i = 0; i < rec->length && i < 8; i++)
        fprintf(p->log, "%02x", rec->body[i]);
    fprintf(p->log, "\n");
    return rec->type == XLSR_REC_END && rec->layer == XLSR_LAYER_LIBXL
               ? XLSR_STOP : XLSR_OK;
}

static void probe_fini(void *state, int rc)
{
    struct probe *p = state;
    (void)rc;
    if (p) {
        fclose(p->log);
        free(p);
    }
}

static const struct xlsr_plugin probe_plugin = {
    XLSR_PLUGIN_ABI,
    .name = "ctxprobe",
    .version = "1.0",
    .description = "test: logs records and container configs",
    .conf_keys = keys,
    .init = probe_init,
    .record = probe_record,
    .fini = probe_fini,
};

XLSR_PLUGIN_DEFINE(probe_plugin)
