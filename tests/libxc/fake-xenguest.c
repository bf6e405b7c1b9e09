/*
 * tests/libxc/fake-xenguest.c - a stand-in for libxenguest/libxenctrl,
 * LD_PRELOADed into xlsr by t-restore-fake.sh so the libxc plugin's
 * restore mode runs without a hypervisor.  Test-only.
 *
 * Its xc_domain_restore() reads the libxc stream from the fd the way
 * libxenguest does (exact reads: headers, then records up to END), calls
 * the checkpoint callback at each CHECKPOINT, and after a checkpoint treats
 * a failed read as Remus failover (logs an error, returns success), as
 * xg_sr_restore.c does.  It writes what it was given to $FAKE_XENGUEST_LOG.
 * /dev/xen/privcmd is made to look present.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenguest.h>

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

/* 0 ok, -1 EOF or error. */
static int exact(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int skip(int fd, uint64_t len)
{
    char buf[4096];
    while (len) {
        size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
        if (exact(fd, buf, n))
            return -1;
        len -= n;
    }
    return 0;
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
    int rc = -1;
    (void)xch;

    if (exact(io_fd, hdr, sizeof(hdr))) {
        fake_log(XTL_ERROR, "Failed to read Image Header from stream");
        goto out;
    }
    for (;;) {
        if (exact(io_fd, rh, sizeof(rh))) {
            fake_log(XTL_ERROR, "Failed to read Record Header from stream");
            rc = checkpoints ? 0 : -1;      /* remus_failover */
            goto out;
        }
        uint32_t type, len;
        memcpy(&type, rh, 4);
        memcpy(&len, rh + 4, 4);
        uint64_t padded = ((uint64_t)len + 7) & ~7ull;
        if (skip(io_fd, padded)) {
            fake_log(XTL_ERROR, "Failed to read record body");
            rc = checkpoints ? 0 : -1;
            goto out;
        }
        bytes += 8 + padded;
        if (type == 0) {
            *store_mfn = 0x1000 + dom;
            *console_mfn = 0x2000 + dom;
            rc = 0;
            goto out;
        }
        if (type == 0x0e) {
            if (stream_type == XC_STREAM_PLAIN) {
                fake_log(XTL_ERROR, "Found checkpoint in non-checkpointed "
                         "stream");
                goto out;
            }
            int r = callbacks->checkpoint(callbacks->data);
            if (r == XGR_CHECKPOINT_FAILOVER) {
                rc = 0;
                goto out;
            }
            if (r != XGR_CHECKPOINT_SUCCESS)
                goto out;
            checkpoints++;
        }
    }
out:;
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
