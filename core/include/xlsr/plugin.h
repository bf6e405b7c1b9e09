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
#define XLSR_ABI_MINOR 2

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
 * The layers a stream can arrive in (docs/containers.md), outermost first
 * in a file: an `xl save` header, a libvirt save header or a XenServer
 * xenopsd suspend image around a libxl or libxc stream.  ABI 1.2.
 */
enum xlsr_layer {
    XLSR_LAYER_LIBXL = 0,       /* libxl v2 stream */
    XLSR_LAYER_XL = 1,          /* `xl save` header */
    XLSR_LAYER_LIBVIRT = 2,     /* libvirt libxl driver save header */
    XLSR_LAYER_XENOPSD = 3,     /* XenServer/XCP-ng suspend image */
    XLSR_LAYER_LIBXC = 4,       /* libxc v2/v3 stream */
    XLSR_LAYER_LEGACY = 5,      /* pre-v2 (Xen <= 4.5) image: refused */
};

/* xenopsd suspend image record types (xen-api ocaml/xenopsd/lib/
 * suspend_image.ml), bound in [xenopsd.NAME] sections.  ABI 1.2. */
enum xlsr_xenopsd_type {
    XLSR_XENOPSD_XENOPS = 0x000f,       /* VM metadata, an s-expression */
    XLSR_XENOPSD_LIBXC = 0x00f0,        /* a bare libxc stream follows */
    XLSR_XENOPSD_LIBXL = 0x00f1,
    XLSR_XENOPSD_LIBXC_LEGACY = 0x00f2,
    XLSR_XENOPSD_QEMU_TRAD = 0x0f00,    /* the device model's state */
    XLSR_XENOPSD_QEMU_XEN = 0x0f01,
    XLSR_XENOPSD_DEMU = 0x0f10,
    XLSR_XENOPSD_VARSTORED = 0x0f11,    /* UEFI variable store */
    XLSR_XENOPSD_SWTPM0 = 0x0f12,       /* vTPM state */
    XLSR_XENOPSD_SWTPM = 0x0f13,
    XLSR_XENOPSD_END_OF_IMAGE = 0xffff,
};

/*
 * Results of callbacks and host functions.  Zero and positive values are
 * successes; negative values are errors.
 */
enum xlsr_rc {
    XLSR_OK = 0,
    XLSR_DECLINE = 1,   /* record(): not mine.  There is one binding per
                           type: the core handles the record as one with
                           no binding (an optional type is skipped unless
                           [core] unknown_records = fail; a mandatory type
                           fails the stream).  Only before any side
                           effect. */
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
 * libxc plugin fills the results.  Shared by all plugins of one stream,
 * valid from init to fini.  It only grows at its end: the core refuses a
 * ctx whose size is below ABI 1.0's, and a plugin using a member added
 * later checks XLSR_CTX_HAS first.
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
    /* ABI 1.2 (check XLSR_CTX_HAS): the configuration a container carried,
     * NUL terminated, else NULL / 0.  The core sets them only when the
     * caller's size covers them. */
    const char *libvirt_xml;    /* libvirt save header: domain XML */
    size_t libvirt_xml_len;
    const char *xenops_sexp;    /* xenopsd Xenops record: s-expression */
    size_t xenops_sexp_len;
    /* Input (ABI 1.2, check XLSR_CTX_HAS): --strict; conformance findings Xen's
     * restore ignores (reserved fields, padding) are errors, not
     * warnings.  The core copies it from xlsr_session_opts.strict. */
    bool strict;
};

/* True when a restore context (sized by its creator) has `member`. */
#define XLSR_CTX_HAS(ctx, member)                                         \
    ((ctx)->size >= offsetof(struct xlsr_restore_ctx, member) +           \
                        sizeof((ctx)->member))

