/*
 * tests/tools/gen-out.c - xlsr-gen's output: a 1 MiB buffer flushed with
 * write(), record framing (type, body_length, padding to 8) for both
 * stream levels, and the --offsets log that names every record.
 *
 * Callers that make bulk data (pages, random blobs) fill the buffer in
 * place through out_reserve(), so a 1 GiB stream costs one copy into the
 * page cache and nothing else.
 */
#include "gen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void gen_die(int code, const char *fmt, ...)
{
    va_list ap;

    fputs("xlsr-gen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

void out_open(struct gen_out *o, const char *path, const char *offsets)
{
    memset(o, 0, sizeof(*o));
    o->name = path;
    if (strcmp(path, "-") == 0) {
        o->fd = STDOUT_FILENO;
        o->name = "stdout";
    } else {
        o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (o->fd < 0)
            gen_die(GEN_EXIT_IO, "%s: %s", path, strerror(errno));
    }
    o->buf = malloc(GEN_BUF_SIZE);
    if (!o->buf)
        gen_die(GEN_EXIT_IO, "out of memory");
    if (offsets) {
        o->offs = fopen(offsets, "w");
        if (!o->offs)
            gen_die(GEN_EXIT_IO, "%s: %s", offsets, strerror(errno));
    }
}

static void out_flush(struct gen_out *o)
{
    size_t done = 0;

    while (done < o->used) {
        ssize_t r = write(o->fd, o->buf + done, o->used - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            gen_die(GEN_EXIT_IO, "writing %s: %s", o->name,
                    r < 0 ? strerror(errno) : "short write");
        done += (size_t)r;
    }
    o->used = 0;
}

void out_close(struct gen_out *o)
{
    out_flush(o);
    if (o->fd != STDOUT_FILENO && close(o->fd) != 0)
        gen_die(GEN_EXIT_IO, "closing %s: %s", o->name, strerror(errno));
    if (o->offs && fclose(o->offs) != 0)
        gen_die(GEN_EXIT_IO, "writing the offsets file: %s", strerror(errno));
    free(o->buf);
    o->buf = NULL;
}

/* n contiguous bytes of buffer (n <= GEN_BUF_SIZE), counted as written. */
unsigned char *out_reserve(struct gen_out *o, size_t n)
{
    unsigned char *p;

    if (GEN_BUF_SIZE - o->used < n)
        out_flush(o);
    p = o->buf + o->used;
    o->used += n;
    o->off += n;
    return p;
}

void out_bytes(struct gen_out *o, const void *p, size_t n)
{
    const unsigned char *s = p;

    while (n) {
        size_t room = GEN_BUF_SIZE - o->used, k = n < room ? n : room;

        if (!room) {
            out_flush(o);
            continue;
        }
        memcpy(o->buf + o->used, s, k);
        o->used += k;
        o->off += k;
        s += k;
        n -= k;
    }
}

void out_fill(struct gen_out *o, int byte, uint64_t n)
{
    while (n) {
        size_t room = GEN_BUF_SIZE - o->used;
        size_t k = n < room ? (size_t)n : room;

        if (!room) {
            out_flush(o);
            continue;
        }
        memset(o->buf + o->used, byte, k);
        o->used += k;
        o->off += k;
        n -= k;
    }
}

static const char *const libxl_names[] = {
    "END", "LIBXC_CONTEXT", "EMULATOR_XENSTORE_DATA", "EMULATOR_CONTEXT",
    "CHECKPOINT_END", "CHECKPOINT_STATE",
};

static const char *const libxc_names[] = {
    "END", "PAGE_DATA", "X86_PV_INFO", "X86_PV_P2M_FRAMES",
    "X86_PV_VCPU_BASIC", "X86_PV_VCPU_EXTENDED", "X86_PV_VCPU_XSAVE",
    "SHARED_INFO", "X86_TSC_INFO", "HVM_CONTEXT", "HVM_PARAMS",
    "TOOLSTACK", "X86_PV_VCPU_MSRS", "VERIFY", "CHECKPOINT",
    "CHECKPOINT_DIRTY_PFN_LIST", "STATIC_DATA_END", "X86_CPUID_POLICY",
    "X86_MSR_POLICY",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *rec_type_name(int lvl, uint32_t type, char *tmp, size_t n)
{
    if (lvl == LVL_LIBXL && type < NELEM(libxl_names))
        return libxl_names[type];
    if (lvl == LVL_LIBXC && type < NELEM(libxc_names))
        return libxc_names[type];
    snprintf(tmp, n, "0x%08x", type);
    return tmp;
}

/*
 * Writes a record header and logs it.  body_len is what will really
 * follow; an override may claim something else.
 */
void rec_begin(struct gen_out *o, int lvl, uint32_t type, uint64_t body_len,
               int big, const struct rec_ov *ov, unsigned ckpt)
{
    uint32_t claimed = ov && ov->has_len ? ov->len : (uint32_t)body_len;
    unsigned char *h;

    if (o->offs) {
        char tmp[16];

        fprintf(o->offs, "%llu %s %s %llu", (unsigned long long)o->off,
                lvl == LVL_LIBXL ? "libxl" : "libxc",
                rec_type_name(lvl, type, tmp, sizeof(tmp)),
                (unsigned long long)body_len);
        if (ckpt)
            fprintf(o->offs, " ckpt=%u", ckpt);
        if (claimed != body_len)
            fprintf(o->offs, " claimed=%u", claimed);
        fputc('\n', o->offs);
    }
    h = out_reserve(o, 8);
    if (big) {
        put_be32(h, type);
        put_be32(h + 4, claimed);
    } else {
        put_le32(h, type);
        put_le32(h + 4, claimed);
    }
}

void rec_end(struct gen_out *o, uint64_t body_len, const struct rec_ov *ov)
{
    unsigned pad = (unsigned)(-body_len & 7);

    if (pad)
        out_fill(o, ov && ov->has_pad ? ov->pad : 0, pad);
}

void rec_small(struct gen_out *o, int lvl, uint32_t type, const void *body,
               size_t len, int big, unsigned ckpt)
{
    rec_begin(o, lvl, type, len, big, NULL, ckpt);
    out_bytes(o, body, len);
    rec_end(o, len, NULL);
}
