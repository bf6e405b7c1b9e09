/*
 * export.h - private declarations shared by the files of the export
 * plugin: guest memory out of the inline libxc stream, for forensic
 * tools (ELF core, raw, LiME).
 *
 * Data flow, one direction, bounded memory (plan.c: which path):
 *
 *   walk.c   libxc records ──► pages at their final place in a file
 *            (store.c), a bitmap of present pfns (map.c), vCPU
 *            registers (cpu.c)
 *   layout   at the end, once the map is known: ELF program headers and
 *            notes (elf.c) or LiME ranges (lime.c) around the pages
 *   out.c    the output: an anonymous 0600 file in the target directory,
 *            given its name only when complete
 *
 * Nothing holds a page beyond one read buffer; the map costs one bit per
 * guest page.
 */
#ifndef XLSR_PLUGIN_EXPORT_H
#define XLSR_PLUGIN_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xlsr/plugin.h>

#define EX_PAGE         4096u
#define EX_PAGE_SHIFT   12
#define EX_LIME_HDR     32u     /* a LiME range header (lime.c) */
#define EX_DC_PAGES     4096u   /* dump-core's .xen_pages (dumpcore.c) */
#define EX_BUF_PAGES    256     /* pages per read and per journal batch */
#define EX_WRITE_PIECE  (128 * 1024)   /* see ex_pwrite() */
/* pfn entries one PAGE_DATA may carry: Xen's saver sends at most
 * MAX_BATCH_SIZE = 1024 (tools/libs/guest/xg_save_restore.h). */
#define EX_MAX_BATCH    16384u

enum ex_format { EX_ELF, EX_RAW, EX_LIME, EX_DUMPCORE };

/* --- map.c: which pfns hold a page ---------------------------------- */
struct ex_map {
    uint64_t *bits;
    uint64_t words;             /* allocated 64-bit words */
    uint64_t pages;             /* bits set */
    uint64_t end;               /* highest set pfn + 1 (0 when empty) */
    uint64_t *rank;             /* ex_map_index: per 512 pfns, pages and
                                   runs before them */
};

int ex_map_set(struct ex_map *m, uint64_t pfn);   /* 0 or -1 (ENOMEM) */
bool ex_map_test(const struct ex_map *m, uint64_t pfn);
/* The next run of present pfns at or after *pfn: true and [*pfn, *end),
 * or false when none is left. */
bool ex_map_next_run(const struct ex_map *m, uint64_t *pfn, uint64_t *end);
uint64_t ex_map_runs(const struct ex_map *m);
/* Builds the rank index of a map that no longer changes: 0 or -1. */
int ex_map_index(struct ex_map *m);
/* Pages below pfn, and runs that start at or below it (for a present
 * pfn: the 1-based number of its run). */
void ex_map_rank(const struct ex_map *m, uint64_t pfn, uint64_t *pages,
                 uint64_t *runs);
void ex_map_free(struct ex_map *m);

/* --- out.c: the output file ----------------------------------------- */
struct ex_out {
    int dirfd;
    int fd;
    char *dir, *name;           /* where it goes */
    char *tmpname;              /* named temporary (no O_TMPFILE), or NULL */
    bool force;
};

/* Vets the target and creates an anonymous 0600 file in its directory.
 * Returns 0, or -1 with the reason in why. */
int ex_out_open(struct ex_out *o, const char *path, bool force, char *why,
                size_t whylen);
/* An unnamed scratch file in the same directory (LiME staging, the
 * checkpoint journal): fd or -1. */
int ex_out_scratch(struct ex_out *o, char *why, size_t whylen);
/* fsync, then link under its name (replacing it only with force). */
int ex_out_publish(struct ex_out *o, bool sync, char *why, size_t whylen);
/* Closes and removes whatever was not published. */
void ex_out_discard(struct ex_out *o);

/* --- cpu.c: registers of one vCPU ----------------------------------- */
struct ex_state;
struct ex_vcpu {
    uint32_t id;
    bool valid;
    /* Linux x86-64 user_regs_struct order (elf.c writes them as such) */
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx,
        rsi, rdi, orig_rax, rip, cs, rflags, rsp, ss, fs_base, gs_base, ds,
        es, fs, gs;
    uint64_t cr0, cr2, cr3, cr4, efer, kernel_gs_base;
    /* The FXSAVE image (x86-64 elf_fpregset_t, 512 bytes), when the
     * stream says the vCPU's FPU state is initialised. */
    bool fpu;
    uint8_t fxsave[512];
};