/* One libxl record, owned by the core: valid only during the callback. */
struct xlsr_record {
    uint32_t type;
    uint32_t length;            /* body length, without padding */
    uint64_t offset;            /* stream offset of the record header */
    const uint8_t *body;        /* length bytes (NULL when length == 0) */
    uint32_t checkpoint;        /* 1-based checkpoint number, 0 outside */
    /* ABI 1.2 (read only when host->abi_minor >= 2): the layer `type` is
     * a type of.  XLSR_LAYER_LIBXL for libxl records and for container
     * records the core presents in libxl shape (a xenopsd Libxc record as
     * LIBXC_CONTEXT, Qemu_trad as EMULATOR_CONTEXT, End_of_image as END);
     * XLSR_LAYER_XENOPSD for the other xenopsd records (type = the
     * xenopsd type, body as in the image). */
    uint32_t layer;
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
     * checkpoint was complete and applied (libxc's SUCCESS); XLSR_ERR_EOF
     * when something went wrong while buffering it, nothing applied
     * (FAILOVER); another error when applying it failed (ERROR).  After
     * the reader returns, a checkpointed stream is complete. */
    int (*checkpoint)(xlsr_handle *h);
    /* The largest record body the configuration allows. */
    uint64_t (*max_record_bytes)(xlsr_handle *h);
    /* COLO: frames the one libxl record libxl reads between checkpoints
     * (CHECKPOINT_STATE, libxl__stream_read_checkpoint_state) and hands it
     * to its handler.  expect_type is the only type accepted.  XLSR_ERR_EOF
     * when the stream ended first (fail over, as for checkpoint()). */
    int (*libxl_record)(xlsr_handle *h, uint32_t expect_type);
    /* The libxc domain header's type (1 x86 PV, 2 x86 HVM), for the
     * rules of libxl records that follow (EMULATOR_* only for HVM); the
     * xl config's c_info.type wins when the stream has one.  Added after
     * ABI 1.1: check with XLSR_HOST_HAS. */
    void (*guest_type)(xlsr_handle *h, uint32_t libxc_domain_type);
    /* When the stream is a regular file: its fd and the file position of
     * stream offset 0, so a plugin may pread(2) or copy_file_range(2)
     * bytes at explicit offsets (position = *base + host->offset()) while
     * it reads the sub-stream through read/skip as usual.  Never move the
     * fd's position, never close it.  XLSR_DECLINE for a pipe, socket or
     * an fd whose offsets are unknown.  Valid inside substream() only;
     * added after ABI 1.2: check with XLSR_HOST_HAS. */
    int (*input_file)(xlsr_handle *h, int *fd, uint64_t *base);
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
     * the other callbacks.  Any error here aborts before reading.  All
     * callbacks of one session come from the thread using that session;
     * other sessions may call the same plugin from other threads at the
     * same time (docs/plugin-guide.md, section 10). */
    int (*init)(const struct xlsr_host *host, xlsr_handle *h, void **state);
    /* One record.  XLSR_OK, XLSR_DECLINE, XLSR_STOP or an error. */
    int (*record)(void *state, const struct xlsr_record *rec);
    /* For records followed by an inline sub-stream (LIBXC_CONTEXT): called
     * after record(); must consume exactly the sub-stream through
     * host->read (or take_fd/return_fd). */
    int (*substream)(void *state, const struct xlsr_record *rec);
    /* Once per stream; rc is the stream's result so far. */
    void (*fini)(void *state, int rc);
    /* Optional, after the ABI 1.2 fields (the core checks `size`): how
     * many leading body bytes record() needs for this record, given its
     * header (rec->body is NULL here).  When it returns n < rec->length,
     * the core reads the rest past without holding it, and record() sees
     * only the first n bytes at rec->body (rec->length is unchanged).
     * Lets a plugin that only checks a header (EMULATOR_CONTEXT in verify
     * or a dry run) keep a sender's 400 MiB body out of memory. */
    uint32_t (*body_needed)(void *state, const struct xlsr_record *rec);
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
