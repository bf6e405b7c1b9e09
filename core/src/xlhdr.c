/*
 * xlhdr.c - the two headers of what `xl save` writes: the xl save file
 * header (optional; its JSON domain configuration is kept for plugins)
 * and the libxl v2 stream header, after which stream.c frames records.
 *
 * Sources: tools/xl/xl_saverestore.c (save_domain_core_begin and the
 * header struct in xl.h) for the xl header; docs/specs/libxl-migration-
 * stream.pandoc and tools/libs/light/libxl_stream_read.c
 * (stream_header_done) for the libxl header.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define XL_MAGIC "Xen saved domain, xl format\n \0 \r"
#define XL_MAGIC_LEN 32
#define XL_HDR_LEN (XL_MAGIC_LEN + 16)
#define XL_BYTEORDER 0x01020304u
#define XL_MAND_JSON 0x1u
#define XL_MAND_LIBXL_V2 0x2u
#define XL_MAND_KNOWN (XL_MAND_JSON | XL_MAND_LIBXL_V2)
#define XL_OPT_KNOWN 0x0u

#define LIBXL_IDENT 0x4c6962786c466d74ull      /* "LibxlFmt" */
#define LIBXL_VERSION 2u
#define LIBXL_OPT_BIG_ENDIAN 0x1u
#define LIBXL_OPT_LEGACY 0x2u

bool xlsr__detect_xl(const uint8_t *b)
{
    return !memcmp(b, XL_MAGIC, XLSR_DETECT_BYTES);
}

bool xlsr__detect_libxl(const uint8_t *b)
{
    return !memcmp(b, "LibxlFmt", XLSR_DETECT_BYTES);
}

/* Optional data: chunks of u32 length + bytes; the first is the domain
 * configuration, read like a record body and kept once all there. */
static int read_xl_config(struct xlsr_session *s, uint32_t mand,
                          uint32_t optlen, uint32_t *cfglen)
{
    uint64_t base = s->rd.offset;       /* 48 after an xl header at 0 */
    uint8_t lenb[4];
    uint64_t left = optlen;
    int rc;

    if (optlen < 4)
        return xlsr__serr(s, XLSR_ERR_STREAM, base - 4, "xl header optional "
                          "data of %u bytes is too short for its length "
                          "field", optlen);
    rc = xlsr__read(&s->rd, lenb, 4);
    if (rc)
        return xlsr__short_read(s, rc, base, "xl header optional data",
                                optlen);
    *cfglen = xlsr__host32(lenb);
    left -= 4;
    if (*cfglen > left)
        return xlsr__serr(s, XLSR_ERR_STREAM, base, "xl config length %u "
                          "exceeds the optional data (%llu bytes left)",
                          *cfglen, (unsigned long long)left);
    rc = xlsr__read_body(s, *cfglen, base + 4, "xl config");
    if (rc)
        return rc;
    s->xl_config = malloc((size_t)*cfglen + 1);
    if (!s->xl_config)
        return xlsr__serr(s, XLSR_ERR_NOMEM, base + 4, "out of memory");
    if (*cfglen)
        memcpy(s->xl_config, s->body, *cfglen);
    s->xl_config[*cfglen] = '\0';
    left -= *cfglen;
    if ((mand & XL_MAND_JSON) && *cfglen &&
        memchr(s->xl_config, '\0', *cfglen) != s->xl_config + *cfglen - 1)
        return xlsr__serr(s, XLSR_ERR_STREAM, base + 4, "xl JSON config is "
                          "not one NUL-terminated string");
    rc = xlsr__skip(&s->rd, left);
    if (rc)
        return xlsr__short_read(s, rc, base + 4 + *cfglen,
                                "xl header optional data", left);
    s->ctx->xl_config = s->xl_config;
    s->ctx->xl_config_len = *cfglen ? *cfglen - 1 : 0;
    if ((mand & XL_MAND_JSON) && *cfglen)
        xlsr__guest_from_config(s, s->xl_config);   /* machine.c's rules */
    return XLSR_OK;
}

