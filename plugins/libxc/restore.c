/*
 * restore.c - restore mode: libxenguest's xc_domain_restore() (Xen 4.17
 * signature, xenguest.h) reads the libxc stream straight from the fd.
 *
 * The core hands us its fd (take_fd) with nothing buffered past the
 * LIBXC_CONTEXT record and takes it back (return_fd) when libxenguest has
 * read the libxc END; libxenguest reads exactly the stream, so the libxl
 * stream resumes at the right byte.  For Remus, libxenguest calls our
 * checkpoint callback at each libxc CHECKPOINT record: we give the fd
 * back to the core for the libxl part of the checkpoint (host->checkpoint,
 * up to CHECKPOINT_END), then take it again, as libxl does in
 * libxl_save_callout/libxl_stream_read.  libxenguest's log messages go to
 * host->log through a xentoollog logger.
 *
 * libxenctrl and libxenguest are loaded here, at the init of a real
 * restore, not linked into the plugin: verify and dump never map them and
 * their dozen dependencies (1.4 ms of every run, measured).  Symbols are
 * looked up in the global scope, so an LD_PRELOADed stand-in (the tests')
 * still takes precedence.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenguest.h>

#include "libxc.h"

#define PRIVCMD "/dev/xen/privcmd"

/* The four calls restore makes, resolved at init. */
struct lx_api {
    __typeof__(&xc_interface_open) interface_open;
    __typeof__(&xc_interface_close) interface_close;
    __typeof__(&xc_domain_getinfo) domain_getinfo;
    __typeof__(&xc_domain_restore) domain_restore;
};

static const char *const xen_libs[] = { "libxenctrl.so.4.17",
                                        "libxenguest.so.4.17" };

struct lx_xc {
    xentoollog_logger logger;   /* first: libxenguest hands it back */
    struct lx_state *s;
    struct lx_api api;
    void *dl[2];
    xc_interface *xch;
    int fd;
    bool failover;              /* a checkpoint callback said FAILOVER */
    char first_error[640];      /* libxenguest's own reason, for the error */
};

static enum xlsr_log_level map_level(xentoollog_level level)
{
    if (level >= XTL_ERROR)
        return XLSR_LOG_ERROR;
    if (level >= XTL_WARN)
        return XLSR_LOG_WARN;
    if (level >= XTL_INFO)
        return XLSR_LOG_INFO;
    return XLSR_LOG_DEBUG;
}

static void XLSR_PRINTF(5, 0)
xtl_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
             const char *context, const char *fmt, va_list al)
{
    struct lx_xc *x = (struct lx_xc *)lg;
    char msg[512];

    vsnprintf(msg, sizeof(msg), fmt, al);
    if (level >= XTL_ERROR && !x->first_error[0])
        snprintf(x->first_error, sizeof(x->first_error), "%s%s%s", msg,
                 errnoval >= 0 ? ": " : "",
                 errnoval >= 0 ? strerror(errnoval) : "");
    x->s->host->log(x->s->h, map_level(level), "%s%s%s%s%s",
                    context ? context : "", context ? ": " : "", msg,
                    errnoval >= 0 ? ": " : "",
                    errnoval >= 0 ? strerror(errnoval) : "");
}

static void xtl_destroy(xentoollog_logger *lg)
{
    (void)lg;   /* lives in struct lx_xc */
}

static int load_api(struct lx_state *s, struct lx_xc *x)
{
    for (size_t i = 0; i < 2; i++) {
        x->dl[i] = dlopen(xen_libs[i], RTLD_NOW | RTLD_GLOBAL);
        if (!x->dl[i]) {
            s->host->fail(s->h, "cannot load %s: %s", xen_libs[i],
                          dlerror());
            return XLSR_ERR_CONFIG;
        }
    }
    static const char *const names[] = { "xc_interface_open",
                                         "xc_interface_close",
                                         "xc_domain_getinfo",
                                         "xc_domain_restore" };
    void *syms[4];
    for (size_t i = 0; i < 4; i++) {
        syms[i] = dlsym(RTLD_DEFAULT, names[i]);
        if (!syms[i]) {
            s->host->fail(s->h, "libxenguest/libxenctrl lack %s", names[i]);
            return XLSR_ERR_CONFIG;
        }
    }
    memcpy(&x->api.interface_open, &syms[0], sizeof(syms[0]));
    memcpy(&x->api.interface_close, &syms[1], sizeof(syms[1]));
    memcpy(&x->api.domain_getinfo, &syms[2], sizeof(syms[2]));
    memcpy(&x->api.domain_restore, &syms[3], sizeof(syms[3]));
    return XLSR_OK;
}

static void unload_api(struct lx_xc *x)
{
    for (size_t i = 0; i < 2; i++)
        if (x->dl[i])
            dlclose(x->dl[i]);
}

