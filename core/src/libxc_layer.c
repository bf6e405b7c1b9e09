/*
 * libxc_layer.c - libxc streams as a layer: a bare libxc stream (what
 * xc_domain_save() writes, and what follows a xenopsd Libxc record) goes
 * to the LIBXC_CONTEXT binding exactly as the inline stream after a libxl
 * LIBXC_CONTEXT record does, so every LIBXC_CONTEXT consumer (verify,
 * restore through libxenguest, export) works on it unchanged.  Also the
 * line that describes a libxc layer, and legacy (pre-v2) images, which
 * are recognised and refused with the way to convert them.
 *
 * Sources: docs/specs/libxc-migration-stream.pandoc (image and domain
 * headers; "Legacy Images (x86 only)": octets 4-7 tell a 64-bit toolstack
 * (zero: the top of p2m_size) from a 32-bit one (0xFFFFFFFF extended-info
 * marker of a PV image; a chunk type < 0 or a page count > 0 in an HVM
 * image)); tools/python/scripts/convert-legacy-stream (its options, and
 * what it writes: libxl options LEGACY, libxc Xen version 0.N, emulator
 * id 0 for the records it makes up).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define LEGACY_MAX_BATCH 1024           /* xc_domain_save's MAX_BATCH_SIZE */
#define LEGACY_MIN_CHUNK (-20)          /* XC_SAVE_ID_* down to -20 */
#define CONVERTER "PYTHONPATH=/usr/lib/xen-4.17/lib/python " \
                  "/usr/lib/xen-4.17/bin/convert-legacy-stream"

bool xlsr__detect_libxc(const uint8_t *b)
{
    static const uint8_t marker[8] = { 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff };
    return !memcmp(b, marker, sizeof(marker));
}

/* 0 not legacy, else the toolstack width; *pv: 1 PV, 0 HVM, -1 unsure. */
static int legacy_kind(const uint8_t *b, size_t n, int *pv)
{
    uint32_t p2m = xlsr__le32(b), hi = xlsr__le32(b + 4);
    int32_t chunk = (int32_t)hi;

    *pv = -1;
    if (p2m == 0)
        return 0;
    if (hi == 0) {                  /* 64-bit: p2m_size < 2^32 */
        if (n >= 16)                /* then ~0UL (PV extended info) */
            *pv = xlsr__le32(b + 8) == UINT32_MAX &&
                  xlsr__le32(b + 12) == UINT32_MAX;
        return 64;
    }
    if (hi == UINT32_MAX) {         /* 32-bit PV: extended-info marker */
        *pv = 1;
        return 32;
    }
    if ((chunk < 0 && chunk >= LEGACY_MIN_CHUNK) ||
        (chunk > 0 && chunk <= LEGACY_MAX_BATCH)) {
        *pv = 0;                    /* 32-bit HVM: chunk type or count */
        return 32;
    }
    return 0;
}

bool xlsr__detect_legacy(const uint8_t *b)
{
    int pv;
    return legacy_kind(b, XLSR_DETECT_BYTES, &pv) != 0;
}

int xlsr__legacy_refuse(struct xlsr_session *s, uint64_t off,
                        const uint8_t *b, const char *where)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    int pv = -1, width = 0;

    if (xlsr__peek(&s->rd, 16, &p) == XLSR_OK)
        n = 16;
    else if (xlsr__peek(&s->rd, XLSR_DETECT_BYTES, &p) == XLSR_OK)
        n = XLSR_DETECT_BYTES;
    else if (b)
        p = b, n = XLSR_DETECT_BYTES;
    if (n)
        width = legacy_kind(p, n, &pv);
    xlsr__layer_push(s, XLSR_LAYER_LEGACY, off, "legacy libxc stream%s%s",
                     width == 64 ? " (64-bit toolstack)"
                                 : width == 32 ? " (32-bit toolstack)" : "",
                     pv == 1 ? ", PV" : pv == 0 ? ", HVM" : "");
    bool xl = where && !strncmp(where, "xl", 2);
    char wbuf[24] = "-w 32|64";
    if (width)
        snprintf(wbuf, sizeof(wbuf), "-w %d", width);
    return xlsr__serr(s, XLSR_ERR_STREAM, off, "%s%slegacy (Xen 4.5 or "
                      "older) save image%s%s, which xlsr does not read: "
                      "convert it to a v2 stream with Xen's converter, "
                      "then verify the result: %s -i IN -o OUT %s -g %s "
                      "-f libxl%s%s", where ? where : "", where ? ": " : "",
                      width == 64 ? ", 64-bit toolstack"
                                  : width == 32 ? ", 32-bit toolstack" : "",
                      pv == 1 ? ", PV guest" : pv == 0 ? ", HVM guest" : "",
                      CONVERTER, wbuf,
                      pv == 1 ? "pv" : pv == 0 ? "hvm" : "pv|hvm",
                      xl ? " -x" : "",
                      off && !xl ? " (the legacy stream starts at this "
                                   "offset: feed it the bytes from here)"
                                 : "");
}

