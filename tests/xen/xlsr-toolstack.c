/*
 * xlsr-toolstack.c - a minimal toolstack that embeds libxlsr to restore
 * an `xl save` image of a PV guest.  It is the real-Xen suite's restore
 * tool and an example of the embedding API (xlsr/xlsr.h).
 *
 *   xlsr-toolstack [-c CONFIG] [--name NAME] [--paused] [-v] FILE
 *   xlsr-toolstack --destroy DOMID
 *   xlsr-toolstack --show-config FILE   (what step 1 reads; needs no Xen)
 *
 * A restore is the toolstack's work around one libxlsr session:
 *
 *   1. Read the xl file header ourselves.  The domain must exist before
 *      the first page arrives, and its size is in the JSON configuration
 *      that `xl save` put in front of the stream.  (libxlsr exposes that
 *      configuration as ctx->xl_config too, but only once the session has
 *      read it, which is too late to size the domain.)  Hence FILE must be
 *      a file, not a pipe: we pread() the header and leave the offset at 0.
 *   2. Create an empty PV domain as libxl does for a restore: domctl
 *      createdomain with the vCPU count and grant/event-channel limits,
 *      the vCPUs themselves, maximum memory, the PV memory map limit, the TSC mode; then the two
 *      unbound event channels the guest's xenstore and console rings use,
 *      with dom0 (or whoever /tool/xenstored/domid and
 *      /tool/xenconsoled/domid name) at the other end.
 *   3. Let libxlsr do the middle: load the INI configuration, open a
 *      RESTORE session with the new domid and the two ports, run it over
 *      the fd.  The libxc plugin hands the inline libxc stream to
 *      libxenguest (xc_domain_restore), which fills the guest's memory and
 *      vCPU state and rewrites its start_info with our ports; the plugin
 *      returns the store and console frames in the restore context.
 *   4. Publish the domain in xenstore the way libxl does for a PV guest
 *      (name, domid, memory, cpu, store and console nodes, the control
 *      and data nodes the guest may write), introduce it to xenstored with
 *      its store frame and port (xenconsoled sees the introduction, maps
 *      the console ring and logs it), and unpause it.
 *
 * Any failure after step 2 destroys the half-built domain and removes its
 * xenstore nodes, so a failed restore leaves nothing behind.  On success
 * stdout gets "domid N" and a few facts about the stream; errors go to
 * stderr as libxlsr formats them ("offset N (0x..): record ..., handler
 * ...: reason").  Exit status: 0 restored, 1 restore failed, 2 usage.
 *
 * Only what a PV guest without devices needs is done here; disks, NICs,
 * HVM/PVH, device models and stub domains are the business of a real
 * toolstack.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenstore.h>

#include <xlsr/xlsr.h>

#include "tinyjson.h"

/* --- the xl file header (FORMAT.md "xl save file") -------------------- */

#define XL_MAGIC "Xen saved domain, xl format\n \0 \r"
#define XL_MAGIC_LEN 32
#define XL_BYTE_ORDER 0x01020304u
#define XL_MANDATORY_JSON 0x1u          /* the config is JSON */
#define XL_MANDATORY_STREAMV2 0x2u      /* a libxl v2 stream follows */
/* The configuration of a small guest is a few KiB; refuse to allocate
 * whatever a hostile header claims. */
#define XL_MAX_OPTIONAL (1u << 20)

/* What we need to know about the guest, from its xl configuration. */
struct guest {
    char name[64];
    char uuid_text[40];
    xen_domain_handle_t uuid;
    bool have_uuid;
    uint32_t max_vcpus;
    uint64_t max_memkb, target_memkb, slack_memkb;
    uint64_t max_grant_version;     /* 0: Xen's best */
    bool msr_relaxed;
};

static int parse_uuid(const char *text, xen_domain_handle_t out)
{
    unsigned b[16];

    if (strlen(text) != 36 ||
        sscanf(text, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x%2x",
               &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7],
               &b[8], &b[9], &b[10], &b[11], &b[12], &b[13], &b[14],
               &b[15]) != 16)
        return -1;
    for (int i = 0; i < 16; i++)
        out[i] = (uint8_t)b[i];
    return 0;
}

