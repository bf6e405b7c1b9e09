/*
 * domain.c - the empty domain a stream is restored into, built per guest
 * type as libxl does before the stream (libxl__domain_make in
 * tools/libs/light/libxl_create.c, libxl__build_pre in libxl_dom.c,
 * libxl__arch_domain_create / hvm_set_conf_params in libxl_x86.c), and
 * its undo.
 *
 * What differs by guest type is a row of the table below; the steps are
 * the same for all three.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ts.h"

#include <xen/hvm/params.h>

/* libxl adds this much (KiB) to a guest's maximum for Xen's own use of
 * its allocation (LIBXL_MAXMEM_CONSTANT, libxl__arch_extra_memory). */
#define MAXMEM_EXTRA_KB 1024

/* Per guest type: domctl flags and emulated devices
 * (libxl__arch_domain_prepare_config). */
static const struct type_row {
    uint32_t cdf;               /* XEN_DOMCTL_CDF_* */
    uint32_t emulation;         /* XEN_X86_EMU_* */
    bool hvm_params;            /* platform HVM params before the stream */
    bool paging_pool;           /* HAP/shadow pool from shadow_memkb */
    bool memmap_limit;          /* PV: pseudo-physical map limit */
} rows[] = {
    [GUEST_PV] = { 0, 0, false, false, true },
    [GUEST_PVH] = { XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
                    XEN_X86_EMU_LAPIC, true, true, false },
    [GUEST_HVM] = { XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
                    XEN_X86_EMU_ALL & ~XEN_X86_EMU_VPCI, true, true, false },
};

/* Which domain runs a service (xenstored, xenconsoled): libxl reads it
 * from /tool/<name>/domid, dom0 when absent. */
uint32_t ts_service_domid(struct xs_handle *xsh, const char *name)
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

static int fail(const char *what)
{
    fprintf(stderr, TS ": %s: %s\n", what, strerror(errno));
    return -1;
}

/* hvm_set_conf_params (libxl_x86.c, 4.17): what the stream's HVM_PARAMS
 * record does not carry.  HPET and VPT alignment exist for HVM only;
 * nested virtualisation and altp2m are createdomain flags since 4.16,
 * and Xen refuses their old params. */
static int set_hvm_params(struct toolstack *t)
{
    const struct guest *g = &t->g;
    struct { int param; uint64_t value; bool hvm_only; } p[] = {
        { HVM_PARAM_HPET_ENABLED, g->hpet, true },
        { HVM_PARAM_VPT_ALIGN, g->vpt_align, true },
        { HVM_PARAM_TIMER_MODE, g->timer_mode, false },
    };
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
        if (p[i].hvm_only && g->type != GUEST_HVM)
            continue;
        if (xc_hvm_param_set(t->xch, t->domid, (uint32_t)p[i].param,
                             p[i].value)) {
            char what[64];
            snprintf(what, sizeof(what), "xc_hvm_param_set(%d)", p[i].param);
            return fail(what);
        }
    }
    return 0;
}

