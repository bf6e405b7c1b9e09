/*
 * internal.h - private declarations shared by the files of libxlsr.
 *
 * Nothing here is installed.  Cross-file functions carry the `xlsr__`
 * prefix (libxl's convention for internal symbols) and are hidden by
 * -fvisibility=hidden; public entry points are marked XLSR_API.
 */
#ifndef XLSR_INTERNAL_H
#define XLSR_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <xlsr/xlsr.h>

#define XLSR_API __attribute__((visibility("default")))

/* --- errors (error.c) ---------------------------------------------- */

/* Empties an error record, its size stamped (xlsr.h). */
void xlsr__err_clear(struct xlsr_error *err);
/* Sets rc and reason; returns rc so callers can `return xlsr__fail(...)`. */
int xlsr__fail(struct xlsr_error *err, int rc, const char *fmt, ...)
    XLSR_PRINTF(3, 4);
int xlsr__vfail(struct xlsr_error *err, int rc, const char *fmt, va_list ap)
    XLSR_PRINTF(3, 0);
void xlsr__err_at(struct xlsr_error *err, uint64_t offset);
void xlsr__err_type(struct xlsr_error *err, uint32_t type);
void xlsr__err_where(struct xlsr_error *err, const char *fmt, ...)
    XLSR_PRINTF(2, 3);

/* LIBXC_CONTEXT: a whole libxc stream follows the record on the fd. */
bool xlsr__carries_substream(uint32_t type);
/* Parses "256M", "0x1000", "12k": XLSR_OK or XLSR_ERR_CONFIG. */
int xlsr__parse_u64(const char *text, uint64_t *out);
int xlsr__parse_bool(const char *text, bool *out);

/* --- reader (reader.c) --------------------------------------------- */

#define XLSR_READ_BUF (128 * 1024)
#define XLSR_PIPE_SIZE (1024 * 1024)
#define XLSR_PEEK_MAX 64        /* most bytes xlsr__peek can look ahead */

struct xlsr_reader {
    int fd;
    bool exact;             /* never read past what was asked */
    bool offset_known;      /* false after a foreign reader of unknown
                               length on an unseekable fd */
    uint64_t offset;        /* stream offset of the next byte handed out */
    uint64_t got;           /* bytes of the last short read (EOF) */
    uint64_t base;          /* fd position at offset 0 (seekable fds) */
    bool seek_skip;         /* a regular file: skips lseek over the bytes */
    unsigned small_fills;   /* fills left small since the last seek */
    size_t ramp;            /* then the next fill's size, 0: whole buffer */
    bool fresh_seek;        /* no fill since the last seek */
    bool uncached;          /* the page cache lacked the last small fill */
    unsigned since_probe;   /* fills since the cache was last asked */
    bool seeked_once;       /* kernel read-ahead turned off for the file */
    uint64_t fsize;         /* the file's size when last asked */
    uint8_t *buf;           /* read-ahead, non-exact mode only */
    size_t pos, len;
    int saved_flags;        /* file status flags to put back, or -1 */
    /* Exact mode: bytes peeked (xlsr__peek) and not yet consumed. */
    uint8_t pb[XLSR_PEEK_MAX];
    size_t pbpos, pblen;
};

int xlsr__reader_init(struct xlsr_reader *r, int fd, bool exact);

/* Fast paths for the per-record reads of a sub-stream: served from the
 * read-ahead when it holds all len bytes (true), else left to
 * xlsr__read / xlsr__skip (false). */
static inline bool xlsr__read_ahead(struct xlsr_reader *r, void *dst,
                                    size_t len)
{
    if (!r->buf || r->len - r->pos < len)
        return false;
    memcpy(dst, r->buf + r->pos, len);
    r->pos += len;
    r->offset += len;
    return true;
}

