/*
 * compat.c - the embedding API's XLSR_1.0 entry points, for programs built
 * before struct xlsr_result and struct xlsr_error carried a size.
 *
 * Such a program references the unversioned names, which the dynamic
 * linker binds to the oldest version a library defines (XLSR_1.0 here,
 * core/libxlsr.map); these wrappers run the current code on structures of
 * the current layout and copy the result into the old one, member by
 * member.  The old layouts below are frozen: tests/abi/v1.0/xlsr/xlsr.h
 * is the header they come from, and tests/abi/ builds a caller against it.
 */
#include "internal.h"

struct xlsr__error_v10 {
    int rc;
    bool have_offset;
    uint64_t offset;
    bool have_type;
    uint32_t type;
    bool inner;
    char handler[64];
    char where[256];
    char reason[512];
};

struct xlsr__result_v10 {
    uint64_t bytes;
    uint64_t records;
    uint64_t trailing_bytes;
    bool complete;
    bool xl_header;
    uint32_t xl_mandatory_flags, xl_optional_flags;
    uint32_t libxl_options;
    uint32_t checkpoints;
    bool failover;
    uint64_t partial_offset;
};

/* The unversioned names bind here (see the top of the file). */
#define XLSR_V10(fn, impl) __asm__(".symver " #impl ", " #fn "@XLSR_1.0")

/* The members both layouts have, copied by name. */
#define ERROR_MEMBERS(X, to, from)                                        \
    X(to, from, rc) X(to, from, have_offset) X(to, from, offset)          \
    X(to, from, have_type) X(to, from, type) X(to, from, handler)         \
    X(to, from, where) X(to, from, reason)
#define RESULT_MEMBERS(X, to, from)                                       \
    X(to, from, bytes) X(to, from, records) X(to, from, trailing_bytes)   \
    X(to, from, complete) X(to, from, xl_header)                          \
    X(to, from, xl_mandatory_flags) X(to, from, xl_optional_flags)        \
    X(to, from, libxl_options) X(to, from, checkpoints)                   \
    X(to, from, failover) X(to, from, partial_offset)
/* Same type and size in both layouts (arrays included). */
#define COPY(to, from, m)                                                 \
    _Static_assert(sizeof((to)->m) == sizeof((from)->m), #m);             \
    memcpy(&(to)->m, &(from)->m, sizeof((to)->m));

static void error_to_v10(struct xlsr__error_v10 *o,
                         const struct xlsr_error *e)
{
    if (!o)
        return;
    memset(o, 0, sizeof(*o));       /* inner: never set, now gone */
    ERROR_MEMBERS(COPY, o, e)
}

static void error_from_v10(struct xlsr_error *e,
                           const struct xlsr__error_v10 *o)
{
    xlsr__err_clear(e);
    ERROR_MEMBERS(COPY, e, o)
    e->handler[sizeof(e->handler) - 1] = '\0';
    e->where[sizeof(e->where) - 1] = '\0';
    e->reason[sizeof(e->reason) - 1] = '\0';
}

static void result_to_v10(struct xlsr__result_v10 *o,
                          const struct xlsr_result *r)
{
    if (!o)
        return;
    memset(o, 0, sizeof(*o));
    RESULT_MEMBERS(COPY, o, r)
}

XLSR_API int xlsr__config_load_v10(const char *path,
                                   struct xlsr_config **out,
                                   struct xlsr__error_v10 *err);
XLSR_V10(xlsr_config_load, xlsr__config_load_v10);
XLSR_API int xlsr__config_load_v10(const char *path,
                                   struct xlsr_config **out,
                                   struct xlsr__error_v10 *err)
{
    struct xlsr_error e;
    int rc = xlsr_config_load(path, out, &e);
    error_to_v10(err, &e);
    return rc;
}

XLSR_API int xlsr__session_open_v10(const struct xlsr_config *cfg,
                                    struct xlsr_restore_ctx *ctx,
                                    const struct xlsr_session_opts *opts,
                                    struct xlsr_session **out,
                                    struct xlsr__error_v10 *err);
XLSR_V10(xlsr_session_open, xlsr__session_open_v10);
XLSR_API int xlsr__session_open_v10(const struct xlsr_config *cfg,
                                    struct xlsr_restore_ctx *ctx,
                                    const struct xlsr_session_opts *opts,
                                    struct xlsr_session **out,
                                    struct xlsr__error_v10 *err)
{
    struct xlsr_error e;
    int rc = xlsr_session_open(cfg, ctx, opts, out, &e);
    error_to_v10(err, &e);
    return rc;
}

XLSR_API int xlsr__session_run_v10(struct xlsr_session *s, int fd,
                                   struct xlsr__result_v10 *res,
                                   struct xlsr__error_v10 *err);
XLSR_V10(xlsr_session_run, xlsr__session_run_v10);
XLSR_API int xlsr__session_run_v10(struct xlsr_session *s, int fd,
                                   struct xlsr__result_v10 *res,
                                   struct xlsr__error_v10 *err)
{
    struct xlsr_result r;
    struct xlsr_error e;
    int rc = xlsr_session_run(s, fd, &r, &e);
    result_to_v10(res, &r);
    error_to_v10(err, &e);
    return rc;
}

XLSR_API void xlsr__error_format_v10(const struct xlsr__error_v10 *err,
                                     char *buf, size_t len);
XLSR_V10(xlsr_error_format, xlsr__error_format_v10);
XLSR_API void xlsr__error_format_v10(const struct xlsr__error_v10 *err,
                                     char *buf, size_t len)
{
    struct xlsr_error e;
    error_from_v10(&e, err);
    xlsr_error_format(&e, buf, len);
}