int lx_restore_init(struct lx_state *s)
{
    const struct xlsr_restore_ctx *ctx = s->ctx;
    struct lx_xc *x;

    /* Checked first and by name so the message says what is missing;
     * xc_interface_open would only log a generic failure. */
    if (access(PRIVCMD, R_OK | W_OK)) {
        s->host->fail(s->h, "restore needs a Xen hypervisor: %s: %s (to "
                      "check the stream without one, use --dry-run or "
                      "mode = verify)", PRIVCMD, strerror(errno));
        return XLSR_ERR_CONFIG;
    }
    if (ctx->checkpointed == XLSR_CKPT_COLO) {
        s->host->fail(s->h, "COLO restore needs a back channel to the "
                      "primary, which xlsr does not provide");
        return XLSR_ERR_CONFIG;
    }
    if (ctx->store_port < 0 || ctx->console_port < 0) {
        s->host->fail(s->h, "restore needs the store and console event "
                      "channels (store_port %d, console_port %d)",
                      ctx->store_port, ctx->console_port);
        return XLSR_ERR_CONFIG;
    }
    x = calloc(1, sizeof(*x));
    if (!x)
        return XLSR_ERR_NOMEM;
    x->logger.vmessage = xtl_vmessage;
    x->logger.destroy = xtl_destroy;
    x->s = s;
    x->fd = -1;
    int rc = load_api(s, x);
    if (rc) {
        unload_api(x);
        free(x);
        return rc;
    }
    x->xch = x->api.interface_open(&x->logger, &x->logger, 0);
    if (!x->xch) {
        s->host->fail(s->h, "cannot open the Xen control interface: %s",
                      strerror(errno));
        unload_api(x);
        free(x);
        return XLSR_ERR_CONFIG;
    }
    s->xc = x;
    return XLSR_OK;
}

/* A libxc CHECKPOINT record: the libxl part of the checkpoint follows. */
static int cb_checkpoint(void *data)
{
    struct lx_xc *x = data;
    const struct xlsr_host *host = x->s->host;
    int fd = -1;

    host->return_fd(x->s->h, UINT64_MAX);
    int rc = host->checkpoint(x->s->h);
    if (host->take_fd(x->s->h, &fd) || fd != x->fd)
        return XGR_CHECKPOINT_ERROR;
    if (rc == XLSR_OK) {
        x->s->st.checkpoints++;
        return XGR_CHECKPOINT_SUCCESS;
    }
    if (rc == XLSR_ERR_EOF) {
        x->failover = true;
        return XGR_CHECKPOINT_FAILOVER;
    }
    return XGR_CHECKPOINT_ERROR;
}

/* Streams older than v3 lack CPUID/MSR policy records; libxl then applies
 * a default policy from the domain configuration, which we do not have. */
static int cb_static_data_done(unsigned int missing, void *data)
{
    struct lx_xc *x = data;
    if (missing)
        x->s->host->log(x->s->h, XLSR_LOG_WARN, "stream carries no %s%s%s "
                        "policy; the domain keeps the one it was created "
                        "with", missing & XGR_SDD_MISSING_CPUID ? "CPUID" : "",
                        missing == 3 ? " or " : "",
                        missing & XGR_SDD_MISSING_MSR ? "MSR" : "");
    return 0;
}

static void report(struct lx_state *s, struct lx_xc *x)
{
    xc_dominfo_t info;
    const char *guest = "unknown";

    if (x->api.domain_getinfo(x->xch, s->ctx->domid, 1, &info) == 1 &&
        info.domid == s->ctx->domid) {
        guest = info.hvm ? "x86 HVM" : "x86 PV";
        if (XLSR_HOST_HAS(s->host, guest_type))
            s->host->guest_type(s->h, info.hvm ? LX_GUEST_HVM : LX_GUEST_PV);
    }
    s->host->print(s->h, "  libxc: restored %s guest into domain %u: store "
                   "mfn 0x%lx, console mfn 0x%lx%s", guest, s->ctx->domid,
                   s->ctx->store_mfn, s->ctx->console_mfn,
                   x->failover ? " (failover to the last checkpoint)" : "");
}

int lx_restore_stream(struct lx_state *s)
{
    struct lx_xc *x = s->xc;
    struct xlsr_restore_ctx *ctx = s->ctx;
    struct restore_callbacks cb;
    unsigned long store_mfn = 0, console_mfn = 0;
    int rc;

    rc = s->host->take_fd(s->h, &x->fd);
    if (rc) {
        s->host->fail(s->h, "cannot take the stream fd for libxenguest");
        return rc;
    }
    memset(&cb, 0, sizeof(cb));
    cb.static_data_done = cb_static_data_done;
    cb.checkpoint = cb_checkpoint;
    cb.data = x;
    int r = x->api.domain_restore(
        x->xch, x->fd, ctx->domid, (unsigned)ctx->store_port, &store_mfn,
        ctx->store_domid, (unsigned)ctx->console_port, &console_mfn,
        ctx->console_domid,
        ctx->checkpointed == XLSR_CKPT_REMUS ? XC_STREAM_REMUS
                                             : XC_STREAM_PLAIN,
        &cb, -1);
    s->host->return_fd(s->h, UINT64_MAX);
    if (r) {
        s->host->fail(s->h, "xc_domain_restore failed for domain %u: %s",
                      ctx->domid, x->first_error[0]
                                      ? x->first_error
                                      : "(no reason logged by libxenguest)");
        return XLSR_ERR_HANDLER;
    }
    ctx->store_mfn = store_mfn;
    ctx->console_mfn = console_mfn;
    ctx->have_results = true;
    /* Success in a checkpointed stream is the domain at a consistent
     * checkpoint, whether the stream ended or libxenguest stopped on its
     * own: the core completes the stream here and reads nothing more
     * (libxl_stream_read.c, libxl__xc_domain_restore_done()). */
    report(s, x);
    return XLSR_OK;
}

void lx_restore_fini(struct lx_state *s)
{
    struct lx_xc *x = s->xc;
    if (!x)
        return;
    if (x->xch)
        x->api.interface_close(x->xch);
    unload_api(x);
    free(x);
    s->xc = NULL;
}