int ts_domain_create(struct toolstack *t)
{
    const struct guest *g = &t->g;
    const struct type_row *row = &rows[g->type];
    struct xen_domctl_createdomain cfg;
    xc_physinfo_t phys;

    memset(&cfg, 0, sizeof(cfg));
    memset(&phys, 0, sizeof(phys));
    if (xc_physinfo(t->xch, &phys))
        return fail("xc_physinfo");
    if ((row->cdf & XEN_DOMCTL_CDF_hvm) &&
        !(phys.capabilities & XEN_SYSCTL_PHYSCAP_hap)) {
        fprintf(stderr, TS ": a %s guest needs HAP, which this host lacks\n",
                ts_type_name(g->type));
        return -1;
    }
    cfg.flags = row->cdf;
    cfg.ssidref = 0;                /* no XSM label: the default */
    if (g->have_uuid)
        memcpy(cfg.handle, g->uuid, sizeof(cfg.handle));
    cfg.max_vcpus = g->max_vcpus;
    cfg.max_evtchn_port = g->event_channels;
    cfg.max_grant_frames = (int32_t)g->max_grant_frames;
    cfg.max_maptrack_frames = (int32_t)g->max_maptrack_frames;
    /* libxl's default grant version: the highest this Xen offers. */
    uint64_t gv = g->max_grant_version;
    if (!gv)
        gv = (phys.capabilities & XEN_SYSCTL_PHYSCAP_gnttab_v2) ? 2 : 1;
    cfg.grant_opts = XEN_DOMCTL_GRANT_version((uint32_t)gv);
    /* Xen 4.17 accepts exactly these two sets for a guest
     * (emulation_flags_ok in xen/arch/x86/domain.c); a user-selectable
     * PIRQ came later. */
    cfg.arch.emulation_flags = row->emulation;
    cfg.arch.misc_flags = g->msr_relaxed ? XEN_X86_MSR_RELAXED : 0;

    t->domid = 0;   /* 0 in: Xen picks a free domid */
    if (xc_domain_create(t->xch, &t->domid, &cfg))
        return fail("xc_domain_create");
    t->created = true;
    fprintf(stderr, TS ": created %s domain %u (%u vCPUs, %" PRIu64
            " KiB)\n", ts_type_name(g->type), t->domid, g->max_vcpus,
            g->target_memkb);

    /* libxl__build_pre.  Xen 4.17 still allocates the vCPUs in a second
     * domctl whose count must match createdomain's. */
    if (xc_domain_max_vcpus(t->xch, t->domid, g->max_vcpus))
        return fail("xc_domain_max_vcpus");
    if (xc_domain_setmaxmem(t->xch, t->domid,
                            g->target_memkb + MAXMEM_EXTRA_KB))
        return fail("xc_domain_setmaxmem");
    /* libxl__arch_domain_create. */
    if (row->memmap_limit &&
        xc_domain_set_memmap_limit(t->xch, t->domid,
                                   g->max_memkb + g->slack_memkb))
        return fail("xc_domain_set_memmap_limit");
    /* The stream's TSC_INFO record then sets what the guest had. */
    if (xc_domain_set_tsc_info(t->xch, t->domid, g->tsc_mode, 0, 0, 0))
        return fail("xc_domain_set_tsc_info");
    /* The HAP pool (new in 4.17: libxl__domain_set_p2m_pool_size);
     * without it the restore runs out of P2M pages. */
    if (row->paging_pool &&
        xc_set_paging_mempool_size(t->xch, t->domid,
                                   g->shadow_memkb * 1024))
        return fail("xc_set_paging_mempool_size");
    if (row->hvm_params && set_hvm_params(t))
        return -1;

    /* The guest's ends of its xenstore and console rings.  libxenguest
     * writes these ports where the restored guest finds them (PV
     * start_info, HVM params). */
    t->store_domid = ts_service_domid(t->xsh, "xenstored");
    t->console_domid = ts_service_domid(t->xsh, "xenconsoled");
    t->store_port = xc_evtchn_alloc_unbound(t->xch, t->domid, t->store_domid);
    t->console_port = xc_evtchn_alloc_unbound(t->xch, t->domid,
                                              t->console_domid);
    if (t->store_port < 0 || t->console_port < 0)
        return fail("xc_evtchn_alloc_unbound");
    return 0;
}

/* Undoes whatever part of the domain exists, device model and files
 * included.  Safe to call twice.  The order is libxl's
 * (libxl__destroy_domid): the domain dies first, and only then is it
 * released from xenstored, whose @releaseDomain is what tells
 * xenconsoled to unmap the console ring.  Released while still alive,
 * xenconsoled would find it running, keep its mapping, and the domain
 * would linger as a dying "(null)" for good. */
void ts_domain_destroy(struct toolstack *t)
{
    ts_dm_kill(t);
    if (t->created) {
        if (xc_domain_destroy(t->xch, t->domid))
            perror(TS ": xc_domain_destroy");
        else
            fprintf(stderr, TS ": destroyed domain %u\n", t->domid);
        t->created = false;
    }
    if (t->introduced) {
        xs_release_domain(t->xsh, t->domid);
        t->introduced = false;
    }
    const char *paths[] = { t->dom_path, t->libxl_path, t->dm_path,
                            t->wrote_vm ? t->vm_path : "" };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (paths[i][0])
            xs_rm(t->xsh, XBT_NULL, paths[i]);
}
