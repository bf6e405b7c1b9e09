/*
 * layers.c - which container a stream arrives in, and the stack of layers
 * a run found.
 *
 * Detection reads the first 8 bytes with xlsr__peek: nothing is consumed
 * and nothing is sought, so a pipe or socket works like a file, and each
 * layer then reads its own header from offset 0.  Every layer starts with
 * a fixed magic except legacy images (libxc spec, "Legacy Images": octets
 * 4-7 tell them apart); the table is tried in order and the first match
 * wins.  Nothing matching: the stream is read as bare libxl, whose ident
 * check says what was found.  --format skips detection and reads the
 * forced layer (whose own magic check then names what is wrong).
 *
 *   xl        "Xen saved domain, xl format\n \0 \r"   xlhdr.c
 *   libvirt   "libvirt-xml\n \0 \r"                   libvirt.c
 *   xenopsd   "XenSavedDomv2-\n" (legacy: "XenSavedDomain\n")  xenopsd.c
 *   libxl     "LibxlFmt"                              xlhdr.c
 *   libxc     marker 0xFFFFFFFFFFFFFFFF               libxc_layer.c
 *   legacy    heuristics on octets 0-7                libxc_layer.c
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct xlsr__layer_kind kinds[] = {
    { XLSR_LAYER_XL, "xl", XLSR_FORMAT_XL, "xl save header",
      xlsr__detect_xl, xlsr__run_xl },
    { XLSR_LAYER_LIBVIRT, "libvirt", XLSR_FORMAT_LIBVIRT,
      "libvirt save header", xlsr__detect_libvirt, xlsr__run_libvirt },
    { XLSR_LAYER_XENOPSD, "xenopsd", XLSR_FORMAT_XENOPSD,
      "xenopsd suspend image signature", xlsr__detect_xenopsd,
      xlsr__run_xenopsd },
    { XLSR_LAYER_LIBXL, "libxl", XLSR_FORMAT_LIBXL, "libxl header",
      xlsr__detect_libxl, xlsr__run_libxl },
    { XLSR_LAYER_LIBXC, "libxc", XLSR_FORMAT_LIBXC, "libxc image header",
      xlsr__detect_libxc, xlsr__run_libxc },
    { XLSR_LAYER_LEGACY, NULL, XLSR_FORMAT_AUTO, "legacy libxc stream",
      xlsr__detect_legacy, xlsr__run_legacy },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Leading bytes of each magic, to name a stream too short to detect. */
static const struct {
    const char *magic;          /* at least XLSR_DETECT_BYTES long */
    const char *what;
    size_t header;
} prefixes[] = {
    { "Xen saved domain, xl format\n \0 \r", "xl save header", 48 },
    { "libvirt-xml\n \0 \r", "libvirt save header", 64 },
    { "XenSavedDom", "xenopsd signature", 15 },
    { "LibxlFmt", "libxl header", 16 },
    { "\xff\xff\xff\xff\xff\xff\xff\xff", "libxc image header", 24 },
};

static const char *const layer_names[] = {
    [XLSR_LAYER_LIBXL] = "libxl", [XLSR_LAYER_XL] = "xl",
    [XLSR_LAYER_LIBVIRT] = "libvirt", [XLSR_LAYER_XENOPSD] = "xenopsd",
    [XLSR_LAYER_LIBXC] = "libxc", [XLSR_LAYER_LEGACY] = "legacy",
};

XLSR_API const char *xlsr_layer_name(enum xlsr_layer layer)
{
    return (unsigned)layer < sizeof(layer_names) / sizeof(*layer_names)
               ? layer_names[layer] : "unknown";
}

XLSR_API int xlsr_format_parse(const char *text, enum xlsr_format *out)
{
    if (!strcmp(text, "auto")) {
        *out = XLSR_FORMAT_AUTO;
        return XLSR_OK;
    }
    for (size_t i = 0; i < NKINDS; i++) {
        if (kinds[i].format && !strcmp(text, kinds[i].format)) {
            *out = kinds[i].forced;
            return XLSR_OK;
        }
    }
    return XLSR_ERR_CONFIG;
}

void xlsr__layer_push(struct xlsr_session *s, enum xlsr_layer layer,
                      uint64_t offset, const char *fmt, ...)
{
    struct xlsr__layers *l = &s->lay;
    if (l->n == XLSR_MAX_LAYERS)
        return;         /* a stack is 3 deep at most: never reached */
    struct xlsr_layer_info *e = &l->stack[l->n++];
    va_list ap;
    e->layer = layer;
    e->offset = offset;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
}

void xlsr__layers_free(struct xlsr_session *s)
{
    free(s->lay.libvirt_xml);
    free(s->lay.xenops_sexp);
    s->lay.libvirt_xml = s->lay.xenops_sexp = NULL;
}