/* The few fields of libxl's domain configuration we use.  b_info's
 * max_vcpus, max_memkb and target_memkb are required; libxl's defaults
 * stand in for the rest, as they do when xl writes the JSON. */
static int parse_config(const char *json, size_t len, struct guest *g)
{
    const char *end = json + len;
    const char *c_info = tj_member(json, end, "c_info");
    const char *b_info = tj_member(json, end, "b_info");
    const char *v;
    char type[8];
    uint64_t n;

    if (!c_info || !b_info) {
        fprintf(stderr, "xlsr-toolstack: the xl configuration has no "
                "c_info/b_info\n");
        return -1;
    }
    if (tj_string(tj_member(c_info, end, "type"), end, type, sizeof(type)) ||
        strcmp(type, "pv")) {
        fprintf(stderr, "xlsr-toolstack: only PV guests are supported "
                "(c_info.type is not \"pv\")\n");
        return -1;
    }
    if (tj_string(tj_member(c_info, end, "name"), end, g->name,
                  sizeof(g->name)))
        snprintf(g->name, sizeof(g->name), "xlsr-guest");
    if (!tj_string(tj_member(c_info, end, "uuid"), end, g->uuid_text,
                   sizeof(g->uuid_text)) &&
        !parse_uuid(g->uuid_text, g->uuid))
        g->have_uuid = true;

    if (tj_u64(tj_member(b_info, end, "max_vcpus"), end, &n) || !n ||
        n > 512) {
        fprintf(stderr, "xlsr-toolstack: b_info.max_vcpus missing or out "
                "of range\n");
        return -1;
    }
    g->max_vcpus = (uint32_t)n;
    if (tj_u64(tj_member(b_info, end, "max_memkb"), end, &g->max_memkb) ||
        tj_u64(tj_member(b_info, end, "target_memkb"), end,
               &g->target_memkb) ||
        !g->target_memkb || g->target_memkb > g->max_memkb ||
        g->max_memkb > (UINT64_C(1) << 40)) {
        fprintf(stderr, "xlsr-toolstack: b_info.max_memkb/target_memkb "
                "missing or inconsistent\n");
        return -1;
    }
    /* Optional: absent means libxl's default. */
    if ((v = tj_member(b_info, end, "type.pv")) &&
        tj_u64(tj_member(v, end, "slack_memkb"), end, &g->slack_memkb))
        g->slack_memkb = 0;
    if (tj_u64(tj_member(b_info, end, "max_grant_version"), end,
               &g->max_grant_version))
        g->max_grant_version = 0;
    if ((v = tj_member(b_info, end, "arch_x86")) &&
        tj_bool(tj_member(v, end, "msr_relaxed"), end, &g->msr_relaxed))
        g->msr_relaxed = false;
    return 0;
}

