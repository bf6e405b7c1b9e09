/*
 * publish.c - the restored domain in xenstore, as libxl__build_post
 * (tools/libs/light/libxl_dom.c) and libxl__domain_make (libxl_create.c)
 * leave it for a guest without devices: its home with the nodes the
 * guest may write, memory and vCPU facts, the two rings, libxl's own
 * /libxl/<domid> facts; then the introduction to xenstored, after which
 * xenconsoled (watching @introduceDomain) serves a PV console.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

static bool vput(struct xs_handle *xsh, xs_transaction_t tx, const char *path,
                 const char *fmt, va_list ap) XLSR_PRINTF(4, 0);
static bool vput(struct xs_handle *xsh, xs_transaction_t tx, const char *path,
                 const char *fmt, va_list ap)
{
    char val[256];
    vsnprintf(val, sizeof(val), fmt, ap);
    return xs_write(xsh, tx, path, val, strlen(val));
}

/* One node below dir and its value, inside a transaction. */
static bool put(struct xs_handle *xsh, xs_transaction_t tx, const char *dir,
                const char *rel, const char *fmt, ...) XLSR_PRINTF(5, 6);
static bool put(struct xs_handle *xsh, xs_transaction_t tx, const char *dir,
                const char *rel, const char *fmt, ...)
{
    char path[256];
    va_list ap;
    bool ok;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    va_start(ap, fmt);
    ok = vput(xsh, tx, path, fmt, ap);
    va_end(ap);
    return ok;
}

bool ts_xs_write(struct xs_handle *xsh, const char *path, const char *fmt,
                 ...)
{
    va_list ap;
    bool ok;

    va_start(ap, fmt);
    ok = vput(xsh, XBT_NULL, path, fmt, ap);
    va_end(ap);
    return ok;
}

/* A node with explicit permissions; an empty value. */
static bool mknod_perm(struct xs_handle *xsh, xs_transaction_t tx,
                       const char *dir, const char *rel,
                       struct xs_permissions *perms, unsigned n)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    return xs_write(xsh, tx, path, "", 0) &&
           xs_set_permissions(xsh, tx, path, perms, n);
}

