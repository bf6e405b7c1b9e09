/*
 * xenopsd.c - XenServer / XCP-ng suspend images (xenopsd): the format of
 * their saved VMs, checkpoints and memory exports.
 *
 * Layout (xen-api ocaml/xenopsd/lib/suspend_image.ml, and the design note
 * doc/content/xenopsd/design/suspend-image-framing-format.md):
 *
 *   signature   15 bytes "XenSavedDomv2-\n" ("XenSavedDomain\n": the
 *               unstructured legacy format, refused here)
 *   records     u64 type, u64 length, little-endian, then length bytes;
 *               no padding.  What xenopsd writes (xenopsd/xc/domain.ml,
 *               suspend): Xenops (VM metadata, an s-expression), Libxc
 *               with length 0 and the bare libxc stream after it (no
 *               libxl layer), for UEFI guests Varstored and Swtpm blobs,
 *               for HVM guests Qemu_trad (the QEMU save file), and
 *               End_of_image with length 0.
 *
 * Each record is framed here with the libxl framer's rules (the length
 * checked against max_record_bytes before a byte of the body is read,
 * bodies read as they arrive, truncation reported with offsets) and
 * routed by the INI file: [xenopsd.NAME] sections bind a type to a
 * plugin.  Three types are handed over in libxl shape, so the shipped
 * plugins need nothing new, and fall back to the libxl binding of that
 * shape when no [xenopsd.*] section binds them:
 *
 *   Libxc         -> LIBXC_CONTEXT (empty), then the libxc stream
 *   Qemu_trad     -> EMULATOR_CONTEXT, emulator id 0 (the image does not
 *                    say which QEMU wrote it), index = its occurrence
 *   End_of_image  -> END (completes the stream)
 *
 * Xenops is kept and exposed in the restore context (xenops_sexp) like
 * the xl JSON config; a binding for it is optional.  Every other type is
 * handed over as it is (rec->layer = XLSR_LAYER_XENOPSD) and needs a
 * binding: the blob plugin for Varstored and Swtpm, or a vendor's plugin.
 * xenopsd's restore (restore_common) ignores the length of Libxc and
 * End_of_image records, and refuses Libxl and Qemu_xen: so do we.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define XO_SIG "XenSavedDomv2-\n"
#define XO_SIG_LEGACY "XenSavedDomain\n"
#define XO_SIG_LEN 15

enum shape { RAW, META, LIBXC, EMU, END, REFUSED };

static const struct xo_type {
    uint32_t type;
    const char *name;           /* as suspend_image.ml spells it */
    enum shape shape;
    const char *why;            /* REFUSED */
} types[] = {
    { XLSR_XENOPSD_XENOPS, "Xenops", META, NULL },
    { XLSR_XENOPSD_LIBXC, "Libxc", LIBXC, NULL },
    { XLSR_XENOPSD_LIBXL, "Libxl", REFUSED, "xenopsd never writes it and "
      "refuses it on restore" },
    { XLSR_XENOPSD_LIBXC_LEGACY, "Libxc_legacy", REFUSED, "a legacy (Xen "
      "4.5 or older) libxc stream follows; xenopsd converts it with "
      "convert-legacy-stream --skip-qemu, which xlsr does not run" },
    { XLSR_XENOPSD_QEMU_TRAD, "Qemu_trad", EMU, NULL },
    { XLSR_XENOPSD_QEMU_XEN, "Qemu_xen", REFUSED, "xenopsd never writes it "
      "and refuses it on restore" },
    { XLSR_XENOPSD_DEMU, "Demu", REFUSED, "the vGPU state that follows has "
      "no length and no framing xlsr can read" },
    { XLSR_XENOPSD_VARSTORED, "Varstored", RAW, NULL },
    { XLSR_XENOPSD_SWTPM0, "Swtpm0", RAW, NULL },
    { XLSR_XENOPSD_SWTPM, "Swtpm", RAW, NULL },
    { XLSR_XENOPSD_END_OF_IMAGE, "End_of_image", END, NULL },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static const struct xo_type *lookup(uint64_t type)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (types[i].type == type)
            return &types[i];
    return NULL;
}

XLSR_API const char *xlsr_xenopsd_type_name(uint32_t type)
{
    const struct xo_type *t = lookup(type);
    return t ? t->name : NULL;
}

