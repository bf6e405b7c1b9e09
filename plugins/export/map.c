/*
 * map.c - the set of guest frames that hold a page: one bit per pfn,
 * grown on demand (callers bound pfns before they get here), and the
 * contiguous runs the ELF and LiME layouts are made of.
 */
#include <stdlib.h>
#include <string.h>

#include "export.h"

int ex_map_set(struct ex_map *m, uint64_t pfn)
{
    uint64_t w = pfn >> 6;
    if (w >= m->words) {
        uint64_t n = m->words ? m->words : 64;
        while (n <= w)
            n *= 2;
        uint64_t *b = realloc(m->bits, n * sizeof(*b));
        if (!b)
            return -1;
        memset(b + m->words, 0, (n - m->words) * sizeof(*b));
        m->bits = b;
        m->words = n;
    }
    uint64_t bit = 1ull << (pfn & 63);
    if (!(m->bits[w] & bit)) {
        m->bits[w] |= bit;
        m->pages++;
        if (pfn >= m->end)
            m->end = pfn + 1;
    }
    return 0;
}

bool ex_map_test(const struct ex_map *m, uint64_t pfn)
{
    uint64_t w = pfn >> 6;
    return w < m->words && (m->bits[w] >> (pfn & 63) & 1);
}

/* First pfn at or after `pfn` whose bit equals `set`, or m->end. */
static uint64_t scan(const struct ex_map *m, uint64_t pfn, bool set)
{
    while (pfn < m->end) {
        uint64_t w = m->bits[pfn >> 6];
        if (!set)
            w = ~w;
        w &= ~0ull << (pfn & 63);
        if (w) {
            uint64_t at = (pfn & ~63ull) + (uint64_t)__builtin_ctzll(w);
            return at < m->end ? at : m->end;
        }
        pfn = (pfn & ~63ull) + 64;
    }
    return m->end;
}

bool ex_map_next_run(const struct ex_map *m, uint64_t *pfn, uint64_t *end)
{
    uint64_t start = scan(m, *pfn, true);
    if (start >= m->end)
        return false;
    *pfn = start;
    *end = scan(m, start, false);
    return true;
}

uint64_t ex_map_runs(const struct ex_map *m)
{
    uint64_t n = 0, pfn = 0, end;
    while (ex_map_next_run(m, &pfn, &end)) {
        n++;
        pfn = end;
    }
    return n;
}

void ex_map_free(struct ex_map *m)
{
    free(m->bits);
    memset(m, 0, sizeof(*m));
}