static inline bool xlsr__skip_ahead(struct xlsr_reader *r, uint64_t len)
{
    if (!r->buf || r->len - r->pos < len)
        return false;
    r->pos += (size_t)len;
    r->offset += len;
    return true;
}
void xlsr__reader_free(struct xlsr_reader *r);
/* The end of a run: puts back the fd's O_NONBLOCK if init cleared it. */
void xlsr__reader_done(struct xlsr_reader *r);
/* Exactly len bytes, or XLSR_ERR_EOF (r->got says how many came) or
 * XLSR_ERR_IO (errno kept). */
int xlsr__read(struct xlsr_reader *r, void *dst, size_t len);
int xlsr__skip(struct xlsr_reader *r, uint64_t len);
/* Makes the next n (<= XLSR_PEEK_MAX) bytes visible at *p without
 * consuming them (layer detection; reads never seek).  XLSR_ERR_EOF with
 * r->got set when fewer remain. */
int xlsr__peek(struct xlsr_reader *r, size_t n, const uint8_t **p);
/* Reads to EOF, counting: for bytes after END. */
int xlsr__drain(struct xlsr_reader *r, uint64_t *count);
size_t xlsr__buffered(const struct xlsr_reader *r);

/* --- configuration (config.c) -------------------------------------- */

struct xlsr_conf_kv {
    char *key, *value;
    unsigned line;
    bool used;              /* claimed by the core or the plugin's table */
};

struct xlsr_conf_section {
    char *name;             /* "record.emulator_context" */
    unsigned line;
    uint32_t type;          /* record sections only */
    enum xlsr_layer layer;  /* whose type: LIBXL [record.*], XENOPSD
                               [xenopsd.*] */
    struct xlsr_conf_kv *kv;
    size_t nkv;
};

struct xlsr_config {
    char *path;             /* as given */
    char *dir;              /* its directory, for relative paths */
    char *plugin_dir;       /* as configured: a ':'-separated list */
    char **plugin_dirs;     /* resolved against dir, searched in order */
    size_t nplugin_dirs;
    uint64_t max_record_bytes;
    uint64_t checkpoint_bytes;  /* buffering limit of one checkpoint */
    bool unknown_fail;          /* unknown optional records fail */
    struct xlsr_conf_section *sec;  /* record sections, in file order */
    size_t nsec;
};

const char *xlsr__conf_get(const struct xlsr_conf_section *s,
                           const char *key, unsigned *line);

/* The restore context as ABI 1.0 laid it out: the least a caller's
 * ctx->size may say. */
#define XLSR__CTX_V10_SIZE                                                \
    (offsetof(struct xlsr_restore_ctx, have_results) + sizeof(bool))

/* --- plugin loader (loader.c) -------------------------------------- */

struct xlsr_dso;             /* a loaded object, shared (loader.c) */

struct xlsr_loaded {
    char *name;             /* as configured */
    char *path;             /* resolved file */
    struct xlsr_dso *dso;   /* the object, one per file in the process */
    const struct xlsr_plugin *desc;
};

/* 0 if shadow_report names a file we can write safely, else -1 with a
 * reason (wrappers.c). */
int xlsr__shadow_report_check(const char *path, char *why, size_t whylen);
/* Owner/mode rule for files that decide what code runs (config.c). */
struct stat;
int xlsr__vet_owner_mode(const struct stat *st, const char *what,
                         struct xlsr_error *err);
int xlsr__plugin_load(const struct xlsr_config *cfg, const char *name,
                      struct xlsr_loaded *out, struct xlsr_error *err);
void xlsr__plugin_unload(struct xlsr_loaded *p);

/* --- sessions (session.c, host.c, stream.c, checkpoint.c, machine.c) */

#include "layers.h"

struct xlsr_session;

struct xlsr_slot;

struct xlsr_handle {
    struct xlsr_session *s;
    struct xlsr_binding *b;
    struct xlsr_slot *slot;
};

