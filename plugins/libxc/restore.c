/*
 * restore.c - restore mode: libxenguest's xc_domain_restore() reads the
 * libxc stream straight from the fd, in a helper process (helper.h), as
 * libxl runs it in libxl-save-helper (Xen 4.17 libxl_save_callout.c).
 *
 * The core hands us its fd (take_fd) with nothing buffered past the
 * LIBXC_CONTEXT record; the helper inherits the same open file
 * description and reads exactly the libxc stream.  We take its messages:
 * log lines go to host->log; at each libxc CHECKPOINT we give the fd back
 * to the core for the libxl part of the checkpoint (host->checkpoint, up
 * to CHECKPOINT_END), take it again and answer SUCCESS, FAILOVER or ERROR
 * from what the core returned (libxl_stream_read.c checkpoint_done()).
 * When the helper reports xc_domain_restore()'s result we return the fd
 * (return_fd): on a file the core reads the exact offset back with lseek,
 * on a pipe later offsets are unknown and errors say so.
 *
 * Whether the stream failed over is libxenguest's to say, through its
 * return value and what our callbacks told it, never its log: success in
 * a checkpointed stream is the domain at a consistent checkpoint, and the
 * core completes the stream there (libxl__xc_domain_restore_done()).
 *
 * The helper is killed and reaped when the whole restore overruns
 * `restore_timeout` seconds (checked while waiting for libxenguest), when
 * its pipe breaks, and at fini if it still runs; its death by signal or
 * exit without a result is an error naming the signal or status.
 *
 * libxenctrl and libxenguest are loaded here, at the init of a real
 * restore, not linked into the plugin: verify and dump never map them and
 * their dozen dependencies (1.4 ms of every run, measured).  Xen release
 * differences of these calls: xenapi.h.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "libxc.h"

#define PRIVCMD "/dev/xen/privcmd"

static const char *const xen_libs[] = { LX_LIBXENCTRL, LX_LIBXENGUEST };

struct lx_xc {
    xentoollog_logger logger;   /* init's probe of the control interface */
    struct lx_state *s;
    struct lx_api api;
    void *dl[2];
    uint64_t timeout_s;         /* restore_timeout, 0: none */
    struct lx_helper hp;
    char first_error[640];      /* libxenguest's own reason, for the error */
};

static enum xlsr_log_level map_level(int32_t level)
{
    if (level >= XTL_ERROR)
        return XLSR_LOG_ERROR;
    if (level >= XTL_WARN)
        return XLSR_LOG_WARN;
    if (level >= XTL_INFO)
        return XLSR_LOG_INFO;
    return XLSR_LOG_DEBUG;
}

/* A log line of libxenguest: in init's probe (here), or from the helper
 * (log_line below). */
static void log_line(struct lx_xc *x, int32_t level, int32_t errnoval,
                     const char *msg, size_t skip)
{
    if (level >= XTL_ERROR && !x->first_error[0])
        snprintf(x->first_error, sizeof(x->first_error), "%s%s%s",
                 msg + (skip < strlen(msg) ? skip : 0),
                 errnoval > 0 ? ": " : "",
                 errnoval > 0 ? strerror(errnoval) : "");
    x->s->host->log(x->s->h, map_level(level), "%s%s%s", msg,
                    errnoval > 0 ? ": " : "",
                    errnoval > 0 ? strerror(errnoval) : "");
}

static void XLSR_PRINTF(5, 0)
probe_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
               const char *context, const char *fmt, va_list al)
{
    struct lx_xc *x = (struct lx_xc *)lg;
    char line[600];
    int n = snprintf(line, sizeof(line), "%s%s", context ? context : "",
                     context ? ": " : "");
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, al);
    log_line(x, (int32_t)level, errnoval, line, (size_t)n);
}

