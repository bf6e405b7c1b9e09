/*
 * xsapi.c - libxenstore, loaded when a restore first writes to xenstore,
 * not when the plugin is loaded: verify, dump and dry runs never talk to
 * xenstored, and mapping libxenstore and libxentoolcore was a fifth of
 * `xlsr verify`'s start-up (issue 14's bench).  The library is found by
 * its soname on the system's library path, as the DT_NEEDED entry it
 * replaces was; the libxc plugin loads libxenguest the same way
 * (plugins/libxc/restore.c).
 */
#include <dlfcn.h>
#include <string.h>

#include "xsapi.h"

#define XS_SONAME "libxenstore.so.4"

int xs_api_load(struct xs_api *a, char *why, size_t whylen)
{
    static const char *const names[] = {
        "xs_open", "xs_close", "xs_write", "xs_transaction_start",
        "xs_transaction_end",
    };
    void *sym[5];

    if (a->dl)
        return 0;
    void *dl = dlopen(XS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(why, whylen, "cannot load %s: %s", XS_SONAME, dlerror());
        return -1;
    }
    for (size_t i = 0; i < 5; i++) {
        sym[i] = dlsym(dl, names[i]);
        if (!sym[i]) {
            snprintf(why, whylen, "%s lacks %s", XS_SONAME, names[i]);
            dlclose(dl);
            return -1;
        }
    }
    /* object -> function pointers */
    memcpy(&a->open, &sym[0], sizeof(sym[0]));
    memcpy(&a->close, &sym[1], sizeof(sym[1]));
    memcpy(&a->write, &sym[2], sizeof(sym[2]));
    memcpy(&a->transaction_start, &sym[3], sizeof(sym[3]));
    memcpy(&a->transaction_end, &sym[4], sizeof(sym[4]));
    a->dl = dl;
    return 0;
}

void xs_api_unload(struct xs_api *a)
{
    if (a->dl)
        dlclose(a->dl);
    memset(a, 0, sizeof(*a));
}