/* One plugin instance of a binding. */
struct xlsr_slot {
    struct xlsr_loaded *plugin;     /* owned by the session's plugin list */
    void *state;
    bool inited;
    bool candidate;                 /* sees candidate.KEY overrides */
    bool dry;                       /* shadow: always a dry run */
    struct xlsr_restore_ctx dry_ctx;
    struct xlsr_handle handle;
};

struct xlsr_wrapper;                /* wrappers.c */
struct xlsr__shadow_diff;           /* wrappers.c */

/* A record type's routing entry: the current plugin, and for staged
 * rollout a candidate plus the wrapper that chooses between them. */
struct xlsr_binding {
    uint32_t type;
    const struct xlsr_conf_section *sec;
    struct xlsr_slot cur, cand;
    const struct xlsr_wrapper *wrap;
    uint64_t percent;               /* canary share */
    int chosen;                     /* canary: -1 undecided, 0 cur, 1 cand */
    uint64_t seen, differ;          /* shadow statistics */
    struct xlsr__shadow_diff *diffs;    /* shadow: the first differences */
    size_t ndiffs;
};

/* The wrapper kinds, from wrappers.c. */
struct xlsr_wrapper {
    const char *name;               /* "plain", "canary", "shadow" */
    int (*record)(struct xlsr_session *s, struct xlsr_binding *b,
                  const struct xlsr_record *rec);
    int (*substream)(struct xlsr_session *s, struct xlsr_binding *b,
                     const struct xlsr_record *rec);
    void (*finish)(struct xlsr_session *s, struct xlsr_binding *b);
};

extern const struct xlsr_wrapper xlsr__wrap_plain, xlsr__wrap_canary,
    xlsr__wrap_shadow;

/* Calls one slot's record()/substream() with the reason buffer reset. */
int xlsr__slot_record(struct xlsr_session *s, struct xlsr_slot *slot,
                      const struct xlsr_record *rec);
int xlsr__slot_substream(struct xlsr_session *s, struct xlsr_slot *slot,
                         const struct xlsr_record *rec);

struct xlsr_pending;                /* a buffered checkpoint record */

/*
 * The states of one run (drawn, with every event and transition, atop
 * machine.c).  One field, not a set of booleans: every combination that
 * can be written down is one that can happen.
 */
enum xlsr__state {
    XLSR__S_IDLE = 0,       /* opened, not run yet */
    XLSR__S_HEADERS,        /* xl and libxl headers */
    XLSR__S_NORMAL,         /* read one record, apply it, repeat */
    XLSR__S_LIBXC,          /* the inline libxc stream's reader owns the fd */
    XLSR__S_BUFFERING,      /* a checkpoint's libxl records, held */
    XLSR__S_UNBUFFERING,    /* its CHECKPOINT_END came: applying them */
    XLSR__S_CKPT_STATE,     /* COLO: the one CHECKPOINT_STATE between two */
    XLSR__S_DONE,           /* the verdict is in */
    XLSR__S_COUNT
};

/* How a run ended: exactly one, set once (xlsr__complete). */
enum xlsr__verdict {
    XLSR__V_NONE = 0,
    XLSR__V_COMPLETE,       /* END applied, or a checkpointed stream's libxc
                               part ended with no checkpoint */
    XLSR__V_FAILOVER,       /* at checkpoint N, nothing after it applied */
    XLSR__V_ERROR,
};

/* What the checkpoint callback tells libxc (XGR_CHECKPOINT_*). */
enum xlsr__ckpt_result {
    XLSR__CK_NONE = 0,      /* no checkpoint yet */
    XLSR__CK_SUCCESS,
    XLSR__CK_FAILOVER,      /* error while BUFFERING */
    XLSR__CK_ERROR,         /* error while UNBUFFERING */
};

/* The guest type, as libxl's b_info.type decides what a stream may hold. */
enum xlsr__guest {
    XLSR__G_UNKNOWN = 0,
    XLSR__G_PV,
    XLSR__G_PVH,
    XLSR__G_HVM,
};

