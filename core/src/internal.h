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
#include <stdio.h>
#include <string.h>
#include <xlsr/xlsr.h>

#define XLSR_API __attribute__((visibility("default")))

/* --- errors (error.c) ---------------------------------------------- */

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

struct xlsr_reader {
    int fd;
    bool exact;             /* never read past what was asked */
    bool offset_known;      /* false after a foreign reader of unknown
                               length on an unseekable fd */
    uint64_t offset;        /* stream offset of the next byte handed out */
    uint64_t got;           /* bytes of the last short read (EOF) */
    uint64_t base;          /* fd position at offset 0 (seekable fds) */
    bool seek_skip;         /* a regular file: skips lseek over the bytes */
    bool seeked;            /* the last skip seeked: the next fill is small */
    bool seeked_once;       /* kernel read-ahead turned off for the file */
    uint64_t fsize;         /* the file's size when last asked */
    uint8_t *buf;           /* read-ahead, non-exact mode only */
    size_t pos, len;
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
/* Exactly len bytes, or XLSR_ERR_EOF (r->got says how many came) or
 * XLSR_ERR_IO (errno kept). */
int xlsr__read(struct xlsr_reader *r, void *dst, size_t len);
int xlsr__skip(struct xlsr_reader *r, uint64_t len);
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

/* --- plugin loader (loader.c) -------------------------------------- */

struct xlsr_loaded {
    char *name;             /* as configured */
    char *path;             /* resolved file */
    int fd;                 /* the vetted file, open while loaded */
    void *dl;
    const struct xlsr_plugin *desc;
};

int xlsr__plugin_load(const struct xlsr_config *cfg, const char *name,
                      struct xlsr_loaded *out, struct xlsr_error *err);
void xlsr__plugin_unload(struct xlsr_loaded *p);

/* --- sessions (session.c, host.c, stream.c, checkpoint.c) ---------- */

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
    char *report;                   /* shadow: JSON differences so far */
    size_t report_len;
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

struct xlsr_session {
    const struct xlsr_config *cfg;
    struct xlsr_restore_ctx *ctx;
    struct xlsr_session_opts opts;
    struct xlsr_loaded *plugins;
    size_t nplugins;
    struct xlsr_binding *bind;
    size_t nbind;
    struct xlsr_reader rd;
    bool running;                   /* inside xlsr_session_run */
    bool in_substream;
    bool in_checkpoint;             /* buffering one checkpoint */
    uint32_t checkpoint;            /* number of the one being read */
    struct xlsr_result *res;
    struct xlsr_error *err;         /* where the current run reports */
    char *xl_config;                /* owned copy of the xl header JSON */
    uint8_t *body;                  /* record body buffer, reused */
    size_t body_cap;
    char reason[512];               /* host->fail() text of a handler */
    bool reason_set;
    struct xlsr_slot *failed_slot;  /* whose error is being reported */
    bool fatal;                     /* a handler failed while unbuffering */
    bool failover;                  /* the stream broke inside a checkpoint */
    int final_rc;                   /* what fini() is told */
    uint64_t next_progress;         /* offset of the next progress call */
};

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
/* The session's error at a stream offset; returns rc. */
int xlsr__serr(struct xlsr_session *s, int rc, uint64_t off, const char *fmt,
               ...) XLSR_PRINTF(4, 5);
/* The same, about a record: its offset and type. */
int xlsr__rec_err(struct xlsr_session *s, int rc,
                  const struct xlsr_record *rec, const char *fmt, ...)
    XLSR_PRINTF(4, 5);
/* Routes one framed record to its binding (record() then substream()). */
int xlsr__dispatch(struct xlsr_session *s, const struct xlsr_record *rec);
/* Reads one checkpoint's libxl part, buffered, and applies it. */
int xlsr__checkpoint(struct xlsr_session *s);
/* COLO: one libxl record of type `expect` between two checkpoints. */
int xlsr__between_checkpoints(struct xlsr_session *s, uint32_t expect);

#endif /* XLSR_INTERNAL_H */