int xlsr__run_xl(struct xlsr_session *s)
{
    uint8_t h[XL_HDR_LEN];
    uint64_t off = s->rd.offset;
    uint32_t cfglen = 0;
    int rc = xlsr__read(&s->rd, h, sizeof(h));

    if (rc)
        return xlsr__short_read(s, rc, off, "xl save header", sizeof(h));
    if (memcmp(h, XL_MAGIC, XL_MAGIC_LEN))
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "bad xl save header "
                          "magic");
    uint32_t order = xlsr__host32(h + 32);
    if (order != XL_BYTEORDER)
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 32, "xl header byte-order "
                          "marker 0x%08x: saved on a host of the other byte "
                          "order (unsupported)", order);
    uint32_t mand = xlsr__host32(h + 36), opt = xlsr__host32(h + 40);
    uint32_t optlen = xlsr__host32(h + 44);
    s->res->xl_header = true;
    s->res->xl_mandatory_flags = mand;
    s->res->xl_optional_flags = opt;
    if (mand & ~XL_MAND_KNOWN)
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 36, "xl header has "
                          "unknown mandatory flags 0x%x: refusing the file",
                          mand & ~XL_MAND_KNOWN);
    if (opt & ~XL_OPT_KNOWN)
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 40, "xl header has "
                          "unknown optional flags 0x%x: refusing the file",
                          opt & ~XL_OPT_KNOWN);
    if (optlen > s->cfg->max_record_bytes)
        return xlsr__serr(s, XLSR_ERR_LIMIT, off + 44, "xl header optional "
                          "data of %u bytes exceeds max_record_bytes (%llu)",
                          optlen,
                          (unsigned long long)s->cfg->max_record_bytes);
    if (optlen && (rc = read_xl_config(s, mand, optlen, &cfglen)))
        return rc;
    xlsr__layer_push(s, XLSR_LAYER_XL, off, "xl save header (%s config "
                     "%u bytes)", mand & XL_MAND_JSON ? "JSON" : "sxp",
                     cfglen);
    if (s->ctx->mode == XLSR_MODE_DUMP && s->opts.dump) {
        struct xlsr_dump_item it = {
            .kind = XLSR_DUMP_XL_HEADER, .offset = off,
            .xl_mandatory_flags = mand, .xl_optional_flags = opt,
            .xl_optional_bytes = optlen, .xl_config_bytes = cfglen,
        };
        s->opts.dump(s->opts.opaque, &it);
    } else if (s->ctx->mode == XLSR_MODE_DUMP)
        xlsr__printf(s, "offset %llu: xl header, mandatory flags 0x%x, "
                     "optional flags 0x%x, optional data %u bytes, config "
                     "%u bytes", (unsigned long long)off, mand, opt, optlen,
                     cfglen);
    /* Without the v2 flag the payload is a legacy libxc stream (xl's
     * restore hands it to libxl as stream_version 1, which converts it). */
    if (!(mand & XL_MAND_LIBXL_V2))
        return xlsr__legacy_refuse(s, s->rd.offset, NULL, "xl save header "
                                   "without the libxl v2 flag");
    return xlsr__layer_run(s, XLSR_LAYER_LIBXL);
}

int xlsr__run_libxl(struct xlsr_session *s)
{
    uint8_t h[16];
    uint64_t off = s->rd.offset;
    int rc = xlsr__read(&s->rd, h, sizeof(h));

    if (rc)
        return xlsr__short_read(s, rc, off, "libxl header", sizeof(h));
    uint64_t ident = (uint64_t)xlsr__be32(h) << 32 | xlsr__be32(h + 4);
    uint32_t version = xlsr__be32(h + 8), options = xlsr__be32(h + 12);
    /* At offset 0 either magic may have been meant: name the nearer one,
     * so that a damaged xl header is not reported as a libxl mismatch. */
    unsigned near_xl = 0, near_libxl = 0;
    bool first = off == 0 && !s->lay.n;
    for (int i = 0; first && i < 8; i++) {
        near_xl += h[i] == (uint8_t)XL_MAGIC[i];
        near_libxl += h[i] == (uint8_t)"LibxlFmt"[i];
    }
    if (ident != LIBXL_IDENT && first && near_xl && near_xl >= near_libxl &&
        s->opts.format == XLSR_FORMAT_AUTO)
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "damaged xl save header: "
                          "the first 8 bytes are 0x%016llx; an xl save image "
                          "starts with \"Xen saved domain, xl format\", a "
                          "bare libxl stream with \"LibxlFmt\"",
                          (unsigned long long)ident);
    if (ident != LIBXL_IDENT)
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "not a libxl migration "
                          "stream: ident 0x%016llx, expected 0x%016llx "
                          "(\"LibxlFmt\")%s", (unsigned long long)ident,
                          LIBXL_IDENT, s->lay.n ? "" : "; nor does it start "
                          "like an xl, libvirt, xenopsd, libxc or legacy "
                          "image");
    if (version != LIBXL_VERSION)
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 8, "libxl stream "
                          "version %u is not supported (only version 2)",
                          version);
    s->res->libxl_options = options;
    if (options & ~(LIBXL_OPT_BIG_ENDIAN | LIBXL_OPT_LEGACY))
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 12, "reserved libxl "
                          "option bits set: 0x%x", options);
    if (options & LIBXL_OPT_BIG_ENDIAN)
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 12, "big-endian libxl "
                          "streams are not supported (options 0x%x)",
                          options);
    xlsr__layer_push(s, XLSR_LAYER_LIBXL, off, "libxl v2%s",
                     options & LIBXL_OPT_LEGACY
                         ? " (converted from legacy)" : "");
    if (s->ctx->mode == XLSR_MODE_DUMP && s->opts.dump) {
        struct xlsr_dump_item it = {
            .kind = XLSR_DUMP_LIBXL_HEADER, .offset = off,
            .libxl_version = version, .libxl_options = options,
        };
        s->opts.dump(s->opts.opaque, &it);
    } else if (s->ctx->mode == XLSR_MODE_DUMP)
        xlsr__printf(s, "offset %llu: libxl header, version %u, options "
                     "0x%x%s", (unsigned long long)off, version, options,
                     options & LIBXL_OPT_LEGACY ? " (converted from legacy)"
                                                : "");
    return XLSR_OK;
}
