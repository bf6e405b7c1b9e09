/*
 * layers.h - private declarations of the container layers (layers.c and
 * one file per layer: xlhdr.c, libvirt.c, xenopsd.c, libxc_layer.c).
 *
 * A stream is a stack of layers read front to back: zero or one wrapper
 * (xl save header, libvirt save header, xenopsd suspend image), then the
 * libxl stream or a bare libxc stream.  The stack is detected from the
 * first 8 bytes without seeking (a pipe works as well as a file) and kept
 * in the session for the report.  Included by internal.h.
 */
#ifndef XLSR_LAYERS_H
#define XLSR_LAYERS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define XLSR_MAX_LAYERS 4
#define XLSR_DETECT_BYTES 8     /* enough to tell every layer apart */

struct xlsr_session;
struct xlsr_binding;
struct xlsr_record;

/* Per-session layer state (struct xlsr_session.lay). */
struct xlsr__layers {
    struct xlsr_layer_info stack[XLSR_MAX_LAYERS];
    size_t n;
    bool bare_libxc;            /* a libxc stream with no libxl around it */
    char *libvirt_xml;          /* owned copies of container configs */
    char *xenops_sexp;
    uint32_t qemu_records;      /* xenopsd: Qemu_trad records so far */
};

/* One entry of the layer table (layers.c). */
struct xlsr__layer_kind {
    enum xlsr_layer layer;
    const char *format;         /* --format value, NULL if not forcible */
    enum xlsr_format forced;
    const char *what;           /* "libvirt save header", for messages */
    /* Does a stream start with this layer?  (first XLSR_DETECT_BYTES) */
    bool (*detect)(const uint8_t *b);
    /* Reads the layer from the current offset.  XLSR_OK: a libxl record
     * stream follows (stream.c frames it); XLSR_STOP: the layer ran the
     * stream to its end itself; an error otherwise. */
    int (*run)(struct xlsr_session *s);
};

/* layers.c: the entry point stream.c calls where headers are read. */
int xlsr__layers_read(struct xlsr_session *s);
/* Appends one layer to the stack (printf-style text). */
void xlsr__layer_push(struct xlsr_session *s, enum xlsr_layer layer,
                      uint64_t offset, const char *fmt, ...)
    XLSR_PRINTF(4, 5);
void xlsr__layers_free(struct xlsr_session *s);
/* Runs the layer a wrapper says comes next (libxl or libxc). */
int xlsr__layer_run(struct xlsr_session *s, enum xlsr_layer layer);
/* A binding failed on a record the core made up for a container record
 * (a bare libxc stream's LIBXC_CONTEXT, a xenopsd record in libxl
 * shape): the error names what was really in the image instead. */
void xlsr__err_relabel(struct xlsr_session *s, const char *fmt, ...)
    XLSR_PRINTF(2, 3);
/* Whether a binding's records are followed by an inline stream (libxl
 * LIBXC_CONTEXT, xenopsd Libxc). */
bool xlsr__binding_substream(const struct xlsr_binding *b);
/* host->checkpoint and libxl_record: refused when no libxl layer exists
 * to hand back to.  XLSR_OK or an error (reason set). */
int xlsr__layers_libxl_ok(struct xlsr_session *s, const char *what);

/* xlhdr.c: the xl save header and the libxl stream header. */
bool xlsr__detect_xl(const uint8_t *b);
bool xlsr__detect_libxl(const uint8_t *b);
int xlsr__run_xl(struct xlsr_session *s);
int xlsr__run_libxl(struct xlsr_session *s);

/* libvirt.c */
bool xlsr__detect_libvirt(const uint8_t *b);
int xlsr__run_libvirt(struct xlsr_session *s);

/* xenopsd.c */
bool xlsr__detect_xenopsd(const uint8_t *b);
int xlsr__run_xenopsd(struct xlsr_session *s);
bool xlsr__xenopsd_substream(uint32_t type);

/* libxc_layer.c: bare libxc streams, the libxc layer's description, and
 * legacy images (refused with the way to convert them). */
bool xlsr__detect_libxc(const uint8_t *b);
bool xlsr__detect_legacy(const uint8_t *b);
int xlsr__run_libxc(struct xlsr_session *s);
int xlsr__run_legacy(struct xlsr_session *s);
/* Adds "libxc v3 x86 HVM" from the next 40 bytes, when the reader can
 * peek them without breaking an fd hand-over (buffered mode). */
void xlsr__libxc_describe(struct xlsr_session *s);
/* Hands a (real or synthesized) LIBXC_CONTEXT and the libxc stream after
 * it to binding b.  rec->offset names where the container record was. */
int xlsr__libxc_dispatch(struct xlsr_session *s, struct xlsr_binding *b,
                         const struct xlsr_record *rec);
/* The refusal of a legacy stream found at off, inside `where` ("" at the
 * top); sets the error and returns XLSR_ERR_STREAM. */
int xlsr__legacy_refuse(struct xlsr_session *s, uint64_t off,
                        const uint8_t *b, const char *where);

/* Header fields: big-endian, little-endian, or the saving host's order
 * (xl and libvirt headers). */
static inline uint32_t xlsr__be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint32_t xlsr__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint32_t xlsr__host32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

#endif /* XLSR_LAYERS_H */
