/*
 * pfnmap.c - a sparse table of 16 bits per guest pfn: the page type the
 * stream gave it, whether it was populated, and how other records refer
 * to it.  The checks that compare a reference with the page it names
 * (page-table entries, p2m frames, cr3, GDT frames) read it at the end of
 * the libxc stream, when every PAGE_DATA has been seen, as a restore does.
 *
 * Memory follows the pfns the stream actually names (chunks of 4096 pfns,
 * 8 KiB each), never a length field, and stops at a fixed budget: past it
 * the per-pfn checks are reported as not made, and verify goes on.
 */
#include <stdlib.h>
#include <string.h>

#include "libxc.h"

#define CHUNK_SHIFT LX_PFN_CHUNK_SHIFT
#define CHUNK_PFNS  (1u << CHUNK_SHIFT)
#define BUDGET      (128u << 20)    /* a 2 TiB guest's worth of pfns */

/* Index of the first chunk whose base is >= base. */
static size_t lower_bound(const struct lx_pfnmap *m, uint64_t base)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->chunks[mid]->base < base)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint16_t *lx_pfn_slot(struct lx_pfnmap *m, uint64_t pfn, bool create)
{
    uint64_t base = pfn >> CHUNK_SHIFT;
    unsigned at = (unsigned)(pfn & (CHUNK_PFNS - 1));

    /* Streams name pfns in runs: the last chunk is nearly always it. */
    if (m->last < m->n && m->chunks[m->last]->base == base)
        return &m->chunks[m->last]->f[at];
    size_t i = lower_bound(m, base);
    if (i < m->n && m->chunks[i]->base == base) {
        m->last = i;
        return &m->chunks[i]->f[at];
    }
    if (!create || m->overflow)
        return NULL;
    if (m->bytes + sizeof(struct lx_pfnchunk) > (m->budget ? m->budget
                                                            : BUDGET)) {
        m->overflow = true;
        return NULL;
    }
    if (!lx_grow((void **)&m->chunks, &m->cap, m->n + 1, sizeof(*m->chunks),
                 16)) {
        m->overflow = true;
        return NULL;
    }
    struct lx_pfnchunk *c = calloc(1, sizeof(*c));
    if (!c) {
        m->overflow = true;
        return NULL;
    }
    c->base = base;
    memmove(m->chunks + i + 1, m->chunks + i,
            (m->n - i) * sizeof(*m->chunks));
    m->chunks[i] = c;
    m->n++;
    m->bytes += sizeof(*c);
    m->last = i;
    return &c->f[at];
}

const char *lx_pfnmap_each(struct lx_pfnmap *m, uint16_t any, uint16_t all,
                           const char *(*fn)(void *arg, uint64_t pfn,
                                             uint16_t f),
                           void *arg)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct lx_pfnchunk *c = m->chunks[i];
        for (unsigned j = 0; j < CHUNK_PFNS; j++) {
            uint16_t f = c->f[j];
            if (!(f & any) && (!all || (f & all) != all))
                continue;
            const char *r = fn(arg, c->base << CHUNK_SHIFT | j, c->f[j]);
            if (r)
                return r;
        }
    }
    return NULL;
}

void lx_pfnmap_free(struct lx_pfnmap *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->chunks[i]);
    free(m->chunks);
    memset(m, 0, sizeof(*m));
}