/* Names case-insensitively, or a number; the refused types cannot be
 * bound (nothing could read what follows them). */
XLSR_API int xlsr_xenopsd_type_parse(const char *text, uint32_t *type)
{
    const struct xo_type *t = NULL;
    uint64_t v;

    for (size_t i = 0; i < NTYPES && !t; i++)
        if (!strcasecmp(text, types[i].name))
            t = &types[i];
    if (!t) {
        if (!isdigit((unsigned char)text[0]) || xlsr__parse_u64(text, &v) ||
            v > UINT32_MAX)
            return XLSR_ERR_CONFIG;
        t = lookup(v);
        if (!t) {
            *type = (uint32_t)v;    /* a vendor's own type */
            return XLSR_OK;
        }
    }
    if (t->shape == REFUSED)
        return XLSR_ERR_CONFIG;
    *type = t->type;
    return XLSR_OK;
}

bool xlsr__xenopsd_substream(uint32_t type)
{
    return type == XLSR_XENOPSD_LIBXC;
}

bool xlsr__detect_xenopsd(const uint8_t *b)
{
    return !memcmp(b, XO_SIG, XLSR_DETECT_BYTES);
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The [xenopsd.*] binding of a type, else (shaped types) the libxl one. */
static struct xlsr_binding *binding(struct xlsr_session *s,
                                    const struct xo_type *t, uint64_t type,
                                    uint32_t libxl_type)
{
    for (size_t i = 0; i < s->nbind; i++)
        if (s->bind[i].sec->layer == XLSR_LAYER_XENOPSD &&
            s->bind[i].type == type)
            return &s->bind[i];
    if (t && (t->shape == LIBXC || t->shape == EMU || t->shape == END))
        return xlsr__binding_for(s, libxl_type);
    return NULL;
}

static void name_of(const struct xo_type *t, uint64_t type, char *buf,
                    size_t len)
{
    if (t)
        snprintf(buf, len, "xenopsd record %s (0x%04llx)", t->name,
                 (unsigned long long)type);
    else
        snprintf(buf, len, "xenopsd record 0x%04llx (unknown type)",
                 (unsigned long long)type);
}

/* Xenops: xenopsd parses it with Sexplib; we want one balanced
 * s-expression of text, so that a plugin can hand it on as a string. */
static const char *check_sexp(const uint8_t *b, uint32_t len)
{
    int depth = 0;
    bool str = false, started = false;
    for (uint32_t i = 0; i < len; i++) {
        uint8_t c = b[i];
        if (c == 0)
            return "contains a NUL byte";
        if (str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                str = false;
            continue;
        }
        if (!started && c != '(' && c != ' ' && c != '\n' && c != '\t' &&
            c != '\r')
            return "does not start with '('";
        if (started && depth == 0 && c != ' ' && c != '\n' && c != '\t' &&
            c != '\r')
            return "has bytes after its closing ')'";
        if (c == '"')
            str = true;
        else if (c == '(')
            depth++, started = true;
        else if (c == ')' && --depth < 0)
            return "has an unbalanced ')'";
    }
    return depth || !started || str ? "is not a complete s-expression" : NULL;
}

static int metadata(struct xlsr_session *s, uint64_t off, uint32_t len)
{
    const char *why = check_sexp(s->body, len);
    if (why)
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "xenopsd record Xenops "
                          "(0x000f): the VM metadata %s", why);
    if (s->lay.xenops_sexp)
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "xenopsd record Xenops "
                          "(0x000f): a second one (xenopsd writes one)");
    s->lay.xenops_sexp = malloc((size_t)len + 1);
    if (!s->lay.xenops_sexp)
        return xlsr__serr(s, XLSR_ERR_NOMEM, off, "out of memory");
    memcpy(s->lay.xenops_sexp, s->body, len);
    s->lay.xenops_sexp[len] = '\0';
    if (XLSR_CTX_HAS(s->ctx, xenops_sexp_len)) {
        s->ctx->xenops_sexp = s->lay.xenops_sexp;
        s->ctx->xenops_sexp_len = len;
    }
    if (s->ctx->mode == XLSR_MODE_DUMP)
        xlsr__printf(s, "  xenops: VM metadata, %u bytes: %.60s%s", len,
                     s->lay.xenops_sexp, len > 60 ? "..." : "");
    return XLSR_OK;
}

