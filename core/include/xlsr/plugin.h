/*
 * xlsr/plugin.h - the plugin SDK: everything a record handler needs.
 *
 * A plugin is a shared object exporting exactly one symbol,
 * XLSR_PLUGIN_ENTRY, which returns a constant descriptor.  Plugins never
 * link against libxlsr: the core hands them a table of host functions
 * (struct xlsr_host) at init, so a plugin built against an older header
 * keeps loading as long as the ABI major matches and its minor is not
 * newer than the core's.
 *
 * This header is self-contained and installed for out-of-tree plugins
 * (pkg-config: xlsr-plugin).  SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef XLSR_PLUGIN_H
#define XLSR_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ABI policy: the major changes when an existing field or callback changes
 * meaning; the minor grows when fields or host functions are appended.
 * The core loads a plugin when plugin.major == core.major and
 * plugin.minor <= core.minor.
 */
#define XLSR_ABI_MAJOR 1
#define XLSR_ABI_MINOR 1

/* Name of the one exported symbol; type xlsr_plugin_entry_fn. */
#define XLSR_PLUGIN_ENTRY "xlsr_plugin_entry"

#if defined(__GNUC__)
#define XLSR_EXPORT __attribute__((visibility("default")))
#define XLSR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define XLSR_EXPORT
#define XLSR_PRINTF(f, a)
#endif

/* libxl v2 record types (libxl-migration-stream spec). */
enum xlsr_rec_type {
    XLSR_REC_END = 0x00000000,
    XLSR_REC_LIBXC_CONTEXT = 0x00000001,
    XLSR_REC_EMULATOR_XENSTORE_DATA = 0x00000002,
    XLSR_REC_EMULATOR_CONTEXT = 0x00000003,
    XLSR_REC_CHECKPOINT_END = 0x00000004,
    XLSR_REC_CHECKPOINT_STATE = 0x00000005,
};
/* Types from here on are optional: a reader may skip one it does not know. */
#define XLSR_REC_OPTIONAL_MIN 0x80000000u

/*
 * Results of callbacks and host functions.  Zero and positive values are
 * successes; negative values are errors.
 */
enum xlsr_rc {
    XLSR_OK = 0,
    XLSR_DECLINE = 1,   /* record(): not mine, try the next binding; only
                           allowed before any side effect */
    XLSR_STOP = 2,      /* record(): the stream is complete (END handler) */
    XLSR_ERR_STREAM = -1,   /* malformed or refused stream content */
    XLSR_ERR_IO = -2,       /* read/write failure on the stream or output */
    XLSR_ERR_EOF = -3,      /* the stream ended early */
    XLSR_ERR_CONFIG = -4,   /* bad configuration, plugin load failure */
    XLSR_ERR_HANDLER = -5,  /* a handler failed to apply a valid record */
    XLSR_ERR_NOMEM = -6,
    XLSR_ERR_LIMIT = -7,    /* a configured limit was exceeded */
};

/* What the run is for; plugins must not cause side effects unless RESTORE
 * and not dry_run. */
enum xlsr_mode {
    XLSR_MODE_VERIFY = 0,   /* check every layer, touch nothing */
    XLSR_MODE_DUMP = 1,     /* as VERIFY, and print what is seen */
    XLSR_MODE_RESTORE = 2,  /* apply (or, with dry_run, describe) */
};

enum xlsr_checkpointed {
    XLSR_CKPT_NONE = 0,
    XLSR_CKPT_REMUS = 1,
    XLSR_CKPT_COLO = 2,
};

enum xlsr_log_level {
    XLSR_LOG_ERROR = 0,
    XLSR_LOG_WARN = 1,
    XLSR_LOG_INFO = 2,
    XLSR_LOG_DEBUG = 3,
};

/*
 * Everything about the restore target.  The caller fills the inputs; the
 * libxc plugin fills the results.  Shared by all plugins of one stream.
 */
struct xlsr_restore_ctx {
    uint32_t size;              /* sizeof(struct xlsr_restore_ctx) */
    enum xlsr_mode mode;
    bool dry_run;
    bool verbose;               /* dump -v: list inner records too */
    uint32_t domid;
    uint32_t dm_domid;          /* domain running the device model */
    int32_t store_port;         /* event channels; -1 when not given */
    int32_t console_port;
    uint32_t store_domid;
    uint32_t console_domid;
    enum xlsr_checkpointed checkpointed;
    /* From the xl header, when the stream had one (else NULL / 0). */
    const char *xl_config;      /* JSON text, NUL terminated */
    size_t xl_config_len;
    /* Results, filled by the libxc plugin in restore mode. */
    unsigned long store_mfn;
    unsigned long console_mfn;
    bool have_results;
    /* Input (ABI 1.1+, check size): --strict; conformance findings Xen's
     * restore ignores (reserved fields, padding) are errors, not
     * warnings.  The core copies it from xlsr_session_opts.strict. */
    bool strict;
};

/* One libxl record, owned by the core: valid only during the callback. */
struct xlsr_record {
    uint32_t type;
    uint32_t length;            /* body length, without padding */
    uint64_t offset;            /* stream offset of the record header */
    const uint8_t *body;        /* length bytes (NULL when length == 0) */
    uint32_t checkpoint;        /* 1-based checkpoint number, 0 outside */
};

/* Declared configuration keys; the core rejects keys not declared. */
enum xlsr_conf_type {
    XLSR_CONF_STRING = 1,
    XLSR_CONF_U64 = 2,          /* accepts K/M/G suffixes and 0x prefixes */
    XLSR_CONF_BOOL = 3,         /* true/false/yes/no/1/0 */
};

