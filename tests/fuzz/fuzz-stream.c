/*
 * fuzz-stream.c - feeds mutated streams through a real session (the core
 * and every shipped plugin in verify mode) and checks that each one ends in
 * a clean verdict, never a crash, a hang or a sanitizer report.
 *
 * `fuzz-stream CONF SEED_STREAM N [SEED]` runs N deterministic mutations
 * of SEED_STREAM (bit flips, byte sets, length field smashes, truncations,
 * splices), then replays every file given after `--`.  The coverage-guided
 * libFuzzer targets live in fuzz-targets.c (`make fuzz`).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsr/xlsr.h>

#include "fuzz-lib.h"

static struct xlsr_config *cfg;

/* One stream through one session: returns the rc (never crashes). */
static int one(const uint8_t *data, size_t len)
{
    struct xlsr_restore_ctx ctx = { .size = sizeof(ctx),
                                    .mode = XLSR_MODE_DUMP,
                                    .verbose = true,
                                    .store_port = -1, .console_port = -1 };
    return fz_session(cfg, &ctx, data, len);
}


static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic for a given seed. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* One mutation of the seed into out; returns the new length. */
static size_t mutate(const uint8_t *seed, size_t len, uint8_t *out)
{
    size_t n = len;
    memcpy(out, seed, len);
    unsigned edits = 1 + (unsigned)(rnd() % 4);
    for (unsigned e = 0; e < edits && n; e++) {
        size_t at = (size_t)(rnd() % n);
        switch (rnd() % 6) {
        case 0: /* bit flip */
            out[at] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        case 1: /* interesting byte */
            out[at] = (uint8_t[]){ 0, 0xff, 0x7f, 0x80, 1, 8 }[rnd() % 6];
            break;
        case 2: { /* smash a u32 at an 8-aligned spot: a length or type */
            static const uint32_t v[] = { 0, 1, 7, 0x7fffffff, 0xfffffff8,
                                          0xffffffff, 0x80000000, 4096 };
            size_t a = (at & ~(size_t)7) + 4 * (rnd() % 2);
            if (a + 4 <= n)
                memcpy(out + a, &v[rnd() % 8], 4);
            break;
        }
        case 3: /* truncate */
            n = at;
            break;
        case 4: { /* splice a copy of an earlier chunk */
            size_t from = (size_t)(rnd() % n), k = (size_t)(rnd() % 64);
            if (from + k <= n && at + k <= n)
                memmove(out + at, out + from, k);
            break;
        }
        default: /* zero a run */
            memset(out + at, 0, n - at < 16 ? n - at : 16);
            break;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: fuzz-stream CONF SEED_STREAM N [SEED] "
                "[-- CORPUS_FILE...]\n");
        return 2;
    }
    cfg = fz_load(argv[1]);
    size_t len;
    uint8_t *seed = fz_slurp(argv[2], &len);
    uint8_t *buf = malloc(len ? len : 1);
    long n = strtol(argv[3], NULL, 0);
    int argi = 4;
    rng_state = 0x9E3779B97F4A7C15ull;
    if (argi < argc && strcmp(argv[argi], "--"))
        rng_state ^= strtoull(argv[argi++], NULL, 0);
    unsigned verdict[4] = { 0 };
    if (one(seed, len) != XLSR_OK) {
        fprintf(stderr, "the unmutated seed stream does not verify\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        size_t m = mutate(seed, len, buf);
        verdict[xlsr_exit_status(one(buf, m))]++;
    }
    unsigned replayed = 0;
    if (argi < argc && !strcmp(argv[argi], "--"))
        for (argi++; argi < argc; argi++, replayed++) {
            size_t cl;
            uint8_t *c = fz_slurp(argv[argi], &cl);
            one(c, cl);
            free(c);
        }
    printf("fuzz: %ld mutations: %u verified, %u refused, %u config; "
           "%u corpus files replayed\n", n, verdict[0], verdict[1],
           verdict[2], replayed);
    free(buf);
    free(seed);
    xlsr_config_free(cfg);
    return verdict[2] ? 1 : 0;
}
