/*
 * xlsr/xlsr.h - the embedding API of libxlsr.
 *
 * A toolstack loads a configuration once, opens a session per stream
 * (which loads and initialises every configured plugin before a byte is
 * read), runs it over an fd, and closes it.
 *
 * Threads: every function may be called from any thread.  A configuration
 * is read-only once loaded and may be shared by sessions in several
 * threads at once (free it after the last of them is closed); a session is
 * used by one thread at a time.  Sessions share nothing but the plugin
 * objects the dynamic linker maps once per process.  libxlsr installs no
 * signal handler, changes no signal mask or disposition, and keeps no
 * global state other than its registry of loaded plugin objects (which is
 * locked).  After fork(), a child may not use sessions of its parent.
 * docs/plugin-guide.md section 10 has the whole contract.
 *
 * ABI: libxlsr.so.0 versions its symbols.  XLSR_1.0 is the first embedding
 * API; XLSR_1.1 gave struct xlsr_result and struct xlsr_error a leading
 * size (and dropped xlsr_error.inner, never set).  A program built
 * against older headers keeps the functions and layouts it was built for;
 * one built against these gets the 1.1 ones.  Output structures are
 * filled by libxlsr, size included: callers need not initialise them.
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
 * (have_offset / have_type false, empty strings).  Members are only ever
 * appended (under a new symbol version). */
struct xlsr_error {
    uint32_t size;              /* set by libxlsr: bytes of this layout */
    int rc;                     /* enum xlsr_rc */
    bool have_offset;
    uint64_t offset;            /* stream offset the error is about */
    bool have_type;
    uint32_t type;              /* libxl record type */
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

/* The outermost layer: detected from the first bytes, or forced. */
enum xlsr_format {
    XLSR_FORMAT_AUTO = 0,       /* detect (docs/containers.md) */
    XLSR_FORMAT_XL = 1,         /* require the xl header */
    XLSR_FORMAT_LIBXL = 2,      /* bare libxl v2 stream */
    XLSR_FORMAT_LIBVIRT = 3,    /* libvirt save header */
    XLSR_FORMAT_XENOPSD = 4,    /* xenopsd suspend image */
    XLSR_FORMAT_LIBXC = 5,      /* bare libxc stream (nothing is peeked:
                                   the fd can go to libxenguest as is) */
};
/* "auto", "xl", "libvirt", "xenopsd", "libxl", "libxc": XLSR_OK or
 * XLSR_ERR_CONFIG. */
int xlsr_format_parse(const char *text, enum xlsr_format *out);

/* What dump mode frames, for a caller that wants it structured
 * (xlsr_session_opts.dump): the xl header, the libxl header, and each
 * libxl record, in stream order, before the record's handler runs. */
enum xlsr_dump_kind {
    XLSR_DUMP_XL_HEADER = 0,
    XLSR_DUMP_LIBXL_HEADER = 1,
    XLSR_DUMP_RECORD = 2,
};

struct xlsr_dump_item {
    enum xlsr_dump_kind kind;
    uint64_t offset;
    /* XLSR_DUMP_XL_HEADER */
    uint32_t xl_mandatory_flags, xl_optional_flags;
    uint32_t xl_optional_bytes, xl_config_bytes;
    /* XLSR_DUMP_LIBXL_HEADER */
    uint32_t libxl_version, libxl_options;
    /* XLSR_DUMP_RECORD */
    uint32_t type, length;
    uint32_t checkpoint;        /* 1-based, 0 outside a checkpoint */
};

struct xlsr_session_opts {
    uint32_t size;              /* sizeof(struct xlsr_session_opts); 0 is
                                   refused (NULL opts: all defaults) */
    xlsr_log_fn log;            /* NULL: discard */
    xlsr_print_fn print;        /* NULL: discard */
    void *opaque;
    enum xlsr_format format;
    bool strict;                /* bytes after END are an error */
    /* Called about every progress_bytes of stream read (0: never); for a
     * progress line.  Not called while libxenguest owns the fd. */
    void (*progress)(void *opaque, uint64_t offset);
    uint64_t progress_bytes;
    /* DUMP mode: when set, called for each header and record instead of
     * the core printing its line for it (plugins still print theirs). */
    void (*dump)(void *opaque, const struct xlsr_dump_item *item);
};

/* What a run saw.  Filled by libxlsr, size included; members are only
 * ever appended (under a new symbol version). */
struct xlsr_result {
    uint32_t size;              /* set by libxlsr: bytes of this layout */
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
 * ctx (ctx->size = sizeof(struct xlsr_restore_ctx), or XLSR_ERR_CONFIG)
 * must outlive the session; its mode decides side effects.  The plugins
 * read and write it during open and run only.  ctx->xl_config is set when
 * the run reads an xl header and stays valid until xlsr_session_close(),
 * which resets it to NULL. */
int xlsr_session_open(const struct xlsr_config *cfg,
                      struct xlsr_restore_ctx *ctx,
                      const struct xlsr_session_opts *opts,
                      struct xlsr_session **out, struct xlsr_error *err);
/* Reads the whole stream from fd and routes it. */
int xlsr_session_run(struct xlsr_session *s, int fd,
                     struct xlsr_result *res, struct xlsr_error *err);
/* Calls every plugin's fini and unloads them. */
void xlsr_session_close(struct xlsr_session *s);

/* The layers the run found, outermost first (kept after an error: the
 * layers up to the failure).  Texts such as "libvirt save header
 * (version 2, XML 1234 bytes)", "libxl v2", "libxc v3 x86 HVM". */
struct xlsr_layer_info {
    enum xlsr_layer layer;
    uint64_t offset;            /* where its header begins */
    char text[120];
};
size_t xlsr_session_layers(const struct xlsr_session *s,
                           const struct xlsr_layer_info **out);
/* All of them in one line, joined by " \u2192 " (UTF-8 arrow). */
void xlsr_session_layer_line(const struct xlsr_session *s, char *buf,
                             size_t len);
/* "libvirt", "xenopsd", ... */
const char *xlsr_layer_name(enum xlsr_layer layer);
/* After a run: where stock `xl restore` would decide differently from
 * this run (it refuses unknown optional records; it accepts a stream cut
 * in its final END), in one line, or NULL.  Valid until the session is
 * closed. */
const char *xlsr_session_xl_restore_note(const struct xlsr_session *s);
/* Name of a xenopsd record type ("Qemu_trad"), or NULL if unknown. */
const char *xlsr_xenopsd_type_name(uint32_t type);
/* Parses "qemu_trad", "Varstored", "0x0f11": XLSR_OK or XLSR_ERR_CONFIG. */
int xlsr_xenopsd_type_parse(const char *text, uint32_t *type);

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