struct xlsr_session {
    const struct xlsr_config *cfg;
    struct xlsr_restore_ctx *ctx;
    struct xlsr_session_opts opts;
    struct xlsr_loaded *plugins;
    size_t nplugins;
    struct xlsr_binding *bind;
    size_t nbind;
    struct xlsr_reader rd;
    enum xlsr__state state;
    enum xlsr__verdict verdict;
    bool checkpointed;              /* declared, or a checkpoint was seen */
    unsigned libxc_streams;         /* LIBXC_CONTEXT records processed */
    uint32_t checkpoint;            /* number of the one being read */
    uint32_t checkpoints;           /* complete and applied */
    uint64_t ckpt_end;              /* offset after the last complete one */
    enum xlsr__ckpt_result last_ckpt;   /* what libxc was last told */
    struct xlsr_error ckpt_err;     /* why, when not SUCCESS */
    enum xlsr__guest guest;         /* from the xl config, else libxc */
    bool guest_from_config;
    bool dm_qemu_xen;               /* the config names a dom0 qemu-xen */
    bool emu_context_seen;          /* an EMULATOR_CONTEXT was processed */
    struct xlsr_result *res;
    struct xlsr_error *err;         /* where the current run reports */
    char *xl_config;                /* owned copy of the xl header JSON */
    uint8_t *body;                  /* record body buffer, reused */
    size_t body_cap;
    char reason[512];               /* host->fail() text of a handler */
    bool reason_set;
    struct xlsr_slot *failed_slot;  /* whose error is being reported */
    int final_rc;                   /* what fini() is told */
    uint64_t next_progress;         /* offset of the next progress call */
    struct xlsr__layers lay;        /* container layers (layers.c) */
    uint64_t skipped, skipped_bytes;    /* optional records skipped */
    uint32_t last_type;             /* of the last record dispatched */
    bool eof_hdr;                   /* EOF where a record header was due */
    bool eof_hdr_zero;              /* ... and what came of it was zero */
    size_t eof_hdr_got;             /* ... bytes of it that came */
    char xl_note[400];              /* where stock xl restore differs */
};

/* Where stock xl restore would decide differently (xlcut.c): logged as
 * a warning once, and kept for xlsr_session_xl_restore_note(). */
void xlsr__xl_differs(struct xlsr_session *s, const char *fmt, ...)
    XLSR_PRINTF(2, 3);
/* Where stock xl restore accepts a cut stream (xlcut.c). */
void xlsr__note_hdr_eof(struct xlsr_session *s, const uint8_t *h,
                        size_t got);
void xlsr__xl_cut_note(struct xlsr_session *s);

/* Bounds on what a sender controls (bounds.c). */
uint32_t xlsr__body_keep(struct xlsr_session *s,
                         const struct xlsr_record *hdr);
void xlsr__note_skip(struct xlsr_session *s, const struct xlsr_record *rec,
                     const char *why);
void xlsr__skip_summary(struct xlsr_session *s);
int xlsr__trailing(struct xlsr_session *s, bool strict);

/* Reports progress when the stream has moved far enough: cheap enough
 * for every read. */
static inline void xlsr__progress(struct xlsr_session *s)
{
    if (s->rd.offset >= s->next_progress && s->opts.progress_bytes) {
        s->next_progress = s->rd.offset + s->opts.progress_bytes;
        s->opts.progress(s->opts.opaque, s->rd.offset);
    }
}

extern const struct xlsr_host xlsr__host;
/* A shadow candidate's copy of the caller's ctx, always a dry run. */
void xlsr__dry_ctx(struct xlsr_slot *slot,
                   const struct xlsr_restore_ctx *ctx);

struct xlsr_binding *xlsr__binding_for(struct xlsr_session *s, uint32_t type);
void xlsr__logf(struct xlsr_session *s, enum xlsr_log_level level,
                const char *fmt, ...) XLSR_PRINTF(3, 4);
