/*
 * tests/tools/gen.h - shared declarations of xlsr-gen, the test stream
 * writer: buffered output with record framing (gen-out.c), record bodies
 * (gen-body.c), the xl header (gen-xl.c), the libxc stream (gen-libxc.c)
 * and the command line (gen-main.c).
 *
 * xlsr-gen is standalone on purpose: it must not share a line of code with
 * the reader it tests, or a misreading of the format would cancel out.
 */
#ifndef XLSR_GEN_H
#define XLSR_GEN_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#define GEN_BUF_SIZE (1u << 20)     /* one write() per MiB */
#define GEN_PAGE     4096u
#define GEN_MAX_BODY 0xffffffffull  /* body_length is a u32 */

/* Exit codes: 1 for I/O trouble, 2 for a bad command line. */
#define GEN_EXIT_IO    1
#define GEN_EXIT_USAGE 2

/* Stream levels, for the --offsets log. */
enum { LVL_LIBXL, LVL_LIBXC };

/* Buffered output; off counts every byte handed to it. */
struct gen_out {
    int fd;
    unsigned char *buf;
    size_t used;
    uint64_t off;
    FILE *offs;          /* --offsets log or NULL */
    const char *name;    /* output name for messages */
};

/* Header overrides: a record that lies about its length or pads with junk. */
struct rec_ov {
    int has_len;
    uint32_t len;
    int has_pad;
    unsigned char pad;
};

/* What a record body is made of: literal bytes, then an optional tail. */
enum body_tail { TAIL_NONE, TAIL_ZERO, TAIL_RAND, TAIL_FILE };

struct body {
    unsigned char *pre;  /* literal bytes (sub-headers, hex, strings) */
    size_t npre;
    enum body_tail tail;
    uint64_t ntail;      /* tail length in bytes */
    uint64_t seed;       /* TAIL_RAND */
    int fd;              /* TAIL_FILE, streamed */
    char *path;
};

/* One --rec: a libxl record. */
struct rec_spec {
    uint32_t type;
    struct body body;
    struct rec_ov ov;
};

/* The libxc corruptions of --libxc-corrupt. */
enum lxc_corrupt {
    LXC_OK = 0,
    LXC_BAD_MARKER, LXC_BAD_ID, LXC_VERSION_1, LXC_VERSION_4,
    LXC_OPTIONS_RESERVED, LXC_IHDR_RESERVED, LXC_PAGE_SHIFT,
    LXC_DOMAIN_TYPE, LXC_DHDR_RESERVED, LXC_PAGEDATA_COUNT,
    LXC_PAGEDATA_RESERVED, LXC_PFN_RESERVED, LXC_PAGE_TYPE_5,
    LXC_PAGE_TYPE_6, LXC_PAGE_TYPE_7, LXC_PAGE_TYPE_8, LXC_V3_IN_V2,
    LXC_NO_END, LXC_BIG_RECORD, LXC_NONZERO_PAD,
};

/* One element of the record order given on the command line. */
enum item_kind { ITEM_REC, ITEM_LIBXC };

struct item {
    enum item_kind kind;
    struct rec_spec rec;  /* ITEM_REC */
    int pv;               /* ITEM_LIBXC: 1 PV, 0 HVM */
};

/* Everything the command line asked for. */
struct gen {
    struct gen_out out;
    int big;                     /* libxl records big-endian */
    uint64_t seed;
    int seed_given;

    /* xl header */
    int xl;
    const char *xl_config;
    uint32_t xl_mandatory, xl_optional;
    int has_xl_optlen;
    uint32_t xl_optlen;

    /* libxl header */
    uint64_t ident;
    uint32_t version;
    int has_options;
    uint32_t options;

    struct item *items;
    size_t nitems;
    int no_end;
    uint64_t trailing;

    /* libxc content */
    uint32_t lxc_version;
    uint64_t pages;
    uint32_t batch;
    uint64_t xtab;
    int page_seeded;
    uint64_t page_seed;
    enum lxc_corrupt corrupt;
    int first_page_done;         /* corruptions hit the first PAGE_DATA */
    int lx_pv;                   /* the libxc stream being written is PV */
    int pad_done;                /* nonzero-pad hits one record */

    /* checkpointed streams */
    unsigned checkpoints;
    int colo;
    int final_end;
    char **ckpt_specs;           /* --ckpt-rec, parsed per checkpoint */
    size_t nckpt;
};

/* gen-out.c */
void gen_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void out_open(struct gen_out *o, const char *path, const char *offsets);
void out_close(struct gen_out *o);
void out_bytes(struct gen_out *o, const void *p, size_t n);
unsigned char *out_reserve(struct gen_out *o, size_t n);
void out_fill(struct gen_out *o, int byte, uint64_t n);
void rec_begin(struct gen_out *o, int lvl, uint32_t type, uint64_t body_len,
               int big, const struct rec_ov *ov, unsigned ckpt);
void rec_end(struct gen_out *o, uint64_t body_len, const struct rec_ov *ov);
void rec_small(struct gen_out *o, int lvl, uint32_t type, const void *body,
               size_t len, int big, unsigned ckpt);
const char *rec_type_name(int lvl, uint32_t type, char *tmp, size_t n);

/* gen-body.c */
int parse_u64(const char *s, uint64_t *v);
int rec_spec_parse(const char *spec, uint64_t seed, struct rec_spec *r,
                   char *err, size_t errlen);
uint64_t body_len(const struct body *b);
void body_emit(struct gen_out *o, const struct body *b);
void body_free(struct body *b);
void prng_fill(uint64_t *state, unsigned char *p, size_t n);

/* gen-xl.c */
void xl_header_write(struct gen *g, int pv);

/* gen-libxc.c: returns 1 if the stream must stop after it. */
int libxc_write(struct gen *g, int pv);
int lxc_corrupt_parse(const char *name, enum lxc_corrupt *c);
void lxc_corrupt_list(FILE *f);

/* gen-main.c: the libxl part of one checkpoint (records + CHECKPOINT_END). */
void libxl_ckpt_write(struct gen *g, unsigned ckpt);

/* Little and big-endian stores. */
static inline void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}
static inline void put_le64(unsigned char *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}
static inline void put_le16(unsigned char *p, uint16_t v)
{
    p[0] = v; p[1] = v >> 8;
}
static inline void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}
static inline void put_be64(unsigned char *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}
static inline void put_be16(unsigned char *p, uint16_t v)
{
    p[0] = v >> 8; p[1] = v;
}

/* splitmix64: cheap, deterministic, good enough for test data. */
static inline uint64_t prng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#endif