static void probe_destroy(xentoollog_logger *lg)
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
        /* Global scope: an LD_PRELOADed stand-in (the tests') wins. */
        syms[i] = dlsym(RTLD_DEFAULT, names[i]);
        if (!syms[i]) {
            s->host->fail(s->h, "libxenguest/libxenctrl %s lack %s",
                          LX_XEN_RELEASE, names[i]);
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
    x->logger.vmessage = probe_vmessage;
    x->logger.destroy = probe_destroy;
    x->s = s;
    int rc = s->host->conf_u64(s->h, "restore_timeout", &x->timeout_s);
    if (!rc)
        rc = load_api(s, x);
    if (rc) {
        unload_api(x);
        free(x);
        return rc;
    }
    /* The helper opens its own interface (helper.h); this one only
     * proves, before the stream is read, that one can be opened. */
    xc_interface *xch = x->api.interface_open(&x->logger, &x->logger, 0);
    if (!xch) {
        s->host->fail(s->h, "cannot open the Xen control interface: %s",
                      strerror(errno));
        unload_api(x);
        free(x);
        return XLSR_ERR_CONFIG;
    }
    x->api.interface_close(xch);
    s->xc = x;
    return XLSR_OK;
}

/* A libxc CHECKPOINT record: the libxl part of the checkpoint follows. */
static int32_t on_checkpoint(struct lx_xc *x)
{
    const struct xlsr_host *host = x->s->host;
    int fd = -1;

    host->return_fd(x->s->h, UINT64_MAX);
    int rc = host->checkpoint(x->s->h);
    if (host->take_fd(x->s->h, &fd))
        return XGR_CHECKPOINT_ERROR;
    if (rc == XLSR_OK) {
        x->s->st.checkpoints++;
        return XGR_CHECKPOINT_SUCCESS;
    }
    return rc == XLSR_ERR_EOF ? XGR_CHECKPOINT_FAILOVER
                              : XGR_CHECKPOINT_ERROR;
}

/* Streams older than v3 lack CPUID/MSR policy records; libxl then applies
 * a default policy from the domain configuration, which we do not have. */
static int32_t on_static_data_done(struct lx_xc *x, int32_t missing)
{
    if (missing)
        x->s->host->log(x->s->h, XLSR_LOG_WARN, "stream carries no %s%s%s "
                        "policy; the domain keeps the one it was created "
                        "with", missing & XGR_SDD_MISSING_CPUID ? "CPUID" : "",
                        missing == 3 ? " or " : "",
                        missing & XGR_SDD_MISSING_MSR ? "MSR" : "");
    return 0;
}

/* Waits for the helper's messages up to its result; XLSR_OK with *done
 * filled, or the reason the helper went away. */
static int converse(struct lx_xc *x, struct lx_msg *done, int *hvm)
{
    struct lx_state *s = x->s;
    uint64_t deadline = x->timeout_s ? lx_now_ms() + x->timeout_s * 1000 : 0;
    struct lx_msg m;

    for (;;) {
        int r = lx_helper_next(&x->hp, &m, deadline);
        if (r == 2) {
            int st = lx_helper_reap(&x->hp, SIGKILL);
            char how[96];
            lx_helper_status(st, how, sizeof(how));
            s->host->fail(s->h, "restore_timeout (%llu s) exceeded after "
                          "checkpoint %u: libxenguest's helper killed (%s)",
                          (unsigned long long)x->timeout_s,
                          s->st.checkpoints, how);
            return XLSR_ERR_HANDLER;
        }
        if (r) {
            int e = errno;
            int st = lx_helper_reap(&x->hp, r < 0 ? SIGKILL : 0);
            char how[96];
            lx_helper_status(st, how, sizeof(how));
            s->host->fail(s->h, "libxenguest's helper ended with %s before "
                          "reporting a result (after checkpoint %u)%s%s%s%s",
                          how, s->st.checkpoints,
                          r < 0 ? "; reading its pipe: " : "",
                          r < 0 ? strerror(e) : "",
                          x->first_error[0] ? "; it had logged: " : "",
                          x->first_error);
            return XLSR_ERR_HANDLER;
        }
        int32_t answer;
        switch (m.kind) {
        case LX_MSG_LOG:
            log_line(x, m.a, m.b, m.text, (size_t)m.c);
            continue;
        case LX_MSG_DOMINFO:
            *hvm = m.a;
            continue;
        case LX_MSG_STATIC_DATA_DONE:
            answer = on_static_data_done(x, m.a);
            break;
        case LX_MSG_CHECKPOINT:
            answer = on_checkpoint(x);
            break;
        case LX_MSG_DONE:
            *done = m;
            return XLSR_OK;
        default:
            lx_helper_reap(&x->hp, SIGKILL);
            s->host->fail(s->h, "libxenguest's helper sent message kind "
                          "%u: killed", m.kind);
            return XLSR_ERR_HANDLER;
        }
        if (lx_helper_reply(&x->hp, answer)) {
            lx_helper_reap(&x->hp, SIGKILL);
            s->host->fail(s->h, "cannot answer libxenguest's helper: %s",
                          strerror(errno));
            return XLSR_ERR_HANDLER;
        }
    }
}