/* Qemu_trad as EMULATOR_CONTEXT: the body moves up by the 8-byte
 * emulator header (id 0, index = occurrence); one memmove per image. */
static int emulator_shape(struct xlsr_session *s, uint32_t len,
                          uint64_t off, struct xlsr_record *rec)
{
    if ((size_t)len + 8 > s->body_cap) {
        uint8_t *b = realloc(s->body, (size_t)len + 8);
        if (!b)
            return xlsr__serr(s, XLSR_ERR_NOMEM, off, "out of memory");
        s->body = b;
        s->body_cap = (size_t)len + 8;
    }
    if (len)
        memmove(s->body + 8, s->body, len);
    memset(s->body, 0, 8);
    uint32_t index = s->lay.qemu_records++;
    for (int i = 0; i < 4; i++)
        s->body[4 + i] = (uint8_t)(index >> (8 * i));
    rec->type = XLSR_REC_EMULATOR_CONTEXT;
    rec->length = len + 8;
    rec->body = s->body;
    return XLSR_OK;
}

/* No binding: what to bind, in the section name an operator writes. */
static int unbound(struct xlsr_session *s, const struct xo_type *t,
                   uint64_t type, uint64_t off, const char *what)
{
    char sec[24];
    size_t i = 0;
    if (t)
        for (; t->name[i] && i < sizeof(sec) - 1; i++)
            sec[i] = (char)tolower((unsigned char)t->name[i]);
    sec[i] = '\0';
    if (!t)
        snprintf(sec, sizeof(sec), "0x%llx", (unsigned long long)type);
    return xlsr__serr(s, XLSR_ERR_STREAM, off, "%s: no handler configured "
                      "for it (bind one in a [xenopsd.%s] section%s)", what,
                      sec, t && t->shape == RAW ? "; the blob plugin "
                      "writes it to a file" : "");
}

/* Hands rec to b; a failure names the record the image really had. */
static int hand_over(struct xlsr_session *s, struct xlsr_binding *b,
                     const struct xlsr_record *rec, const char *what)
{
    int rc = rec->layer == XLSR_LAYER_LIBXL ? xlsr__rec_allowed(s, rec)
                                             : XLSR_OK;
    if (rc == XLSR_OK)
        rc = xlsr__dispatch_to(s, b, rec);
    if (rc < 0 && rec->layer == XLSR_LAYER_LIBXL)
        xlsr__err_relabel(s, "%s at offset %llu, handed over as %s", what,
                          (unsigned long long)rec->offset,
                          xlsr_rec_type_name(rec->type));
    else if (rc < 0)
        xlsr__err_relabel(s, "%s at offset %llu", what,
                          (unsigned long long)rec->offset);
    return rc;
}

/* Libxc and End_of_image: no body (xenopsd ignores their length, which
 * a saver cannot know up front); the libxc stream follows Libxc. */
static int no_body(struct xlsr_session *s, struct xlsr_binding *b,
                   const struct xo_type *t, uint64_t len64,
                   struct xlsr_record *rec, const char *what)
{
    if (len64)
        xlsr__logf(s, XLSR_LOG_WARN, "offset %llu: %s: length %llu "
                   "ignored, as xenopsd does",
                   (unsigned long long)rec->offset, what,
                   (unsigned long long)len64);
    rec->type = t->shape == LIBXC ? XLSR_REC_LIBXC_CONTEXT : XLSR_REC_END;
    int rc = hand_over(s, b, rec, what);
    return t->shape == END && rc >= 0 ? XLSR_STOP : rc;
}

/* Every other record: the body, capped before it is read, then kept
 * (Xenops) and handed over as it is or in libxl shape (Qemu_trad). */
static int with_body(struct xlsr_session *s, struct xlsr_binding *b,
                     const struct xo_type *t, uint64_t type, uint64_t len64,
                     struct xlsr_record *rec, const char *what)
{
    char body_what[128];
    int rc;

