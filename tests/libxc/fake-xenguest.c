/*
 * tests/libxc/fake-xenguest.c - a stand-in for libxenguest/libxenctrl,
 * LD_PRELOADed into xlsr by t-restore-fake.sh so the libxc plugin's
 * restore mode runs without a hypervisor.  Test-only.
 *
 * Its xc_domain_restore() reads the libxc stream from the fd the way
 * libxenguest does (Xen 4.17 xg_sr_restore.c restore(), read_record() in
 * xg_sr_common.c): exact reads, headers, then records up to END, each
 * refused above REC_LENGTH_MAX.  Before the first checkpoint records are
 * processed as they come; at a CHECKPOINT it calls the checkpoint
 * callback, and from then on buffers every record up to the next
 * CHECKPOINT, whose callback runs before the buffered records are
 * processed (handle_checkpoint()).  While buffering, a failed read, a
 * record too large, a libxc END or a FAILOVER answer is Remus failover
 * (success); a FAILOVER answer at the first checkpoint is a failure ("no
 * consistent state").  Processing checks PAGE_DATA page types (5-8 are
 * invalid, handle_page_data()).  It writes what it was given to
 * $FAKE_XENGUEST_LOG.  /dev/xen/privcmd is made to look present.
 *
 * $FAKE_XENGUEST_PIDLOG gets "pid=P ppid=Q" of the process that restores.
 * Faults for the helper tests: FAKE_XENGUEST_DIE_AT=K raises
 * $FAKE_XENGUEST_SIGNAL (default SIGSEGV) at the K-th checkpoint (0: on
 * entry); FAKE_XENGUEST_HANG_AT=K writes the pid to $FAKE_XENGUEST_PIDFILE
 * and sleeps for ever there.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenguest.h>

#include "../../plugins/common/fdio.h"

static xentoollog_logger *fake_logger;     /* test tool: one stream */

int access(const char *path, int mode)
{
    static int (*real)(const char *, int);
    if (!strcmp(path, "/dev/xen/privcmd"))
        return 0;
    if (!real)
        real = (int (*)(const char *, int))dlsym(RTLD_NEXT, "access");
    return real(path, mode);
}

static void fake_log(xentoollog_level level, const char *fmt, ...)
{
    va_list ap;
    if (!fake_logger)
        return;
    va_start(ap, fmt);
    fake_logger->vmessage(fake_logger, level, -1, "xc", fmt, ap);
    va_end(ap);
}

xc_interface *xc_interface_open(xentoollog_logger *logger,
                                xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    static char token;
    (void)dombuild_logger;
    (void)open_flags;
    fake_logger = logger;
    fake_log(XTL_INFO, "fake xenctrl opened");
    return (xc_interface *)&token;
}

int xc_interface_close(xc_interface *xch)
{
    (void)xch;
    fake_log(XTL_DEBUG, "fake xenctrl closed");   /* as the real one may */
    return 0;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
                      unsigned int max_doms, xc_dominfo_t *info)
{
    (void)xch;
    if (max_doms < 1)
        return 0;
    memset(info, 0, sizeof(*info));
    info->domid = first_domid;
    info->hvm = getenv("FAKE_HVM") != NULL;
    return 1;
}

#define REC_LENGTH_MAX (128u << 20)     /* xg_sr_common.h */

struct frec {
    uint32_t type, len;
    unsigned char *body;
};

/* handle_page_data(): page types 5-8 (XEN_DOMCTL_PFINFO_* >> 28) are
 * invalid. */
static int process(const struct frec *r)
{
    if (r->type != 0x01 || r->len < 8)
        return 0;
    uint32_t count;
    memcpy(&count, r->body, 4);
    for (uint32_t i = 0; i < count && 8 + 8 * (uint64_t)(i + 1) <= r->len;
         i++) {
        uint64_t pfn;
        memcpy(&pfn, r->body + 8 + 8 * i, 8);
        unsigned t = (unsigned)(pfn >> 60);
        if (t >= 5 && t <= 8) {
            fake_log(XTL_ERROR, "Invalid page type %#x for pfn %#llx",
                     t << 28, (unsigned long long)(pfn & ((1ull << 60) - 1)));
            return -1;
        }
    }
    return 0;
}

static void fault(const char *what, unsigned checkpoint)
{
    const char *at = getenv(what);
    if (!at || (unsigned)atoi(at) != checkpoint)
        return;
    if (!strcmp(what, "FAKE_XENGUEST_HANG_AT")) {
        const char *pf = getenv("FAKE_XENGUEST_PIDFILE");
        FILE *f = pf ? fopen(pf, "w") : NULL;
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
        for (;;)
            pause();
    }
    const char *sig = getenv("FAKE_XENGUEST_SIGNAL");
    raise(sig ? atoi(sig) : SIGSEGV);
}