struct ex_vcpus {
    struct ex_vcpu *v;
    uint32_t n;                 /* entries allocated (index = vcpu id) */
};

#define EX_MAX_VCPUS 4096u      /* HVM_MAX_VCPUS is 128; PV up to 8192 ids
                                   would be absurd for a saved guest */

/* Fills from one HVM_CONTEXT CPU entry (struct hvm_hw_cpu) / one PV
 * vcpu_guest_context (64-bit guests).  len is what the record holds. */
void ex_cpu_from_hvm(struct ex_vcpu *v, const uint8_t *b, size_t len);
void ex_cpu_from_pv64(struct ex_vcpu *v, const uint8_t *b, size_t len);
/* The registers as a vcpu_guest_context_x86_64 of len bytes (dumpcore). */
void ex_cpu_to_pv64(const struct ex_vcpu *v, uint8_t *b, size_t len);
size_t ex_cpu_hvm_size(void);
/* A checkpoint completed / will never: its registers and shared info
 * become the committed ones / are forgotten. */
void ex_cpu_commit(struct ex_state *s);
void ex_cpu_drop(struct ex_state *s);
size_t ex_cpu_pv64_size(void);
struct ex_vcpu *ex_vcpus_get(struct ex_vcpus *vs, uint32_t id);
uint32_t ex_vcpus_count(const struct ex_vcpus *vs);
void ex_vcpus_free(struct ex_vcpus *vs);

/* Why a regular-file input is staged, not planned (plan.c, walk.c). */
#define EX_WHY_CHECKPOINTED "the stream is checkpointed"

/* --- the plugin's per-stream state ---------------------------------- */
struct ex_state {
    const struct xlsr_host *host;
    xlsr_handle *h;
    struct xlsr_restore_ctx *ctx;
    enum ex_format format;
    const char *path;           /* output, or NULL: walk and report only */
    bool force;
    bool sync;                  /* fsync before naming (key sync) */
    uint64_t max_guest_bytes;   /* cap when nothing better is known */

    struct ex_out out;
    int store;                  /* fd pages are placed in */
    uint64_t base;              /* file offset of guest physical 0 */
    int journal;                /* pages of an open checkpoint, or -1 */
    uint64_t journal_bytes;

    struct ex_map map;          /* committed pages */
    uint64_t pfn_limit;         /* pfns must be below this */
    const char *limit_why;      /* where the limit comes from */
    struct ex_vcpus cpu;        /* committed registers */
    struct ex_vcpus cpu_next;   /* registers of the open checkpoint */
    /* PV SHARED_INFO (one page; committed with the registers) */
    uint8_t *shinfo, *shinfo_next;
    bool shinfo_ok, shinfo_next_ok;

    uint32_t guest_type;        /* libxc domain header type */
    uint32_t xen_major, xen_minor;  /* the saving Xen (domain header) */
    uint8_t pv_width;           /* X86_PV_INFO guest width, 4 or 8 */
    uint32_t checkpoints;       /* complete checkpoints */
    bool in_journal;            /* after the first complete checkpoint */
    uint64_t page_copies;       /* pages read, repeats included */
    bool ready;                 /* layout written, waiting to be named */
    bool done;

    /* plan.c: a regular-file input that is not checkpointed is read
     * twice; pass 1 learns the map, pass 2 copies each page straight to
     * its final offset (no staging file for LiME and dump-core). */
    int in_fd;                  /* regular-file input, or -1 (pipe) */
    uint64_t in_base;           /* its file position of stream offset 0 */
    bool planned;               /* pass 1 succeeded: s->plan is the map */
    struct ex_map plan;         /* the pfns pass 1 found, rank-indexed */
    const char *staged_why;     /* why pages are staged, or NULL */
    /* LiME and dump-core from a pipe (stream.c): pages written at their
     * final offsets in arrival order while the pfns ascend; the first
     * pfn that does not moves what was written to the staging file, and
     * the export goes on staged. */
    bool streaming;
    uint64_t ls_at;             /* output offset of the next byte */
    uint64_t ls_hdr;            /* LiME: offset of the open run's header */
    uint64_t ls_start;          /* LiME: the open run's first pfn */
    uint64_t ls_end;            /* last pfn written + 1, or 0 */