static int read_exact_at(int fd, void *buf, size_t len, off_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done,
                          off + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

/* Reads the xl header and its JSON configuration without moving the fd's
 * offset: libxlsr reads the same bytes again and checks them itself. */
static int read_xl_header(int fd, struct guest *g)
{
    unsigned char hdr[XL_MAGIC_LEN + 16];
    uint32_t order, mandatory, optional, optlen, cfglen;
    char *opt;
    int rc = -1;

    if (read_exact_at(fd, hdr, sizeof(hdr), 0) ||
        memcmp(hdr, XL_MAGIC, XL_MAGIC_LEN)) {
        fprintf(stderr, "xlsr-toolstack: not an xl save file (no xl "
                "header): the domain cannot be sized\n");
        return -1;
    }
    memcpy(&order, hdr + 32, 4);
    memcpy(&mandatory, hdr + 36, 4);
    memcpy(&optional, hdr + 40, 4);
    memcpy(&optlen, hdr + 44, 4);
    (void)optional;
    if (order != XL_BYTE_ORDER) {
        fprintf(stderr, "xlsr-toolstack: xl header from a host of the "
                "other byte order\n");
        return -1;
    }
    if (!(mandatory & XL_MANDATORY_JSON) || !(mandatory & XL_MANDATORY_STREAMV2)) {
        fprintf(stderr, "xlsr-toolstack: xl header without a JSON "
                "configuration or a v2 stream (mandatory flags 0x%x)\n",
                mandatory);
        return -1;
    }
    /* Optional data: u32 length of the configuration, then the text. */
    if (optlen < 4 || optlen > XL_MAX_OPTIONAL) {
        fprintf(stderr, "xlsr-toolstack: xl header optional data of %u "
                "bytes\n", optlen);
        return -1;
    }
    opt = malloc(optlen);
    if (!opt)
        return -1;
    if (read_exact_at(fd, opt, optlen, (off_t)sizeof(hdr))) {
        fprintf(stderr, "xlsr-toolstack: file ends inside the xl header\n");
        goto out;
    }
    memcpy(&cfglen, opt, 4);
    if (cfglen > optlen - 4) {
        fprintf(stderr, "xlsr-toolstack: configuration length %u exceeds "
                "the optional data\n", cfglen);
        goto out;
    }
    rc = parse_config(opt + 4, cfglen, g);
out:
    free(opt);
    return rc;
}

/* --- the domain ---------------------------------------------------------- */

struct toolstack {
    xc_interface *xch;
    struct xs_handle *xsh;
    struct guest g;
    uint32_t domid;
    bool created, introduced;
    uint32_t store_domid, console_domid;
    int store_port, console_port;
    char dom_path[64], vm_path[80];
};

/* libxl adds this much (KiB) to a guest's maximum for Xen's own use of
 * its allocation (LIBXL_MAXMEM_CONSTANT on x86). */
#define MAXMEM_EXTRA_KB 1024
/* libxl's default event channel limit (b_info.event_channels). */
#define EVTCHN_PORTS 1023

/* Which domain runs a service (xenstored, xenconsoled): libxl reads it
 * from /tool/<name>/domid, dom0 when absent. */
static uint32_t service_domid(struct xs_handle *xsh, const char *name)
{
    char path[64];
    unsigned len;
    uint32_t id = 0;

    snprintf(path, sizeof(path), "/tool/%s/domid", name);
    char *v = xs_read(xsh, XBT_NULL, path, &len);
    if (v) {
        id = (uint32_t)strtoul(v, NULL, 10);
        free(v);
    }
    return id;
}

static int create_domain(struct toolstack *t)
{
    struct xen_domctl_createdomain cfg;
    xc_physinfo_t phys;

    memset(&cfg, 0, sizeof(cfg));
    memset(&phys, 0, sizeof(phys));
    if (xc_physinfo(t->xch, &phys)) {
        perror("xlsr-toolstack: xc_physinfo");
        return -1;
    }
    /* flags 0: PV (no XEN_DOMCTL_CDF_hvm, so no HAP either), no IOMMU. */
    cfg.flags = 0;
    cfg.ssidref = 0;                /* no XSM label: the default */
    if (t->g.have_uuid)
        memcpy(cfg.handle, t->g.uuid, sizeof(cfg.handle));
    cfg.max_vcpus = t->g.max_vcpus;
    cfg.max_evtchn_port = EVTCHN_PORTS;
    cfg.max_grant_frames = -1;      /* < 0: Xen's default limits */
    cfg.max_maptrack_frames = -1;
    /* libxl's default grant version: the highest this Xen offers. */
    uint64_t gv = t->g.max_grant_version;
    if (!gv)
        gv = (phys.capabilities & XEN_SYSCTL_PHYSCAP_gnttab_v2) ? 2 : 1;
    cfg.grant_opts = XEN_DOMCTL_GRANT_version((uint32_t)gv);
    /* A PV guest emulates nothing (no LAPIC etc., unlike PVH/HVM). */
    cfg.arch.emulation_flags = 0;
    cfg.arch.misc_flags = t->g.msr_relaxed ? XEN_X86_MSR_RELAXED : 0;

    t->domid = 0;   /* 0 in: Xen picks a free domid */
    if (xc_domain_create(t->xch, &t->domid, &cfg)) {
        perror("xlsr-toolstack: xc_domain_create");
        return -1;
    }
    t->created = true;
    fprintf(stderr, "xlsr-toolstack: created PV domain %u (%u vCPUs, %"
            PRIu64 " KiB)\n", t->domid, t->g.max_vcpus, t->g.target_memkb);

    /* Xen 4.17 still allocates the vCPUs themselves in a second domctl
     * whose count must match createdomain's (see XEN_DOMCTL_max_vcpus in
     * xen/domctl.h); libxenguest refuses vCPU records beyond them. */
    if (xc_domain_max_vcpus(t->xch, t->domid, t->g.max_vcpus)) {
        perror("xlsr-toolstack: xc_domain_max_vcpus");
        return -1;
    }
    /* As libxl__build_pre / libxl__arch_domain_create do for PV. */
    if (xc_domain_setmaxmem(t->xch, t->domid,
                            t->g.target_memkb + MAXMEM_EXTRA_KB)) {
        perror("xlsr-toolstack: xc_domain_setmaxmem");
        return -1;
    }
    if (xc_domain_set_memmap_limit(t->xch, t->domid,
                                   t->g.max_memkb + t->g.slack_memkb)) {
        perror("xlsr-toolstack: xc_domain_set_memmap_limit");
        return -1;
    }
    /* TSC mode "default" (0); the stream's TSC_INFO record then sets
     * what the guest had. */
    if (xc_domain_set_tsc_info(t->xch, t->domid, 0, 0, 0, 0)) {
        perror("xlsr-toolstack: xc_domain_set_tsc_info");
        return -1;
    }

    /* The guest's ends of its xenstore and console rings.  libxenguest
     * writes these ports into the restored start_info, so the guest finds
     * them when it resumes. */
    t->store_domid = service_domid(t->xsh, "xenstored");
    t->console_domid = service_domid(t->xsh, "xenconsoled");
    t->store_port = xc_evtchn_alloc_unbound(t->xch, t->domid, t->store_domid);
    t->console_port = xc_evtchn_alloc_unbound(t->xch, t->domid,
                                              t->console_domid);
    if (t->store_port < 0 || t->console_port < 0) {
        perror("xlsr-toolstack: xc_evtchn_alloc_unbound");
        return -1;
    }
    return 0;
}

/* Undoes whatever part of the domain exists.  Safe to call twice. */
static void destroy_domain(struct toolstack *t)
{
    if (t->introduced) {
        xs_release_domain(t->xsh, t->domid);
        t->introduced = false;
    }
    if (t->dom_path[0])
        xs_rm(t->xsh, XBT_NULL, t->dom_path);
    if (t->vm_path[0])
        xs_rm(t->xsh, XBT_NULL, t->vm_path);
    if (t->created) {
        if (xc_domain_destroy(t->xch, t->domid))
            perror("xlsr-toolstack: xc_domain_destroy");
        else
            fprintf(stderr, "xlsr-toolstack: destroyed domain %u\n",
                    t->domid);
        t->created = false;
    }
}

/* --- the libxlsr session --------------------------------------------------- */

struct logopts {
    bool verbose;
};

/* libxlsr's log lines (and, through the libxc plugin, libxenguest's). */
static void on_log(void *opaque, enum xlsr_log_level level, const char *msg)
{
    static const char *const names[] = { "error", "warning", "info",
                                         "debug" };
    const struct logopts *lo = opaque;

    if (level > XLSR_LOG_WARN && !lo->verbose)
        return;
    fprintf(stderr, "xlsr: %s: %s\n",
            level <= XLSR_LOG_DEBUG ? names[level] : "?", msg);
}

static int run_xlsr(struct toolstack *t, const struct xlsr_config *cfg,
                    int fd, bool verbose, struct xlsr_restore_ctx *ctx)
{
    struct logopts lo = { .verbose = verbose };
    struct xlsr_session_opts opts;
    struct xlsr_session *s = NULL;
    struct xlsr_result res;
    struct xlsr_error err;
    char line[1024];
    int rc;

    /* The restore target.  Every plugin of the session sees this struct;
     * the libxc plugin fills store_mfn / console_mfn. */
    memset(ctx, 0, sizeof(*ctx));
    ctx->size = sizeof(*ctx);
    ctx->mode = XLSR_MODE_RESTORE;
    ctx->domid = t->domid;
    ctx->dm_domid = 0;
    ctx->store_port = t->store_port;
    ctx->console_port = t->console_port;
    ctx->store_domid = t->store_domid;
    ctx->console_domid = t->console_domid;
    ctx->checkpointed = XLSR_CKPT_NONE;

    memset(&opts, 0, sizeof(opts));
    opts.size = sizeof(opts);
    opts.log = on_log;
    opts.opaque = &lo;
    opts.format = XLSR_FORMAT_XL;   /* we just read its xl header */

    memset(&err, 0, sizeof(err));
    rc = xlsr_session_open(cfg, ctx, &opts, &s, &err);
    if (rc == XLSR_OK) {
        memset(&res, 0, sizeof(res));
        rc = xlsr_session_run(s, fd, &res, &err);
    }
    /* Closing runs every plugin's fini with the result (the libxc plugin
     * closes its Xen handles): before the domain is torn down on error. */
    if (s)
        xlsr_session_close(s);
    if (rc != XLSR_OK) {
        xlsr_error_format(&err, line, sizeof(line));
        fprintf(stderr, "xlsr-toolstack: restore failed: %s\n", line);
        return -1;
    }
    if (!ctx->have_results) {
        fprintf(stderr, "xlsr-toolstack: the stream restored no libxc "
                "context (no store/console frames)\n");
        return -1;
    }
    printf("stream_bytes %" PRIu64 "\nrecords %" PRIu64 "\n", res.bytes,
           res.records);
    return 0;
}

/* --- xenstore: publish, introduce ------------------------------------------ */

/* One node and its value, inside a transaction. */
static bool put(struct xs_handle *xsh, xs_transaction_t tx, const char *dir,
                const char *rel, const char *fmt, ...) XLSR_PRINTF(5, 6);
static bool put(struct xs_handle *xsh, xs_transaction_t tx, const char *dir,
                const char *rel, const char *fmt, ...)
{
    char path[256], val[128];
    va_list ap;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    return xs_write(xsh, tx, path, val, strlen(val));
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

/* The nodes libxl writes for a PV guest without devices: the domain's
 * home readable by the guest, a few subtrees it may write (control/...
 * where it acknowledges shutdown requests and announces features, data,
 * drivers, ...), memory and vCPU facts, and the two rings. */
static bool write_nodes(struct toolstack *t, xs_transaction_t tx,
                        const struct xlsr_restore_ctx *ctx)
{
    struct xs_handle *xsh = t->xsh;
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

    ok = ok && put(xsh, tx, d, "name", "%s", t->g.name);
    ok = ok && put(xsh, tx, d, "domid", "%u", t->domid);
    ok = ok && put(xsh, tx, d, "memory/static-max", "%" PRIu64,
                   t->g.max_memkb);
    ok = ok && put(xsh, tx, d, "memory/target", "%" PRIu64,
                   t->g.target_memkb);
    ok = ok && put(xsh, tx, d, "memory/videoram", "0");
    for (uint32_t i = 0; ok && i < t->g.max_vcpus; i++) {
        char rel[32];
        snprintf(rel, sizeof(rel), "cpu/%u/availability", i);
        ok = put(xsh, tx, d, rel, "online");
    }
    /* PV rings are named by machine frame number. */
    ok = ok && put(xsh, tx, d, "store/port", "%d", t->store_port);
    ok = ok && put(xsh, tx, d, "store/ring-ref", "%lu", ctx->store_mfn);
    /* The primary console: xenconsoled serves it when type says so. */
    ok = ok && put(xsh, tx, d, "console/port", "%d", t->console_port);
    ok = ok && put(xsh, tx, d, "console/ring-ref", "%lu", ctx->console_mfn);
    ok = ok && put(xsh, tx, d, "console/type", "xenconsoled");
    ok = ok && put(xsh, tx, d, "console/output", "pty");
    ok = ok && put(xsh, tx, d, "console/limit", "%u", 1048576u);

    /* /vm/<uuid>: where libxl keeps per-VM (not per-domid) facts. */
    if (t->vm_path[0]) {
        ok = ok && put(xsh, tx, d, "vm", "%s", t->vm_path);
        ok = ok && xs_mkdir(xsh, tx, t->vm_path) &&
             xs_set_permissions(xsh, tx, t->vm_path, ro, 2);
        ok = ok && put(xsh, tx, t->vm_path, "uuid", "%s", t->g.uuid_text);
        ok = ok && put(xsh, tx, t->vm_path, "name", "%s", t->g.name);
    }
    return ok;
}

static int publish(struct toolstack *t, const struct xlsr_restore_ctx *ctx)
{
    char *home = xs_get_domain_path(t->xsh, t->domid);

    if (!home) {
        perror("xlsr-toolstack: xs_get_domain_path");
        return -1;
    }
    snprintf(t->dom_path, sizeof(t->dom_path), "%s", home);
    free(home);
    if (t->g.have_uuid)
        snprintf(t->vm_path, sizeof(t->vm_path), "/vm/%s", t->g.uuid_text);

    for (int tries = 0;; tries++) {
        xs_transaction_t tx = xs_transaction_start(t->xsh);
        if (tx == XBT_NULL) {
            perror("xlsr-toolstack: xs_transaction_start");
            return -1;
        }
        bool ok = write_nodes(t, tx, ctx);
        if (!ok) {
            perror("xlsr-toolstack: writing the domain's xenstore nodes");
            xs_transaction_end(t->xsh, tx, true);
            return -1;
        }
        if (xs_transaction_end(t->xsh, tx, false))
            break;
        if (errno != EAGAIN || tries == 10) {
            perror("xlsr-toolstack: xs_transaction_end");
            return -1;
        }
    }
    /* xenstored maps the store ring (by grant, or else by frame) and binds
     * the port; watchers of @introduceDomain (xenconsoled) notice. */
    if (!xs_introduce_domain(t->xsh, t->domid, ctx->store_mfn,
                             (unsigned)t->store_port)) {
        perror("xlsr-toolstack: xs_introduce_domain");
        return -1;
    }
    t->introduced = true;
    return 0;
}

/* --- main -------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xlsr-toolstack [-c CONFIG] [--name NAME] [--paused] [-v] "
            "FILE\n"
            "       xlsr-toolstack --destroy DOMID\n"
            "       xlsr-toolstack --show-config FILE\n"
            "Restores an `xl save` image of a PV guest into a new domain "
            "through libxlsr.\n");
}

/* Step 1 alone: what the toolstack would size the domain from. */
static int show_config(const char *file)
{
    struct guest g;
    int fd = open(file, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        fprintf(stderr, "xlsr-toolstack: %s: %s\n", file, strerror(errno));
        return 1;
    }
    memset(&g, 0, sizeof(g));
    int rc = read_xl_header(fd, &g);
    close(fd);
    if (rc)
        return 1;
    printf("name %s\nuuid %s\nmax_vcpus %u\nmax_memkb %" PRIu64
           "\ntarget_memkb %" PRIu64 "\nslack_memkb %" PRIu64
           "\nmsr_relaxed %s\n", g.name, g.have_uuid ? g.uuid_text : "-",
           g.max_vcpus, g.max_memkb, g.target_memkb, g.slack_memkb,
           g.msr_relaxed ? "true" : "false");
    return 0;
}

/* A guest's domid (not dom0, not a reserved id), or 0 when bad. */
static uint32_t parse_domid(const char *arg)
{
    char *end;
    unsigned long id;

    errno = 0;
    id = strtoul(arg, &end, 10);
    if (errno || !*arg || *end || arg[0] == '-' || id == 0 ||
        id >= DOMID_FIRST_RESERVED) {
        fprintf(stderr, "xlsr-toolstack: --destroy: bad domid '%s'\n", arg);
        return 0;
    }
    return (uint32_t)id;
}

static int destroy_only(struct toolstack *t, uint32_t domid)
{
    t->domid = domid;
    char *home = xs_get_domain_path(t->xsh, t->domid);
    if (home) {
        snprintf(t->dom_path, sizeof(t->dom_path), "%s", home);
        free(home);
    }
    t->introduced = t->created = true;
    destroy_domain(t);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "name", required_argument, NULL, 'n' },
        { "paused", no_argument, NULL, 'p' },
        { "destroy", required_argument, NULL, 'd' },
        { "show-config", no_argument, NULL, 's' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = "/etc/xlsr/xlsr.ini", *name = NULL,
               *destroy = NULL;
    bool paused = false, verbose = false, show = false;
    struct toolstack t;
    struct xlsr_config *cfg = NULL;
    struct xlsr_restore_ctx ctx;
    struct xlsr_error err;
    char line[1024];
    int c, fd = -1, status = 1;

    while ((c = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'n': name = optarg; break;
        case 'p': paused = true; break;
        case 'd': destroy = optarg; break;
        case 's': show = true; break;
        case 'v': verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (destroy ? optind != argc : optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    /* Arguments are checked before anything touches Xen. */
    uint32_t destroy_id = destroy ? parse_domid(destroy) : 0;
    if (destroy && !destroy_id)
        return 2;

    memset(&t, 0, sizeof(t));
    if (show)
        return show_config(argv[optind]);
    t.xch = xc_interface_open(NULL, NULL, 0);
    t.xsh = xs_open(0);
    if (!t.xch || !t.xsh) {
        fprintf(stderr, "xlsr-toolstack: cannot open %s (is this dom0 "
                "with xenstored running?)\n", t.xch ? "xenstore" : "libxc");
        goto out;
    }
    if (destroy) {
        status = destroy_only(&t, destroy_id);
        goto out;
    }

    /* Configuration first: a bad INI file should cost nothing. */
    memset(&err, 0, sizeof(err));
    if (xlsr_config_load(config, &cfg, &err) != XLSR_OK) {
        xlsr_error_format(&err, line, sizeof(line));
        fprintf(stderr, "xlsr-toolstack: %s\n", line);
        status = 2;
        goto out;
    }
    fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "xlsr-toolstack: %s: %s\n", argv[optind],
                strerror(errno));
        goto out;
    }
    if (read_xl_header(fd, &t.g))
        goto out;
    if (name)
        snprintf(t.g.name, sizeof(t.g.name), "%s", name);

    if (create_domain(&t) || run_xlsr(&t, cfg, fd, verbose, &ctx) ||
        publish(&t, &ctx))
        goto out;
    if (!paused && xc_domain_unpause(t.xch, t.domid)) {
        perror("xlsr-toolstack: xc_domain_unpause");
        goto out;
    }
    printf("domid %u\nstore_mfn %lu\nconsole_mfn %lu\n", t.domid,
           ctx.store_mfn, ctx.console_mfn);
    status = 0;
out:
    if (status == 1 && t.created)
        destroy_domain(&t);
    if (fd >= 0)
        close(fd);
    if (cfg)
        xlsr_config_free(cfg);
    if (t.xsh)
        xs_close(t.xsh);
    if (t.xch)
        xc_interface_close(t.xch);
    return status;
}