int lx_restore_stream(struct lx_state *s)
{
    struct lx_xc *x = s->xc;
    struct xlsr_restore_ctx *ctx = s->ctx;
    struct lx_restore_args a = {
        .domid = ctx->domid,
        .store_port = (unsigned)ctx->store_port,
        .console_port = (unsigned)ctx->console_port,
        .store_domid = ctx->store_domid,
        .console_domid = ctx->console_domid,
        .stream_type = ctx->checkpointed == XLSR_CKPT_REMUS
                           ? XC_STREAM_REMUS : XC_STREAM_PLAIN,
    };
    struct lx_msg done;
    int hvm = -1, rc;

    rc = s->host->take_fd(s->h, &a.fd);
    if (rc) {
        s->host->fail(s->h, "cannot take the stream fd for libxenguest");
        return rc;
    }
    if (lx_helper_start(&x->hp, &x->api, &a)) {
        s->host->fail(s->h, "cannot start libxenguest's helper: %s",
                      strerror(errno));
        s->host->return_fd(s->h, 0);
        return XLSR_ERR_HANDLER;
    }
    rc = converse(x, &done, &hvm);
    if (x->hp.pid) {
        int st = lx_helper_reap(&x->hp, 0);
        if (!rc && (!WIFEXITED(st) || WEXITSTATUS(st))) {
            char how[96];
            lx_helper_status(st, how, sizeof(how));
            s->host->log(s->h, XLSR_LOG_WARN, "libxenguest's helper ended "
                         "with %s after reporting its result", how);
        }
    }
    s->host->return_fd(s->h, UINT64_MAX);
    if (rc)
        return rc;
    if (hvm >= 0 && XLSR_HOST_HAS(s->host, guest_type))
        s->host->guest_type(s->h, hvm ? LX_GUEST_HVM : LX_GUEST_PV);
    if (done.a) {
        s->host->fail(s->h, "xc_domain_restore failed for domain %u: %s%s%s",
                      ctx->domid, x->first_error[0]
                          ? x->first_error
                          : done.text[0] ? done.text
                                         : "(no reason logged by "
                                           "libxenguest)",
                      done.b > 0 ? ": " : "",
                      done.b > 0 ? strerror(done.b) : "");
        return XLSR_ERR_HANDLER;
    }
    ctx->store_mfn = (unsigned long)done.c;
    ctx->console_mfn = (unsigned long)done.d;
    ctx->have_results = true;
    s->host->print(s->h, "  libxc: restored %s guest into domain %u: store "
                   "mfn 0x%lx, console mfn 0x%lx", hvm < 0 ? "unknown"
                   : hvm ? "x86 HVM" : "x86 PV", ctx->domid,
                   ctx->store_mfn, ctx->console_mfn);
    return XLSR_OK;
}

void lx_restore_fini(struct lx_state *s)
{
    struct lx_xc *x = s->xc;
    if (!x)
        return;
    if (x->hp.pid)
        lx_helper_reap(&x->hp, SIGKILL);
    unload_api(x);
    free(x);
    s->xc = NULL;
}
