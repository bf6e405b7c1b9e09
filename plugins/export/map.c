/*
 * map.c - the set of guest frames that hold a page: one bit per pfn,
 * grown on demand (callers bound pfns before they get here), and the
 * contiguous runs the ELF and LiME layouts are made of.  A rank index
 * (per 512 pfns: pages and runs before them; 0.25 bit per pfn) answers
 * "how many pages / runs come before this pfn" in at most 8 popcounts,
 * which is where a page lands in the LiME and dump-core layouts.
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

#define BLOCK_WORDS 8u

/* Bits of word w that start a run (set, with the bit below clear). */
static uint64_t starts(const struct ex_map *m, uint64_t w)
{
    uint64_t below = w ? m->bits[w - 1] >> 63 : 0;
    return m->bits[w] & ~(m->bits[w] << 1 | below);
}

int ex_map_index(struct ex_map *m)
{
    uint64_t blocks = (m->words + BLOCK_WORDS - 1) / BLOCK_WORDS;
    free(m->rank);
    m->rank = calloc(blocks ? blocks * 2 : 2, sizeof(*m->rank));
    if (!m->rank)
        return -1;
    uint64_t pages = 0, runs = 0;
    for (uint64_t w = 0; w < m->words; w++) {
        if (w % BLOCK_WORDS == 0) {
            m->rank[2 * (w / BLOCK_WORDS)] = pages;
            m->rank[2 * (w / BLOCK_WORDS) + 1] = runs;
        }
        pages += (uint64_t)__builtin_popcountll(m->bits[w]);
        runs += (uint64_t)__builtin_popcountll(starts(m, w));
    }
    return 0;
}

void ex_map_rank(const struct ex_map *m, uint64_t pfn, uint64_t *pages,
                 uint64_t *runs)
{
    uint64_t w = pfn >> 6, p = 0, r = 0;
    if (w >= m->words) {        /* past the map: everything is before */
        *pages = m->pages;
        *runs = ex_map_runs(m);
        return;
    }
    uint64_t b = w / BLOCK_WORDS;
    p = m->rank[2 * b];
    r = m->rank[2 * b + 1];
    for (uint64_t i = b * BLOCK_WORDS; i < w; i++) {
        p += (uint64_t)__builtin_popcountll(m->bits[i]);
        r += (uint64_t)__builtin_popcountll(starts(m, i));
    }
    uint64_t below = (1ull << (pfn & 63)) - 1;
    p += (uint64_t)__builtin_popcountll(m->bits[w] & below);
    r += (uint64_t)__builtin_popcountll(starts(m, w) & (below << 1 | 1));
    *pages = p;
    *runs = r;
}

void ex_map_free(struct ex_map *m)
{
    free(m->rank);
    free(m->bits);
    memset(m, 0, sizeof(*m));
}