int xlsr__layer_run(struct xlsr_session *s, enum xlsr_layer layer)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i].layer == layer)
            return kinds[i].run(s);
    return xlsr__fail(s->err, XLSR_ERR_STREAM, "no such layer %d", layer);
}

/* Fewer than 8 bytes: say which header they begin, if any. */
static int too_short(struct xlsr_session *s, const uint8_t *b, size_t n)
{
    if (n == 0)
        return xlsr__serr(s, XLSR_ERR_EOF, 0, "empty stream");
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
        if (!memcmp(b, prefixes[i].magic, n))
            return xlsr__serr(s, XLSR_ERR_EOF, 0, "truncated %s: stream "
                              "ended after %zu of %zu bytes",
                              prefixes[i].what, n, prefixes[i].header);
    return xlsr__serr(s, XLSR_ERR_EOF, 0, "stream of %zu bytes: too short "
                      "for any save image header", n);
}

/* The kind a stream's first bytes announce, or NULL. */
static const struct xlsr__layer_kind *detect(const uint8_t *b)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i].detect(b))
            return &kinds[i];
    return NULL;
}

/* --format: that layer or an error saying what is there instead.  A
 * forced libxc stream is not peeked at (restore can then hand a pipe to
 * libxenguest untouched). */
static int forced(struct xlsr_session *s)
{
    const struct xlsr__layer_kind *k = NULL, *seen;
    const uint8_t *b;

    for (size_t i = 0; i < NKINDS && !k; i++)
        if (kinds[i].format && kinds[i].forced == s->opts.format)
            k = &kinds[i];
    if (!k)
        return xlsr__fail(s->err, XLSR_ERR_CONFIG, "unknown format %d",
                          s->opts.format);
    if (k->layer == XLSR_LAYER_LIBXC ||
        xlsr__peek(&s->rd, XLSR_DETECT_BYTES, &b) || k->detect(b))
        return k->run(s);       /* a short stream: its header read says */
    seen = detect(b);
    return xlsr__serr(s, XLSR_ERR_STREAM, 0, "no %s (format %s was "
                      "requested); the stream starts %s%s", k->what,
                      k->format, seen ? "with " : "like no known layer",
                      seen ? seen->what : "");
}

int xlsr__layers_read(struct xlsr_session *s)
{
    const struct xlsr__layer_kind *k;
    const uint8_t *b;
    int rc;

    if (s->opts.format != XLSR_FORMAT_AUTO)
        return forced(s);
    rc = xlsr__peek(&s->rd, XLSR_DETECT_BYTES, &b);
    if (rc == XLSR_ERR_EOF) {
        uint8_t got[XLSR_DETECT_BYTES];
        size_t n = s->rd.got;
        if (n)
            memcpy(got, s->rd.buf ? s->rd.buf + s->rd.pos
                                  : s->rd.pb + s->rd.pbpos, n);
        return too_short(s, got, n);
    }
    if (rc)
        return xlsr__short_read(s, rc, 0, "stream header", 16);
    k = detect(b);
    return k ? k->run(s) : xlsr__run_libxl(s);  /* its ident check says
                                                   what is wrong */
}

bool xlsr__binding_substream(const struct xlsr_binding *b)
{
    return b->sec->layer == XLSR_LAYER_XENOPSD
               ? xlsr__xenopsd_substream(b->type)
               : xlsr__carries_substream(b->type);
}

int xlsr__layers_libxl_ok(struct xlsr_session *s, const char *what)
{
    if (!s->lay.bare_libxc)
        return XLSR_OK;
    snprintf(s->reason, sizeof(s->reason), "%s: this libxc stream has no "
             "libxl stream around it to hand a checkpoint back to (a bare "
             "libxc stream cannot be checkpointed)", what);
    s->reason_set = true;
    return XLSR_ERR_STREAM;
}

XLSR_API size_t xlsr_session_layers(const struct xlsr_session *s,
                                    const struct xlsr_layer_info **out)
{
    *out = s->lay.stack;
    return s->lay.n;
}

XLSR_API void xlsr_session_layer_line(const struct xlsr_session *s,
                                      char *buf, size_t len)
{
    size_t n = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < s->lay.n && n < len; i++) {
        int r = snprintf(buf + n, len - n, "%s%s", i ? " \xe2\x86\x92 " : "",
                         s->lay.stack[i].text);
        if (r < 0)
            break;
        n += (size_t)r;
    }
}

void xlsr__err_relabel(struct xlsr_session *s, const char *fmt, ...)
{
    char what[200], reason[sizeof(s->err->reason)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    s->err->have_type = false;
    memcpy(reason, s->err->reason, sizeof(reason));
    snprintf(s->err->reason, sizeof(s->err->reason), "%s: %.*s", what,
             (int)(sizeof(reason) - sizeof(what) - 3), reason);
}
