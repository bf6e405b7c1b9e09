/*
 * report.c - names, and the summary a verification pass prints: guest
 * type, the Xen that wrote the stream, stream version, records by type and
 * pages by type.  Printed once per stream, off the hot path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libxc.h"

const char *lx_type_name(uint32_t type)
{
    if (type < LX_NR_TYPES)
        return lx_rules[type].name;
    return type & LX_REC_OPTIONAL ? "OPTIONAL" : "UNKNOWN";
}

const char *lx_guest_name(uint32_t guest_type)
{
    switch (guest_type) {
    case LX_GUEST_PV:
        return "x86 PV";
    case LX_GUEST_HVM:
        return "x86 HVM";
    default:
        return "unknown";
    }
}

/* Appends to a fixed line; silently stops at its end. */
struct line {
    char buf[1024];
    size_t len;
};

static void XLSR_PRINTF(2, 3) add(struct line *l, const char *fmt, ...)
{
    va_list ap;
    if (l->len >= sizeof(l->buf))
        return;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n;
    if (l->len >= sizeof(l->buf))
        l->len = sizeof(l->buf) - 1;
}

void lx_report(struct lx_state *s)
{
    const struct lx_stats *st = &s->st;
    const struct xlsr_host *host = s->host;
    struct line l = { .len = 0 };

    if (st->xen_major)
        add(&l, "%s guest, saved by Xen %u.%u", lx_guest_name(st->guest_type),
            st->xen_major, st->xen_minor);
    else
        add(&l, "%s guest, converted from a legacy stream (converter v%u)",
            lx_guest_name(st->guest_type), st->xen_minor);
    host->print(s->h, "  libxc: %s, stream version %u, page size %u",
                l.buf, st->version, 1u << st->page_shift);

    l.len = 0;
    for (uint32_t t = 0; t < LX_NR_TYPES; t++)
        if (st->by_type[t])
            add(&l, " %s %llu", lx_rules[t].name,
                (unsigned long long)st->by_type[t]);
    if (st->optional)
        add(&l, " OPTIONAL %llu", (unsigned long long)st->optional);
    host->print(s->h, "  libxc: %llu records:%s",
                (unsigned long long)st->records, l.buf);

    l.len = 0;
    uint64_t pages = 0;
    for (unsigned t = 0; t < 16; t++)
        if (st->pages[t]) {
            add(&l, " %s %llu", lx_page_type_names[t],
                (unsigned long long)st->pages[t]);
            pages += st->pages[t];
        }
    host->print(s->h, "  libxc: %llu pfns:%s; %llu bytes of page data",
                (unsigned long long)pages, l.buf,
                (unsigned long long)st->data_bytes);
    if (st->pt_pages)
        host->print(s->h, "  libxc: %llu PV page tables read and checked",
                    (unsigned long long)st->pt_pages);
    if (st->warnings)
        host->print(s->h, "  libxc: not conformant: %llu findings Xen's "
                    "restore ignores (warnings; --strict makes them "
                    "errors); restorable", (unsigned long long)st->warnings);
    if (st->checkpoints || s->ctx->checkpointed != XLSR_CKPT_NONE)
        host->print(s->h, "  libxc: %u checkpoints%s", st->checkpoints,
                    st->complete ? "" : ", stream ended inside the next");
}