struct xlsr_conf_key {
    const char *key;            /* NULL ends the table */
    enum xlsr_conf_type type;
    bool required;
    const char *def;            /* default as text, or NULL */
    const char *help;           /* one line, shown by `xlsr plugins` */
};

/* Opaque per-binding handle the host functions take. */
typedef struct xlsr_handle xlsr_handle;

/*
 * Host functions.  The table only ever grows at its end: check `size`
 * before using a member added after the ABI minor you were built for
 * (XLSR_HOST_HAS).  ABI 1.1 added libxl_record.
 */
struct xlsr_host {
    uint32_t size;
    uint16_t abi_major, abi_minor;

    void (*log)(xlsr_handle *h, enum xlsr_log_level level,
                const char *fmt, ...) XLSR_PRINTF(3, 4);
    /* Records the reason of the error the callback is about to return;
     * the core adds offset, record type and handler name. */
    void (*fail)(xlsr_handle *h, const char *fmt, ...) XLSR_PRINTF(2, 3);
    /* User-facing report output (stdout of the CLI). */
    void (*print)(xlsr_handle *h, const char *fmt, ...) XLSR_PRINTF(2, 3);

    /* Configuration of this binding's section; absent keys give the
     * declared default.  Return XLSR_OK or XLSR_ERR_CONFIG. */
    int (*conf_str)(xlsr_handle *h, const char *key, const char **out);
    int (*conf_u64)(xlsr_handle *h, const char *key, uint64_t *out);
    int (*conf_bool)(xlsr_handle *h, const char *key, bool *out);
    /* Directory of the configuration file, to resolve relative paths. */
    const char *(*conf_dir)(xlsr_handle *h);

    struct xlsr_restore_ctx *(*restore_ctx)(xlsr_handle *h);

    /* Sub-stream access, valid inside substream() only. */
    int (*read)(xlsr_handle *h, void *buf, size_t len);  /* exact; EOF is
                                                            XLSR_ERR_EOF */
    int (*skip)(xlsr_handle *h, uint64_t len);  /* read and discard */
    uint64_t (*offset)(xlsr_handle *h);      /* next byte's stream offset */
    /* Hands the raw fd to a foreign reader (libxenguest).  Fails unless
     * the core has no bytes buffered beyond the current offset. */
    int (*take_fd)(xlsr_handle *h, int *fd);
    /* After a foreign reader is done: `consumed` bytes were read, or
     * UINT64_MAX when unknown (the core then asks lseek, if it can). */
    void (*return_fd)(xlsr_handle *h, uint64_t consumed);
    /* Checkpointed streams: reads the libxl records of one checkpoint up
     * to CHECKPOINT_END and hands them to their handlers.  XLSR_OK when the
     * checkpoint was complete and applied; XLSR_ERR_EOF when the stream
     * ended before CHECKPOINT_END (fail over to the last checkpoint). */
    int (*checkpoint)(xlsr_handle *h);
    /* The largest record body the configuration allows. */
    uint64_t (*max_record_bytes)(xlsr_handle *h);
    /* COLO: frames the one libxl record libxl reads between checkpoints
     * (CHECKPOINT_STATE, libxl__stream_read_checkpoint_state) and hands it
     * to its handler.  expect_type is the only type accepted.  XLSR_ERR_EOF
     * when the stream ended first (fail over, as for checkpoint()). */
    int (*libxl_record)(xlsr_handle *h, uint32_t expect_type);
};

/*
 * The descriptor.  Callbacks may be NULL when not needed (a plugin with a
 * NULL record() and NULL substream() handles nothing).
 */
struct xlsr_plugin {
    uint16_t abi_major, abi_minor;  /* XLSR_ABI_MAJOR / XLSR_ABI_MINOR */
    uint32_t size;                  /* sizeof(struct xlsr_plugin) */
    const char *name;
    const char *version;
    const char *description;
    const struct xlsr_conf_key *conf_keys;

    /* Once per stream, before the first byte is read.  *state is passed to
     * the other callbacks.  Any error here aborts before reading. */
    int (*init)(const struct xlsr_host *host, xlsr_handle *h, void **state);
    /* One record.  XLSR_OK, XLSR_DECLINE, XLSR_STOP or an error. */
    int (*record)(void *state, const struct xlsr_record *rec);
    /* For records followed by an inline sub-stream (LIBXC_CONTEXT): called
     * after record(); must consume exactly the sub-stream through
     * host->read (or take_fd/return_fd). */
    int (*substream)(void *state, const struct xlsr_record *rec);
    /* Once per stream; rc is the stream's result so far. */
    void (*fini)(void *state, int rc);
};

typedef const struct xlsr_plugin *(*xlsr_plugin_entry_fn)(void);

/* The ABI fields of a descriptor as this SDK lays it out:
 *     static const struct xlsr_plugin p = { XLSR_PLUGIN_ABI, .name = ... }; */
#define XLSR_PLUGIN_ABI                                                   \
    .abi_major = XLSR_ABI_MAJOR, .abi_minor = XLSR_ABI_MINOR,             \
    .size = sizeof(struct xlsr_plugin)

/* True when the core's host table has `member` (a plugin built against a
 * newer SDK may run on an older core of the same major). */
#define XLSR_HOST_HAS(host, member)                                       \
    ((host)->size >= offsetof(struct xlsr_host, member) +                 \
                         sizeof((host)->member))

/* Defines the entry point for a descriptor named `desc`. */
#define XLSR_PLUGIN_DEFINE(desc)                                          \
    XLSR_EXPORT const struct xlsr_plugin *xlsr_plugin_entry(void);        \
    XLSR_EXPORT const struct xlsr_plugin *xlsr_plugin_entry(void)         \
    {                                                                     \
        return &(desc);                                                   \
    }

#ifdef __cplusplus
}
#endif
#endif /* XLSR_PLUGIN_H */
