/*
 * export.c - the export plugin's descriptor and lifecycle: guest memory
 * out of the libxc stream that follows LIBXC_CONTEXT, as an ELF core, a
 * raw image, a LiME file or xl dump-core's own format.  Bound like any LIBXC_CONTEXT handler
 * (conf/export.ini); `xlsr export` sets `output`, `format` and `force`.
 *
 * The output is vetted and created at init, before the stream's first
 * byte (an existing file is refused there), filled while the stream is
 * read (walk.c), laid out at the libxc END or at failover, and named in
 * fini() only when the whole stream succeeded.  Without `output` the
 * plugin walks the stream and reports the memory map, writing nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"

static const struct xlsr_conf_key conf_keys[] = {
    { "format", XLSR_CONF_STRING, false, "elf",
      "elf (PT_LOAD per run of frames, NT_PRSTATUS per vCPU), raw (file "
      "offset = guest physical address), lime, or dump-core (xl dump-core's "
      "own ELF)" },
    { "output", XLSR_CONF_STRING, false, "",
      "file to write (`xlsr export -o`); empty: report the memory map only" },
    { "force", XLSR_CONF_BOOL, false, "false",
      "replace an existing output file" },
    { "sync", XLSR_CONF_BOOL, false, "true",
      "fsync the output and its directory before naming it, so the named "
      "file is complete after a crash too (`xlsr export --no-sync`: false)" },
    { "max_guest_bytes", XLSR_CONF_U64, false, "1024G",
      "largest guest-physical address space accepted when the stream's "
      "configuration does not bound it" },
    { NULL, 0, false, NULL, NULL },
};

int ex_fail(struct ex_state *s, int rc, const char *fmt, ...)
{
    char reason[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    s->host->fail(s->h, "%s", reason);
    return rc;
}

/* Every write ends at the latest on the next multiple of EX_WRITE_PIECE
 * in its file.  The page cache builds folios as large as a write's size
 * and alignment allow, and here (ext4, kernel 6.18 in a VM) the size and
 * placement of the writes decided the speed of 1 GiB without fsync, 5
 * runs each: aligned 1 MiB writes 0.9-1.9 s, aligned 256 KiB 0.77-0.93 s
 * (raw) or 0.33-0.40 s (ELF), unaligned 64 KiB 0.53-0.68 s (ELF),
 * aligned 64 KiB 0.38-0.47 s, aligned 128 KiB 0.36-0.45 s for both; cp
 * 0.33-0.37 s. */