int xlsr__run_legacy(struct xlsr_session *s)
{
    return xlsr__legacy_refuse(s, s->rd.offset, NULL, NULL);
}

static const char *guest_name(uint32_t type)
{
    static const char *const names[] = { "reserved", "x86 PV", "x86 HVM",
                                         "x86 PVH", "ARM" };
    return type < sizeof(names) / sizeof(*names) ? names[type]
                                                 : "unknown guest";
}

void xlsr__libxc_describe(struct xlsr_session *s)
{
    const uint8_t *b;
    uint64_t off = s->rd.offset;

    for (size_t i = 0; i < s->lay.n; i++)
        if (s->lay.stack[i].layer == XLSR_LAYER_LIBXC)
            return;
    /* An exact-mode peek would leave bytes the fd hand-over refuses. */
    if (!s->rd.buf) {
        xlsr__layer_push(s, XLSR_LAYER_LIBXC, off, "libxc");
        return;
    }
    if (xlsr__peek(&s->rd, 40, &b)) {
        xlsr__layer_push(s, XLSR_LAYER_LIBXC, off, "libxc (truncated "
                         "header)");
        return;
    }
    if (!xlsr__detect_libxc(b) || xlsr__be32(b + 8) != 0x58454E46u) {
        xlsr__layer_push(s, XLSR_LAYER_LIBXC, off, "libxc (bad image "
                         "header)");
        return;
    }
    xlsr__layer_push(s, XLSR_LAYER_LIBXC, off, "libxc v%u %s%s",
                     xlsr__be32(b + 12), guest_name(xlsr__le32(b + 24)),
                     xlsr__le32(b + 32) == 0 ? " (converted from legacy)" : "");
}

int xlsr__libxc_dispatch(struct xlsr_session *s, struct xlsr_binding *b,
                         const struct xlsr_record *rec)
{
    int rc = xlsr__dispatch_to(s, b, rec);
    /* The libxc stream was the last thing on this layer's fd. */
    return rc == XLSR_OK ? XLSR_STOP : rc;
}

/* Exact mode: the bytes detection peeked cannot go to libxenguest; a
 * file can be put back where the stream began, a pipe cannot. */
static int unpeek(struct xlsr_session *s)
{
    struct xlsr_reader *r = &s->rd;
    struct stat st;
    size_t n = r->pblen - r->pbpos;

    if (!n)
        return XLSR_OK;
    if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode) &&
        lseek(r->fd, -(off_t)n, SEEK_CUR) >= 0) {
        r->pblen = r->pbpos = 0;
        return XLSR_OK;
    }
    return xlsr__serr(s, XLSR_ERR_STREAM, 0, "bare libxc stream on a pipe: "
                      "the %zu bytes read to detect it cannot be handed to "
                      "libxenguest; restore it with --format libxc", n);
}

int xlsr__run_libxc(struct xlsr_session *s)
{
    struct xlsr_record rec = { .type = XLSR_REC_LIBXC_CONTEXT,
                               .offset = s->rd.offset,
                               .layer = XLSR_LAYER_LIBXL };
    struct xlsr_binding *b = xlsr__binding_for(s, XLSR_REC_LIBXC_CONTEXT);
    int rc;

    s->lay.bare_libxc = true;
    if (!b)
        return xlsr__serr(s, XLSR_ERR_STREAM, rec.offset, "bare libxc "
                          "stream: no handler configured for it (it goes "
                          "to the [record.libxc_context] binding)");
    if (s->ctx->mode == XLSR_MODE_DUMP)
        xlsr__printf(s, "offset %llu: bare libxc stream (no libxl layer), "
                     "handed to [%s]", (unsigned long long)rec.offset,
                     b->sec->name);
    rc = unpeek(s);
    if (!rc) {
        /* Its one record is processed as libxl's NORMAL phase would
         * (machine.c): the headers are behind us. */
        xlsr__enter(s, XLSR__S_NORMAL);
        rc = xlsr__libxc_dispatch(s, b, &rec);
    }
    if (rc < 0)
        xlsr__err_relabel(s, "bare libxc stream");
    return rc;
}