int xc_domain_restore(xc_interface *xch, int io_fd, uint32_t dom,
                      unsigned int store_evtchn, unsigned long *store_mfn,
                      uint32_t store_domid, unsigned int console_evtchn,
                      unsigned long *console_mfn, uint32_t console_domid,
                      xc_stream_type_t stream_type,
                      struct restore_callbacks *callbacks, int send_back_fd)
{
    unsigned char hdr[40], rh[8];
    unsigned long long bytes = 40;
    unsigned checkpoints = 0;
    struct frec *buf = NULL;
    size_t nbuf = 0;
    int buffering = 0, rc = -1;
    (void)xch;

    const char *pl = getenv("FAKE_XENGUEST_PIDLOG");
    FILE *pf = pl ? fopen(pl, "a") : NULL;
    if (pf) {
        fprintf(pf, "pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
        fclose(pf);
    }
    fault("FAKE_XENGUEST_DIE_AT", 0);
    fault("FAKE_XENGUEST_HANG_AT", 0);
    if (fdio_read_exact(io_fd, hdr, sizeof(hdr))) {
        fake_log(XTL_ERROR, "Failed to read Image Header from stream");
        goto out;
    }
    for (;;) {
        struct frec r = { 0, 0, NULL };
        if (fdio_read_exact(io_fd, rh, sizeof(rh))) {
            fake_log(XTL_ERROR, "Failed to read Record Header from stream");
            rc = buffering ? 0 : -1;        /* remus_failover */
            goto out;
        }
        memcpy(&r.type, rh, 4);
        memcpy(&r.len, rh + 4, 4);
        if (r.len > REC_LENGTH_MAX) {
            fake_log(XTL_ERROR, "Record (0x%08x) length %#x exceeds max (%#x)",
                     r.type, r.len, REC_LENGTH_MAX);
            rc = buffering ? 0 : -1;
            goto out;
        }
        uint64_t padded = ((uint64_t)r.len + 7) & ~7ull;
        r.body = malloc(padded ? padded : 1);
        if (!r.body || fdio_read_exact(io_fd, r.body, padded)) {
            free(r.body);
            fake_log(XTL_ERROR, "Failed to read record body");
            rc = buffering ? 0 : -1;
            goto out;
        }
        bytes += 8 + padded;
        if (buffering && r.type != 0 && r.type != 0x0e) {
            struct frec *nb = realloc(buf, (nbuf + 1) * sizeof(*nb));
            if (!nb) {
                free(r.body);
                goto out;
            }
            buf = nb;
            buf[nbuf++] = r;
            continue;
        }
        if (r.type == 0) {
            free(r.body);
            *store_mfn = 0x1000 + dom;
            *console_mfn = 0x2000 + dom;
            rc = 0;
            goto out;
        }
        if (r.type != 0x0e) {
            int bad = process(&r);
            free(r.body);
            if (bad)
                goto out;
            continue;
        }
        free(r.body);
        if (stream_type == XC_STREAM_PLAIN) {
            fake_log(XTL_ERROR, "Found checkpoint in non-checkpointed "
                     "stream");
            goto out;
        }
        fault("FAKE_XENGUEST_DIE_AT", checkpoints + 1);
        fault("FAKE_XENGUEST_HANG_AT", checkpoints + 1);
        int cb = callbacks->checkpoint(callbacks->data);
        if (cb == XGR_CHECKPOINT_FAILOVER) {
            /* Without a buffered checkpoint there is no consistent state. */
            rc = buffering ? 0 : -1;
            goto out;
        }
        if (cb != XGR_CHECKPOINT_SUCCESS)
            goto out;
        for (size_t i = 0; i < nbuf; i++)
            if (process(&buf[i]))
                goto out;
        for (size_t i = 0; i < nbuf; i++)
            free(buf[i].body);
        nbuf = 0;
        buffering = 1;
        checkpoints++;
    }
out:;
    for (size_t i = 0; i < nbuf; i++)
        free(buf[i].body);
    free(buf);
    if (rc == 0 && checkpoints) {
        *store_mfn = 0x1000 + dom;
        *console_mfn = 0x2000 + dom;
    }
    const char *path = getenv("FAKE_XENGUEST_LOG");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) {
        fprintf(f, "restore dom=%u store_evtchn=%u store_domid=%u "
                "console_evtchn=%u console_domid=%u stream_type=%d "
                "send_back_fd=%d checkpoints=%u bytes=%llu rc=%d\n", dom,
                store_evtchn, store_domid, console_evtchn, console_domid,
                (int)stream_type, send_back_fd, checkpoints, bytes, rc);
        fclose(f);
    }
    return rc;
}