int ex_pwrite(struct ex_state *s, int fd, const void *buf, size_t len,
              uint64_t off, const char *what)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t r = pwrite(fd, p, ex_piece(off, len), (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return ex_fail(s, XLSR_ERR_IO, "writing %s at output offset "
                           "%llu: %s", what, (unsigned long long)off,
                           r == 0 ? "no progress" : strerror(errno));
        p += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return XLSR_OK;
}

static int parse_format(struct ex_state *s, const char *f)
{
    static const struct { const char *name; enum ex_format f; } t[] = {
        { "elf", EX_ELF }, { "raw", EX_RAW }, { "lime", EX_LIME },
        { "dump-core", EX_DUMPCORE },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (!strcmp(f, t[i].name)) {
            s->format = t[i].f;
            return XLSR_OK;
        }
    }
    s->host->fail(s->h, "format = %s: expected elf, raw, lime or dump-core",
                  f);
    return XLSR_ERR_CONFIG;
}

static int open_output(struct ex_state *s)
{
    char why[400];
    if (ex_out_open(&s->out, s->path, s->force, why, sizeof(why))) {
        s->host->fail(s->h, "output: %s", why);
        return XLSR_ERR_CONFIG;
    }
    s->store = s->out.fd;
    s->base = s->format == EX_ELF ? EX_PAGE : 0;
    if (s->format == EX_LIME || s->format == EX_DUMPCORE) {
        s->store = ex_out_scratch(&s->out, why, sizeof(why));
        if (s->store < 0) {
            s->host->fail(s->h, "staging file: %s", why);
            return XLSR_ERR_CONFIG;
        }
    }
    return XLSR_OK;
}

static int configure(struct ex_state *s)
{
    const char *format, *output;
    int rc;
    if ((rc = s->host->conf_str(s->h, "format", &format)) ||
        (rc = s->host->conf_str(s->h, "output", &output)) ||
        (rc = s->host->conf_bool(s->h, "force", &s->force)) ||
        (rc = s->host->conf_bool(s->h, "sync", &s->sync)) ||
        (rc = s->host->conf_u64(s->h, "max_guest_bytes",
                                &s->max_guest_bytes)))
        return rc;
    if ((rc = parse_format(s, format)))
        return rc;
    if (s->max_guest_bytes < EX_PAGE) {
        s->host->fail(s->h, "max_guest_bytes = %llu: less than a page",
                      (unsigned long long)s->max_guest_bytes);
        return XLSR_ERR_CONFIG;
    }
    s->path = *output ? output : NULL;
    return s->path ? open_output(s) : XLSR_OK;
}

static void state_free(struct ex_state *s)
{
    if (s->store >= 0 && s->store != s->out.fd)
        close(s->store);
    if (s->journal >= 0)
        close(s->journal);
    ex_out_discard(&s->out);
    ex_map_free(&s->map);
    ex_map_free(&s->plan);
    ex_vcpus_free(&s->cpu);
    ex_vcpus_free(&s->cpu_next);
    free(s->shinfo);
    free(s->shinfo_next);
    free(s->buf);
    free(s->copybuf);
    free(s->pfns);
    free(s);
}

static int ex_init(const struct xlsr_host *host, xlsr_handle *h,
                   void **state)
{
    if (!XLSR_HOST_HAS(host, max_record_bytes)) {
        host->fail(h, "host function table too small (%u bytes)",
                   host->size);
        return XLSR_ERR_CONFIG;
    }
    struct ex_state *s = calloc(1, sizeof(*s));
    if (!s)
        return XLSR_ERR_NOMEM;
    s->host = host;
    s->h = h;
    s->ctx = host->restore_ctx(h);
    s->store = s->journal = s->out.fd = s->out.dirfd = s->in_fd = -1;
    /* Page-aligned, both: the kernel copies into and out of an unaligned
     * buffer more slowly (walk.c reads page data into buf; copy_plain
     * bounces through copybuf). */
    s->buf = aligned_alloc(EX_PAGE, (size_t)EX_BUF_PAGES * EX_PAGE);
    s->copybuf = aligned_alloc(EX_PAGE, EX_WRITE_PIECE);
    s->pfns = malloc((size_t)EX_MAX_BATCH * sizeof(*s->pfns));
    int rc = s->buf && s->copybuf && s->pfns ? configure(s) : XLSR_ERR_NOMEM;
    if (rc) {
        state_free(s);
        return rc;
    }
    *state = s;
    return XLSR_OK;
}

static int ex_record(void *state, const struct xlsr_record *rec)
{
    struct ex_state *s = state;
    if (rec->type != XLSR_REC_LIBXC_CONTEXT) {
        s->host->fail(s->h, "the export plugin handles LIBXC_CONTEXT only");
        return XLSR_ERR_CONFIG;
    }
    if (rec->length) {
        s->host->fail(s->h, "LIBXC_CONTEXT body of %u bytes, must be empty",
                      rec->length);
        return XLSR_ERR_STREAM;
    }
    if (s->done) {
        s->host->fail(s->h, "a second LIBXC_CONTEXT: one guest per export");
        return XLSR_ERR_STREAM;
    }
    return XLSR_OK;
}

/* "max_memkb": N in the xl configuration (libxl's domain_build_info). */
static bool config_memkb(const struct xlsr_restore_ctx *ctx, uint64_t *kb)
{
    const char *p = ctx->xl_config ? strstr(ctx->xl_config, "\"max_memkb\"")
                                   : NULL;
    if (!p)
        return false;
    p += strlen("\"max_memkb\"");
    p += strspn(p, " \t\r\n");
    if (*p++ != ':')
        return false;
    p += strspn(p, " \t\r\n");
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || end == p || *p == '-' || v > (1ull << 40))
        return false;
    *kb = v;
    return true;
}

/*
 * HVM and PVH: restore takes any pfn (xg_sr_restore_x86_hvm.c,
 * x86_hvm_pfn_is_valid), the domain's memory limit is what bounds it.
 * RAM sits below the MMIO hole and above 4 GiB, so no frame of a guest
 * with max_memkb lies at or above 4 GiB + max_memkb.  PV: the p2m's size
 * (walk.c, X86_PV_P2M_FRAMES).
 */
void ex_set_limit(struct ex_state *s)
{
    uint64_t cap = s->max_guest_bytes >> EX_PAGE_SHIFT, kb;
    s->pfn_limit = 0;
    s->limit_why = "no X86_PV_P2M_FRAMES before it";
    if (s->guest_type == 1)     /* PV */
        return;
    s->pfn_limit = cap;
    s->limit_why = "max_guest_bytes";
    if (config_memkb(s->ctx, &kb)) {
        uint64_t lim = ((4ull << 30) + (kb << 10)) >> EX_PAGE_SHIFT;
        if (lim < cap) {
            s->pfn_limit = lim;
            s->limit_why = "4 GiB + the xl configuration's max_memkb";
        }
    }
}

static int ex_substream(void *state, const struct xlsr_record *rec)
{
    struct ex_state *s = state;
    (void)rec;
    s->done = true;
    int rc = ex_plan(s);
    return rc ? rc : ex_walk(s);
}

static void ex_fini(void *state, int rc)
{
    struct ex_state *s = state;
    if (!s)
        return;
    if (rc == XLSR_OK && s->ready) {
        char why[400];
        if (ex_out_publish(&s->out, s->sync, why, sizeof(why)))
            s->host->log(s->h, XLSR_LOG_ERROR, "output %s not written: %s",
                         s->path, why);
        else
            s->host->log(s->h, XLSR_LOG_INFO, "wrote %s%s", s->path,
                         s->sync ? "" : " (not fsynced: sync = false)");
    }
    state_free(s);
}

static const struct xlsr_plugin ex_plugin = {
    XLSR_PLUGIN_ABI,
    .name = "export",
    .version = XLSR_VERSION,
    .description = "guest memory out of the libxc stream: ELF core, raw "
                   "or LiME, for forensic tools",
    .conf_keys = conf_keys,
    .init = ex_init,
    .record = ex_record,
    .substream = ex_substream,
    .fini = ex_fini,
};

XLSR_PLUGIN_DEFINE(ex_plugin)