static bool write_nodes(struct toolstack *t, xs_transaction_t tx,
                        const struct xlsr_restore_ctx *ctx)
{
    struct xs_handle *xsh = t->xsh;
    const struct guest *g = &t->g;
    const char *d = t->dom_path;
    /* First entry: owner (full access) and everyone's default. */
    struct xs_permissions ro[2] = {
        { .id = 0, .perms = XS_PERM_NONE },
        { .id = t->domid, .perms = XS_PERM_READ },
    };
    struct xs_permissions rw[1] = {
        { .id = t->domid, .perms = XS_PERM_NONE },
    };
    static const char *const guest_rw[] = {
        "control/shutdown", "control/feature-poweroff",
        "control/feature-reboot", "control/feature-suspend", "control/sysrq",
        "data", "drivers", "feature", "attr", "error",
        "device/suspend/event-channel",
    };
    static const char *const guest_ro[] = { "cpu", "memory", "device",
                                            "control" };
    bool ok = true;

    ok = ok && xs_mkdir(xsh, tx, d) && xs_set_permissions(xsh, tx, d, ro, 2);
    for (size_t i = 0; i < sizeof(guest_ro) / sizeof(guest_ro[0]); i++)
        ok = ok && mknod_perm(xsh, tx, d, guest_ro[i], ro, 2);
    for (size_t i = 0; i < sizeof(guest_rw) / sizeof(guest_rw[0]); i++)
        ok = ok && mknod_perm(xsh, tx, d, guest_rw[i], rw, 1);

    ok = ok && put(xsh, tx, d, "name", "%s", t->name);
    ok = ok && put(xsh, tx, d, "domid", "%u", t->domid);
    ok = ok && put(xsh, tx, d, "memory/static-max", "%" PRIu64, g->max_memkb);
    /* libxl__get_targetmem_fudge: an HVM guest's video RAM is not its
     * balloon target. */
    ok = ok && put(xsh, tx, d, "memory/target", "%" PRIu64,
                   g->target_memkb - (g->type == GUEST_HVM ? g->video_memkb
                                                           : 0));
    ok = ok && put(xsh, tx, d, "memory/videoram", "%" PRIu64,
                   g->type == GUEST_HVM ? g->video_memkb : 0);
    for (uint32_t i = 0; ok && i < g->max_vcpus; i++) {
        char rel[32];
        snprintf(rel, sizeof(rel), "cpu/%u/availability", i);
        ok = put(xsh, tx, d, rel, "online");
    }
    /* PV rings are named by machine frame, PVH/HVM ones by guest frame:
     * libxenguest returned whichever the guest type uses. */
    ok = ok && put(xsh, tx, d, "store/port", "%d", t->store_port);
    ok = ok && put(xsh, tx, d, "store/ring-ref", "%lu", ctx->store_mfn);
    /* The primary console: xenconsoled serves a PV/PVH guest's ring; an
     * HVM guest's console 0 belongs to the device model ("ioemu"), its
     * serial port being what the guest uses. */
    ok = ok && put(xsh, tx, d, "console/port", "%d", t->console_port);
    ok = ok && put(xsh, tx, d, "console/ring-ref", "%lu", ctx->console_mfn);
    ok = ok && put(xsh, tx, d, "console/type", "%s",
                   g->type == GUEST_HVM ? "ioemu" : "xenconsoled");
    ok = ok && put(xsh, tx, d, "console/output", "pty");
    ok = ok && put(xsh, tx, d, "console/limit", "%u", 1048576u);

    /* /libxl/<domid>: libxl reads the type back (PVH vs HVM cannot be
     * told from Xen) and which device model runs. */
    ok = ok && put(xsh, tx, t->libxl_path, "type", "%s",
                   ts_type_name(g->type));
    if (g->type == GUEST_HVM)
        ok = ok && put(xsh, tx, t->libxl_path, "dm-version", "qemu_xen");

    /* /vm/<uuid>: where libxl keeps per-VM (not per-domid) facts.  A
     * migration from this host finds the sender's there: left alone. */
    if (t->vm_path[0]) {
        ok = ok && put(xsh, tx, d, "vm", "%s", t->vm_path);
        if (t->wrote_vm) {
            ok = ok && xs_mkdir(xsh, tx, t->vm_path) &&
                 xs_set_permissions(xsh, tx, t->vm_path, ro, 2);
            ok = ok && put(xsh, tx, t->vm_path, "uuid", "%s", g->uuid_text);
            ok = ok && put(xsh, tx, t->vm_path, "name", "%s", t->name);
        }
    }
    return ok;
}

int ts_publish(struct toolstack *t, const struct xlsr_restore_ctx *ctx)
{
    unsigned len;

    if (t->g.have_uuid) {
        snprintf(t->vm_path, sizeof(t->vm_path), "/vm/%s", t->g.uuid_text);
        char *old = xs_read(t->xsh, XBT_NULL, t->vm_path, &len);
        t->wrote_vm = !old;
        free(old);
    }
    for (int tries = 0;; tries++) {
        xs_transaction_t tx = xs_transaction_start(t->xsh);
        if (tx == XBT_NULL) {
            perror(TS ": xs_transaction_start");
            return -1;
        }
        if (!write_nodes(t, tx, ctx)) {
            perror(TS ": writing the domain's xenstore nodes");
            xs_transaction_end(t->xsh, tx, true);
            return -1;
        }
        if (xs_transaction_end(t->xsh, tx, false))
            break;
        if (errno != EAGAIN || tries == 10) {
            perror(TS ": xs_transaction_end");
            return -1;
        }
    }
    /* xenstored maps the store ring (by grant, or else by frame) and binds
     * the port; watchers of @introduceDomain (xenconsoled) notice. */
    if (!xs_introduce_domain(t->xsh, t->domid, ctx->store_mfn,
                             (unsigned)t->store_port)) {
        perror(TS ": xs_introduce_domain");
        return -1;
    }
    t->introduced = true;
    return 0;
}

/* libxl_domain_rename, for what we wrote: the domain's name node and its
 * /vm entry. */
int ts_rename(struct toolstack *t, const char *name)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/name", t->dom_path);
    if (!ts_xs_write(t->xsh, path, "%s", name)) {
        perror(TS ": renaming the domain");
        return -1;
    }
    if (t->vm_path[0]) {
        snprintf(path, sizeof(path), "%s/name", t->vm_path);
        ts_xs_write(t->xsh, path, "%s", name);
    }
    t->name = name;
    return 0;
}
