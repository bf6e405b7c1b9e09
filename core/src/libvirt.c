/*
 * libvirt.c - the libvirt save header: what libvirt's libxl driver writes
 * in front of a bare libxl stream (`virsh save`, managed save).
 *
 * 64 bytes in the saving host's byte order (libvirt src/libxl/
 * libxl_conf.h, struct _libxlSavefileHeader; written by libxlDoDomainSave
 * and read by libxlDomainSaveImageOpen in libxl_domain.c):
 *
 *   magic[16]  "libvirt-xml\n \0 \r"
 *   version    u32: 1 = a legacy (pre-4.6) libxl stream follows, 2 = a
 *              libxl v2 stream (LIBXL_SAVE_VERSION; libvirt passes it to
 *              libxl_domain_create_restore as stream_version)
 *   xmlLen     u32: the domain XML's length including its NUL
 *   unused[10] zero (libvirt memsets the header before filling it)
 *
 * then xmlLen bytes of domain XML, then the libxl stream (no xl header).
 * libvirt itself refuses a version above its own and an xmlLen of 0; we
 * also bound xmlLen by max_record_bytes before reading it, and want the
 * XML to be one NUL-terminated string starting with '<'.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define LV_MAGIC "libvirt-xml\n \0 \r"
#define LV_MAGIC_LEN 16
#define LV_HDR_LEN 64
#define LV_UNUSED_OFF 24

bool xlsr__detect_libvirt(const uint8_t *b)
{
    return !memcmp(b, LV_MAGIC, XLSR_DETECT_BYTES);
}

static int check_header(struct xlsr_session *s, const uint8_t *h,
                        uint64_t off)
{
    if (memcmp(h, LV_MAGIC, LV_MAGIC_LEN))
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "libvirt save header: "
                          "bad magic (expected \"libvirt-xml\\n \\0 \\r\")");
    uint32_t version = xlsr__host32(h + 16), xmllen = xlsr__host32(h + 20);
    if (version != 1 && version != 2)
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 16, "libvirt save "
                          "header: version %u is not supported (1 or 2)",
                          version);
    if (xmllen == 0)
        return xlsr__serr(s, XLSR_ERR_STREAM, off + 20, "libvirt save "
                          "header: XML length is 0");
    if (xmllen > s->cfg->max_record_bytes)
        return xlsr__serr(s, XLSR_ERR_LIMIT, off + 20, "libvirt save "
                          "header: XML length %u exceeds max_record_bytes "
                          "(%llu)", xmllen,
                          (unsigned long long)s->cfg->max_record_bytes);
    for (unsigned i = LV_UNUSED_OFF; i < LV_HDR_LEN; i += 4)
        if (xlsr__host32(h + i))
            return xlsr__serr(s, XLSR_ERR_STREAM, off + i, "libvirt save "
                              "header: unused field %u is 0x%08x, not zero",
                              (i - LV_UNUSED_OFF) / 4, xlsr__host32(h + i));
    return XLSR_OK;
}

/* The XML: read as a record body is, kept, and shown to plugins. */
static int read_xml(struct xlsr_session *s, uint32_t len, uint64_t off)
{
    int rc = xlsr__read_body(s, len, off, "libvirt domain XML");
    if (rc)
        return rc;
    const char *x = (const char *)s->body;
    if (memchr(x, '\0', len) != x + len - 1)
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "libvirt domain XML "
                          "(%u bytes) is not one NUL-terminated string",
                          len);
    size_t ws = strspn(x, " \t\r\n");
    if (x[ws] != '<')
        return xlsr__serr(s, XLSR_ERR_STREAM, off + ws, "libvirt domain XML "
                          "does not start with '<'");
    free(s->lay.libvirt_xml);
    s->lay.libvirt_xml = malloc(len);
    if (!s->lay.libvirt_xml)
        return xlsr__serr(s, XLSR_ERR_NOMEM, off, "out of memory");
    memcpy(s->lay.libvirt_xml, x, len);
    if (XLSR_CTX_HAS(s->ctx, libvirt_xml_len)) {
        s->ctx->libvirt_xml = s->lay.libvirt_xml;
        s->ctx->libvirt_xml_len = len - 1;
    }
    return XLSR_OK;
}

/* Version 1: libvirt hands the payload to libxl as a legacy stream. */
static int version_1(struct xlsr_session *s)
{
    const uint8_t *b;
    uint64_t off = s->rd.offset;
    int rc = xlsr__peek(&s->rd, XLSR_DETECT_BYTES, &b);
    if (rc)
        return xlsr__short_read(s, rc, off, "legacy stream", 8);
    if (xlsr__detect_libxl(b))
        return xlsr__serr(s, XLSR_ERR_STREAM, off, "libvirt save header "
                          "version 1 announces a legacy stream, but a libxl "
                          "v2 stream follows: libvirt would hand it to libxl "
                          "as a legacy stream and the restore would fail "
                          "(set the version field, at offset 16, to 2)");
    return xlsr__legacy_refuse(s, off, b, "libvirt save header version 1");
}

int xlsr__run_libvirt(struct xlsr_session *s)
{
    uint8_t h[LV_HDR_LEN];
    uint64_t off = s->rd.offset;
    int rc = xlsr__read(&s->rd, h, sizeof(h));

    if (rc)
        return xlsr__short_read(s, rc, off, "libvirt save header",
                                sizeof(h));
    rc = check_header(s, h, off);
    if (rc)
        return rc;
    uint32_t version = xlsr__host32(h + 16), xmllen = xlsr__host32(h + 20);
    rc = read_xml(s, xmllen, off + LV_HDR_LEN);
    if (rc)
        return rc;
    xlsr__layer_push(s, XLSR_LAYER_LIBVIRT, off, "libvirt save header "
                     "(version %u, XML %u bytes)", version, xmllen);
    if (s->ctx->mode == XLSR_MODE_DUMP)
        xlsr__printf(s, "offset %llu: libvirt save header, version %u, "
                     "XML %u bytes", (unsigned long long)off, version,
                     xmllen);
    return version == 1 ? version_1(s) : xlsr__layer_run(s, XLSR_LAYER_LIBXL);
}