    if (len64 > s->cfg->max_record_bytes || len64 > UINT32_MAX - 8)
        return xlsr__serr(s, XLSR_ERR_LIMIT, rec->offset, "%s: body length "
                          "%llu exceeds max_record_bytes (%llu)", what,
                          (unsigned long long)len64,
                          (unsigned long long)s->cfg->max_record_bytes);
    uint32_t len = (uint32_t)len64;
    snprintf(body_what, sizeof(body_what), "%s body", what);
    if (len && (rc = xlsr__read_body(s, len, rec->offset, body_what)))
        return rc;
    if (t && t->shape == META && (rc = metadata(s, rec->offset, len)))
        return rc;
    if (!b)
        return XLSR_OK;                 /* Xenops, unbound */
    if (t && t->shape == EMU) {
        rc = emulator_shape(s, len, rec->offset, rec);
        if (rc)
            return rc;
    } else {
        rec->type = (uint32_t)type;
        rec->length = len;
        rec->body = len ? s->body : NULL;
        rec->layer = XLSR_LAYER_XENOPSD;
    }
    return hand_over(s, b, rec, what);
}

/* One record: framed, then routed.  XLSR_OK to go on, XLSR_STOP at the
 * end of the image, or an error. */
static int one_record(struct xlsr_session *s)
{
    uint8_t h[16];
    uint64_t off = s->rd.offset;
    char what[96];
    int rc;

    s->err->have_type = false;
    xlsr__progress(s);
    rc = xlsr__read(&s->rd, h, sizeof(h));
    if (rc == XLSR_ERR_EOF && s->rd.got == 0)
        return xlsr__serr(s, XLSR_ERR_EOF, off, "xenopsd suspend image "
                          "ended without End_of_image");
    if (rc)
        return xlsr__short_read(s, rc, off, "xenopsd record header", 16);
    uint64_t type = le64(h), len64 = le64(h + 8);
    const struct xo_type *t = lookup(type);
    name_of(t, type, what, sizeof(what));
    s->res->records++;
    if (s->ctx->mode == XLSR_MODE_DUMP)
        xlsr__printf(s, "offset %llu: %s, length %llu",
                     (unsigned long long)off, what,
                     (unsigned long long)len64);
    if (t && t->shape == REFUSED)
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "%s: %s", what, t->why);

    struct xlsr_record rec = { .offset = off, .layer = XLSR_LAYER_LIBXL };
    uint32_t shaped = !t ? 0 : t->shape == LIBXC ? XLSR_REC_LIBXC_CONTEXT
                             : t->shape == EMU ? XLSR_REC_EMULATOR_CONTEXT
                             : XLSR_REC_END;
    struct xlsr_binding *b = type > UINT32_MAX ? NULL
                                               : binding(s, t, type, shaped);
    if (!b && !(t && t->shape == META))
        return unbound(s, t, type, off, what);
    if (t && (t->shape == LIBXC || t->shape == END))
        return no_body(s, b, t, len64, &rec, what);
    return with_body(s, b, t, type, len64, &rec, what);
}

int xlsr__run_xenopsd(struct xlsr_session *s)
{
    uint8_t sig[XO_SIG_LEN];
    uint64_t off = s->rd.offset;
    int rc = xlsr__read(&s->rd, sig, sizeof(sig));

    if (rc)
        return xlsr__short_read(s, rc, off, "xenopsd signature",
                                sizeof(sig));
    if (!memcmp(sig, XO_SIG_LEGACY, XO_SIG_LEN))
        return xlsr__legacy_refuse(s, s->rd.offset, NULL, "xenopsd legacy "
                                   "suspend image (\"XenSavedDomain\"), "
                                   "whose QEMU record follows the stream");
    if (memcmp(sig, XO_SIG, XO_SIG_LEN))
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "xenopsd suspend image: "
                          "bad signature (expected \"XenSavedDomv2-\\n\")");
    xlsr__layer_push(s, XLSR_LAYER_XENOPSD, off, "xenopsd suspend image");
    if (s->ctx->mode == XLSR_MODE_DUMP)
        xlsr__printf(s, "offset %llu: xenopsd suspend image, signature "
                     "XenSavedDomv2-", (unsigned long long)off);
    /* The image's records are the NORMAL phase of machine.c: those handed
     * over in libxl shape obey libxl's record rules there. */
    xlsr__enter(s, XLSR__S_NORMAL);
    do
        rc = one_record(s);
    while (rc == XLSR_OK);
    return rc;
}
