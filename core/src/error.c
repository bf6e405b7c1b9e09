/*
 * error.c - error records, their one-line rendering, record type names
 * and the small value parsers shared by configuration and CLI.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* The record types of the libxl v2 spec, indexed by type. */
static const struct {
    const char *name;
    bool substream;     /* an inline stream follows on the same fd */
} rec_types[] = {
    { "END", false },
    { "LIBXC_CONTEXT", true },
    { "EMULATOR_XENSTORE_DATA", false },
    { "EMULATOR_CONTEXT", false },
    { "CHECKPOINT_END", false },
    { "CHECKPOINT_STATE", false },
};
#define NREC_NAMES (sizeof(rec_types) / sizeof(rec_types[0]))

bool xlsr__carries_substream(uint32_t type)
{
    return type < NREC_NAMES && rec_types[type].substream;
}

static const struct {
    int rc;
    const char *text;
} rc_texts[] = {
    { XLSR_OK, "success" },
    { XLSR_DECLINE, "declined" },
    { XLSR_STOP, "stream complete" },
    { XLSR_ERR_STREAM, "stream error" },
    { XLSR_ERR_IO, "I/O error" },
    { XLSR_ERR_EOF, "truncated stream" },
    { XLSR_ERR_CONFIG, "configuration error" },
    { XLSR_ERR_HANDLER, "handler error" },
    { XLSR_ERR_NOMEM, "out of memory" },
    { XLSR_ERR_LIMIT, "limit exceeded" },
};

XLSR_API const char *xlsr_strerror(int rc)
{
    for (size_t i = 0; i < sizeof(rc_texts) / sizeof(rc_texts[0]); i++)
        if (rc_texts[i].rc == rc)
            return rc_texts[i].text;
    return "unknown error";
}

XLSR_API const char *xlsr_rec_type_name(uint32_t type)
{
    return type < NREC_NAMES ? rec_types[type].name : NULL;
}

XLSR_API int xlsr_rec_type_parse(const char *text, uint32_t *type)
{
    for (size_t i = 0; i < NREC_NAMES; i++) {
        if (!strcasecmp(text, rec_types[i].name)) {
            *type = (uint32_t)i;
            return XLSR_OK;
        }
    }
    uint64_t v;
    if (xlsr__parse_u64(text, &v) || v > UINT32_MAX ||
        !isdigit((unsigned char)text[0]))
        return XLSR_ERR_CONFIG;
    *type = (uint32_t)v;
    return XLSR_OK;
}

XLSR_API int xlsr_exit_status(int rc)
{
    if (rc >= 0)
        return 0;
    return rc == XLSR_ERR_CONFIG ? 2 : 1;
}

XLSR_API void xlsr_error_format(const struct xlsr_error *err, char *buf,
                                size_t len)
{
    size_t n = 0;
#define PUT(...)                                                        \
    do {                                                                \
        if (n < len)                                                    \
            n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);       \
    } while (0)
    if (len)
        buf[0] = '\0';
    if (err->where[0])
        PUT("%s: ", err->where);
    if (err->have_offset)
        PUT("offset %llu (0x%llx): ", (unsigned long long)err->offset,
            (unsigned long long)err->offset);
    if (err->have_type) {
        const char *name = xlsr_rec_type_name(err->type);
        if (name)
            PUT("record %s (0x%x): ", name, err->type);
        else
            PUT("record 0x%x (%s): ", err->type,
                err->type >= XLSR_REC_OPTIONAL_MIN ? "optional"
                                                   : "unknown mandatory");
    }
    if (err->handler[0])
        PUT("handler %s: ", err->handler);
    PUT("%s", err->reason[0] ? err->reason : xlsr_strerror(err->rc));
#undef PUT
}

void xlsr__err_clear(struct xlsr_error *err)
{
    memset(err, 0, sizeof(*err));
    err->size = sizeof(*err);
}

int xlsr__vfail(struct xlsr_error *err, int rc, const char *fmt, va_list ap)
{
    if (err) {
        err->rc = rc;
        vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
    }
    return rc;
}

int xlsr__fail(struct xlsr_error *err, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xlsr__vfail(err, rc, fmt, ap);
    va_end(ap);
    return rc;
}

void xlsr__err_at(struct xlsr_error *err, uint64_t offset)
{
    if (err) {
        err->have_offset = true;
        err->offset = offset;
    }
}

void xlsr__err_type(struct xlsr_error *err, uint32_t type)
{
    if (err) {
        err->have_type = true;
        err->type = type;
    }
}

void xlsr__err_where(struct xlsr_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->where, sizeof(err->where), fmt, ap);
    va_end(ap);
}

int xlsr__parse_u64(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!text || !*text || *text == '-' || isspace((unsigned char)*text))
        return XLSR_ERR_CONFIG;
    /* Decimal, or hexadecimal with 0x: a leading 0 is not octal. */
    bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    unsigned long long v = strtoull(text, &end, hex ? 16 : 10);
    if (errno || end == text)
        return XLSR_ERR_CONFIG;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || (shift && v > (UINT64_MAX >> shift)))
        return XLSR_ERR_CONFIG;
    *out = (uint64_t)v << shift;
    return XLSR_OK;
}

int xlsr__parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(text, yes[i])) {
            *out = true;
            return XLSR_OK;
        }
        if (!strcasecmp(text, no[i])) {
            *out = false;
            return XLSR_OK;
        }
    }
    return XLSR_ERR_CONFIG;
}
