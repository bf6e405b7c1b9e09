/* xsapi.h - the libxenstore calls the xenstore plugin makes, loaded on
 * first use (xsapi.c). */
#ifndef XLSR_XS_API_H
#define XLSR_XS_API_H

#include <stdbool.h>
#include <stdio.h>

#include <xenstore.h>

struct xs_api {
    void *dl;
    struct xs_handle *(*open)(unsigned long flags);
    void (*close)(struct xs_handle *xsh);
    bool (*write)(struct xs_handle *h, xs_transaction_t t, const char *path,
                  const void *data, unsigned int len);
    xs_transaction_t (*transaction_start)(struct xs_handle *h);
    bool (*transaction_end)(struct xs_handle *h, xs_transaction_t t,
                            bool abort);
};

/* 0, or -1 with the reason in why. */
int xs_api_load(struct xs_api *a, char *why, size_t whylen);
void xs_api_unload(struct xs_api *a);

#endif
