/*
 * xenapi.h - the libxenctrl/libxenguest calls restore makes, and every
 * difference between Xen releases that touches them, in one place.
 *
 * This build targets Debian 12's Xen 4.17 (libxen-dev 4.17).  The
 * libraries are dlopen()ed by soname at the init of a real restore, and
 * the four entry points looked up in the global scope (so that an
 * LD_PRELOADed stand-in, the tests', takes precedence).
 *
 * Where later releases differ (read from xen.git's tools/include and
 * tools/libs/{ctrl,guest}; none of it is compiled in today):
 *   - Sonames carry the release: libxenctrl.so.4.17, libxenguest.so.4.17.
 *   - xc_domain_getinfo(xch, first_domid, max_doms, xc_dominfo_t *) is
 *     gone in 4.18; its replacement is xc_domain_getinfo_single(xch,
 *     domid, xc_domaininfo_t *), with HVM-ness in
 *     (info.flags & XEN_DOMINF_hvm_guest).  Only lx_xc_is_hvm() uses it.
 *   - xc_domain_restore() gains a trailing `unsigned int memflags`
 *     argument in 4.22 (memory allocation flags for the restored
 *     domain); pass 0 there for today's behaviour.  Only the helper's
 *     call (helper.c) makes it.
 *   - struct restore_callbacks has grown at its end over releases
 *     (static_data_done in 4.14); it is zeroed before use, so a newer
 *     member is NULL.
 */
#ifndef XLSR_PLUGIN_LIBXC_XENAPI_H
#define XLSR_PLUGIN_LIBXC_XENAPI_H

#include <stdbool.h>

#include <xenctrl.h>
#include <xenguest.h>

#define LX_XEN_RELEASE "4.17"
#define LX_LIBXENCTRL "libxenctrl.so." LX_XEN_RELEASE
#define LX_LIBXENGUEST "libxenguest.so." LX_XEN_RELEASE

/* The calls, resolved at init (restore.c). */
struct lx_api {
    __typeof__(&xc_interface_open) interface_open;
    __typeof__(&xc_interface_close) interface_close;
    __typeof__(&xc_domain_getinfo) domain_getinfo;      /* <= 4.17 */
    __typeof__(&xc_domain_restore) domain_restore;      /* 4.22: memflags */
};

/* 1 HVM (or PVH), 0 PV, -1 unknown (no such domain). */
static inline int lx_xc_is_hvm(const struct lx_api *api, xc_interface *xch,
                               uint32_t domid)
{
    xc_dominfo_t info;
    if (api->domain_getinfo(xch, domid, 1, &info) != 1 ||
        info.domid != domid)
        return -1;
    return info.hvm ? 1 : 0;
}

#endif /* XLSR_PLUGIN_LIBXC_XENAPI_H */