void xlsr__printf(struct xlsr_session *s, const char *fmt, ...)
    XLSR_PRINTF(2, 3);
void xlsr__vprintf(struct xlsr_session *s, const char *fmt, va_list ap)
    XLSR_PRINTF(2, 0);

/* Frames one libxl record (header, body, padding) into rec, whose body
 * points into the session's buffer.  XLSR_ERR_EOF with *clean_eof set
 * when the stream ended exactly at a record boundary. */
int xlsr__frame_record(struct xlsr_session *s, struct xlsr_record *rec,
                       bool *clean_eof);
/* The same in two steps: the 8-byte header (length checked against
 * max_record_bytes), then body and padding. */
int xlsr__frame_header(struct xlsr_session *s, struct xlsr_record *rec,
                       bool *clean_eof);
int xlsr__frame_body(struct xlsr_session *s, struct xlsr_record *rec);
/* The session's error at a stream offset; returns rc. */
int xlsr__serr(struct xlsr_session *s, int rc, uint64_t off, const char *fmt,
               ...) XLSR_PRINTF(4, 5);
/* The same, about a record: its offset and type. */
int xlsr__rec_err(struct xlsr_session *s, int rc,
                  const struct xlsr_record *rec, const char *fmt, ...)
    XLSR_PRINTF(4, 5);
/* Routes one framed record to its binding (record() then substream()),
 * after the rules of the state it is processed in (machine.c). */
int xlsr__dispatch(struct xlsr_session *s, const struct xlsr_record *rec);
/* The same to a given binding (not NULL), e.g. a container's. */
int xlsr__dispatch_to(struct xlsr_session *s, struct xlsr_binding *b,
                      const struct xlsr_record *rec);
/* Body reads as the framer does them (growing as data arrives, into
 * s->body), and the framer's message for a failed read. */
int xlsr__read_body(struct xlsr_session *s, uint32_t len, uint64_t off,
                    const char *what);
int xlsr__short_read(struct xlsr_session *s, int rc, uint64_t off,
                     const char *what, uint64_t want);
/* Reads one checkpoint's libxl part, buffered, and applies it: XLSR_OK
 * (SUCCESS), XLSR_ERR_EOF (FAILOVER) or another error (ERROR). */
int xlsr__checkpoint(struct xlsr_session *s);
/* COLO: one libxl record of type `expect` between two checkpoints. */
int xlsr__between_checkpoints(struct xlsr_session *s, uint32_t expect);

/* --- the state machine (machine.c) --------------------------------- */

/* Moves to state `to`; aborts on a transition the drawing does not have. */
void xlsr__enter(struct xlsr_session *s, enum xlsr__state to);
/* Whether a record of this type may be processed in the current state
 * (and guest type): XLSR_OK, or the error naming the rule. */
int xlsr__rec_allowed(struct xlsr_session *s, const struct xlsr_record *rec);
/* LIBXC_CONTEXT's reader returned rc: where the stream goes next.
 * XLSR_OK (back to NORMAL), XLSR_STOP (completed) or an error. */
int xlsr__libxc_done(struct xlsr_session *s, int rc);
/* The one completion path: sets the verdict and the result, once. */
int xlsr__complete(struct xlsr_session *s, int rc);
/* The xl config's c_info.type, for the guest rules. */
void xlsr__guest_from_config(struct xlsr_session *s, const char *json);
void xlsr__guest_from_libxc(struct xlsr_session *s, uint32_t dhdr_type);
const char *xlsr__state_name(enum xlsr__state st);

/* The sub-stream host functions may read the stream only while the
 * libxc reader owns it. */
static inline bool xlsr__owns_substream(const struct xlsr_session *s)
{
    return s->state == XLSR__S_LIBXC;
}

#endif /* XLSR_INTERNAL_H */