    uint8_t *buf;               /* page read buffer */
    uint8_t *copybuf;           /* copy_plain's own: buf may hold pages
                                   being placed while it copies */
    uint64_t *pfns;             /* one PAGE_DATA record's pfn entries */
};

/* walk.c */
int ex_walk(struct ex_state *s);
/* Pass 1 over a regular-file input (pread at explicit offsets, page
 * contents not read): the pfns with data into s->plan, vCPU state into
 * s->cpu_next as pass 2 will find it.  XLSR_OK when it reached the libxc
 * END; XLSR_DECLINE (and *why) when the stream must be staged instead:
 * a CHECKPOINT, or anything pass 2 will report as an error. */
int ex_walk_plan(struct ex_state *s, const char **why);

/* plan.c */
/* Chooses the path for this stream (pass 1 when it can), logs it. */
int ex_plan(struct ex_state *s);
/* Where the page of a present pfn goes in the output (planned) or the
 * store (staged). */
uint64_t ex_plan_dest(const struct ex_state *s, uint64_t pfn);
/* After pass 2: the pages placed are exactly the plan's. */
int ex_plan_check(struct ex_state *s);

/* store.c: pages into the store (or the journal of an open checkpoint) */
int ex_store_pages(struct ex_state *s, const uint64_t *pfns,
                   const uint8_t *data, uint32_t n);
int ex_store_commit(struct ex_state *s);    /* a checkpoint completed */
void ex_store_drop(struct ex_state *s);     /* the open one never will */

/* elf.c, lime.c, dumpcore.c: the final layout once every page is placed */
int ex_elf_finish(struct ex_state *s);
int ex_lime_finish(struct ex_state *s);
int ex_dumpcore_finish(struct ex_state *s);
/* stream.c: the output is written as the pages come (a pipe, LiME or
 * dump-core); ex_stream_pages() takes n pages of consecutive pfns from
 * pfn (not yet in the map).  When pfn does not ascend, what was written
 * (the map's pages) moves to the staging file and streaming goes off:
 * the caller then stages these pages as any other. */
void ex_stream_start(struct ex_state *s);
int ex_stream_pages(struct ex_state *s, uint64_t pfn, uint32_t n,
                    const uint8_t *data);
/* lime.c: a new run from pfn (its header written when it ends). */
int ex_lime_open_run(struct ex_state *s, uint64_t pfn);
/* store.c: the page map learns pfns; the output's write-out is started. */
int ex_store_mark(struct ex_state *s, const uint64_t *pfns, uint32_t n);
void ex_store_kick(struct ex_state *s, int fd, uint64_t off, uint64_t len);
/* lime.c: len bytes from the staging store at `from` to the output. */
int ex_copy_range(struct ex_state *s, uint64_t from, uint64_t to,
                  uint64_t len);
/* store.c: len bytes from fd `in` at `from` to fd `out` at `to`, in the
 * kernel (copy_file_range) where offsets within a page agree, else
 * read and written. */
int ex_copy_fd(struct ex_state *s, int in, uint64_t from, int out,
               uint64_t to, uint64_t len, const char *what);
/* store.c: n pages of pfns (consecutive data) at file offset `from` of
 * the input, copied to where they belong (pass 2 of a planned stream, and
 * the pages of any regular-file input before a checkpoint). */
int ex_store_copy(struct ex_state *s, const uint64_t *pfns, uint32_t n,
                  uint64_t from);
/* export.c */
/* The pfn bound for the guest type just read from the domain header. */
void ex_set_limit(struct ex_state *s);
int ex_fail(struct ex_state *s, int rc, const char *fmt, ...)
    XLSR_PRINTF(3, 4);
/* Writes all of len at off, or fails naming what. */
int ex_pwrite(struct ex_state *s, int fd, const void *buf, size_t len,
              uint64_t off, const char *what);
/* The length of the next write at output offset `off` as ex_pwrite cuts
 * them: up to the next piece boundary, at most len. */
static inline size_t ex_piece(uint64_t off, uint64_t len)
{
    size_t n = EX_WRITE_PIECE - (size_t)(off % EX_WRITE_PIECE);
    return len < n ? (size_t)len : n;
}

static inline uint32_t ex_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t ex_le64(const uint8_t *p)
{
    return (uint64_t)ex_le32(p) | (uint64_t)ex_le32(p + 4) << 32;
}

static inline void ex_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void ex_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t ex_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

#endif /* XLSR_PLUGIN_EXPORT_H */
