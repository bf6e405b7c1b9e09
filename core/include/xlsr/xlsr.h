/*
 * xlsr/xlsr.h - the embedding API of libxlsr.
 *
 * A toolstack loads a configuration once, opens a session per stream
 * (which loads and initialises every configured plugin before a byte is
 * read), runs it over an fd, and closes it.  Sessions share nothing: several
 * may run at once in one process.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef XLSR_XLSR_H
#define XLSR_XLSR_H

#include <xlsr/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything known about one failure.  Fields not known are left unset
 * (have_offset / have_type false, empty strings). */
struct xlsr_error {
    int rc;                     /* enum xlsr_rc */
    bool have_offset;
    uint64_t offset;            /* stream offset the error is about */
    bool have_type;
    uint32_t type;              /* record type */
    bool inner;                 /* type is a libxc record type */
    char handler[64];           /* plugin name, when a handler is involved */
    char where[256];            /* config file:line, plugin path, ... */
    char reason[512];
};

/* "stream error", "configuration error", ... */
const char *xlsr_strerror(int rc);
/* Name of a libxl record type ("EMULATOR_CONTEXT"), or NULL if unknown. */
const char *xlsr_rec_type_name(uint32_t type);
/* Parses "END", "emulator_context", "0xF0000001", "3": XLSR_OK or
 * XLSR_ERR_CONFIG. */
int xlsr_rec_type_parse(const char *text, uint32_t *type);
/* One line: "offset 24 (0x18): record EMULATOR_CONTEXT (0x3), handler
 * emulator: reason". */
void xlsr_error_format(const struct xlsr_error *err, char *buf, size_t len);
/* Maps an rc to the CLI's exit status: 0 ok, 1 stream/handler, 2 config. */
int xlsr_exit_status(int rc);

/* --- configuration ------------------------------------------------- */

struct xlsr_config;

/* Parses the INI file, resolves plugin paths and validates core keys.
 * Plugin keys are validated when a session loads the plugins. */
int xlsr_config_load(const char *path, struct xlsr_config **out,
                     struct xlsr_error *err);
void xlsr_config_free(struct xlsr_config *cfg);
uint64_t xlsr_config_max_record_bytes(const struct xlsr_config *cfg);
/* The record types with a [record.*] section, in file order: fills up to
 * max, returns how many there are. */
size_t xlsr_config_types(const struct xlsr_config *cfg, uint32_t *types,
                         size_t max);
/* A key of the section of a record type, or NULL. */
const char *xlsr_config_get(const struct xlsr_config *cfg, uint32_t type,
                            const char *key);
/* Sets a key of the section of a record type, replacing the file's value
 * (the command line's way to hand a plugin its per-run keys, as `xlsr
 * export` does for -o and --format).  The key is checked against the
 * plugin's declared keys when a session opens, like any other; errors on
 * it name line 0.  XLSR_OK, XLSR_ERR_CONFIG when the type has no section,
 * or XLSR_ERR_NOMEM. */
int xlsr_config_set(struct xlsr_config *cfg, uint32_t type, const char *key,
                    const char *value);
/* Calls fn for every key of that section, in file order. */
void xlsr_config_keys(const struct xlsr_config *cfg, uint32_t type,
                      void (*fn)(void *opaque, const char *key,
                                 const char *value),
                      void *opaque);

/* --- sessions ------------------------------------------------------ */

typedef void (*xlsr_log_fn)(void *opaque, enum xlsr_log_level level,
                            const char *msg);
typedef void (*xlsr_print_fn)(void *opaque, const char *text);

enum xlsr_format {
    XLSR_FORMAT_AUTO = 0,       /* xl header if its magic is there */
    XLSR_FORMAT_XL = 1,         /* require the xl header */
    XLSR_FORMAT_LIBXL = 2,      /* bare libxl v2 stream */
};

struct xlsr_session_opts {
    uint32_t size;              /* sizeof(struct xlsr_session_opts) */
    xlsr_log_fn log;            /* NULL: discard */
    xlsr_print_fn print;        /* NULL: discard */
    void *opaque;
    enum xlsr_format format;
    bool strict;                /* bytes after END are an error */
    /* Called about every progress_bytes of stream read (0: never); for a
     * progress line.  Not called while libxenguest owns the fd. */
    void (*progress)(void *opaque, uint64_t offset);
    uint64_t progress_bytes;
};

struct xlsr_result {
    uint64_t bytes;             /* stream bytes consumed, END included */
    uint64_t records;           /* libxl records framed */
    uint64_t trailing_bytes;    /* bytes after END (counted, not kept) */
    bool complete;              /* ended through the END handler */
    bool xl_header;
    uint32_t xl_mandatory_flags, xl_optional_flags;
    uint32_t libxl_options;
    /* Checkpointed streams */
    uint32_t checkpoints;       /* complete checkpoints applied */
    bool failover;              /* ended inside a checkpoint */
    uint64_t partial_offset;    /* where the discarded checkpoint began */
};

struct xlsr_session;

/* Loads, checks and initialises every plugin the configuration binds.
 * ctx must outlive the session; its mode decides side effects. */
int xlsr_session_open(const struct xlsr_config *cfg,
                      struct xlsr_restore_ctx *ctx,
                      const struct xlsr_session_opts *opts,
                      struct xlsr_session **out, struct xlsr_error *err);
/* Reads the whole stream from fd and routes it. */
int xlsr_session_run(struct xlsr_session *s, int fd,
                     struct xlsr_result *res, struct xlsr_error *err);
/* Calls every plugin's fini and unloads them. */
void xlsr_session_close(struct xlsr_session *s);

/* One line per binding, as `xlsr plugins` prints it. */
typedef void (*xlsr_binding_fn)(void *opaque, uint32_t type,
                                const char *section, const char *plugin,
                                const char *path,
                                const struct xlsr_plugin *desc,
                                const char *role);
void xlsr_session_bindings(const struct xlsr_session *s, xlsr_binding_fn fn,
                           void *opaque);

#ifdef __cplusplus
}
#endif
#endif /* XLSR_XLSR_H */
