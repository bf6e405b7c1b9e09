/*
 * fuzz-targets.c - one fuzz target per parser, each fed the bytes that
 * parser sees in a real stream, wrapped in whatever framing it needs:
 *
 *   stream    the whole stream, through every shipped plugin (dump)
 *   libxl     the whole stream, framing and headers only (END bound)
 *   libxc     an inline libxc stream, walked by the libxc plugin (dump)
 *   xenstore  an EMULATOR_XENSTORE_DATA body, pairs_validate/pairs_each
 *   emulator  emulator records (EMULATOR_CONTEXT / XENSTORE_DATA) through
 *             the emulator and xenstore plugins, restore --dry-run
 *   ini       an INI configuration file, xlsr_config_load and accessors
 *   xljson    the xl save header's JSON domain configuration, read by the
 *             core and by the canary wrapper (domain UUID)
 *
 * Built two ways from this one file:
 *   - plain (make check, any compiler): `fuzz-replay TARGET FILE...` runs
 *     the target over each file (the committed corpora, crashers included);
 *   - clang -fsanitize=fuzzer -DFZ_TARGET='"name"' (make fuzz): a libFuzzer
 *     binary for that target.
 * Under libFuzzer, dlclose() is a no-op (defined below, it interposes on
 * libc's for the core linked into this binary): unmapping an instrumented
 * plugin frees coverage counters libFuzzer still points at, and it crashes
 * in TracePC::ClearInlineCounters.  Objects then stay loaded, and glibc
 * would hand a later dlopen("/proc/self/fd/N") whatever object was first
 * opened under that name (the harness met it before the loader's registry
 * guarded against it), so dlopen() here maps the file by its real path.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsr/xlsr.h>

#include "../../plugins/xenstore/pairs.h"
#include "fuzz-lib.h"

static char plugin_dirs[2 * PATH_MAX + 2];

/* A 0600 temporary file holding text (a config must pass the owner and
 * mode checks a root-run xlsr applies); returns its malloc'd path. */
static char *tmp_file(const void *data, size_t len)
{
    const char *dir = getenv("TMPDIR");
    char *path;
    if (asprintf(&path, "%s/xlsr-fuzz.XXXXXX", dir && *dir ? dir : "/tmp")
        < 0)
        fz_die("asprintf");
    int fd = mkstemp(path);
    if (fd < 0)
        fz_die("mkstemp");
    if (len && write(fd, data, len) != (ssize_t)len)
        fz_die("write");
    close(fd);
    return path;
}

/* plugin_dir = the build's plugins and test plugins, beside this binary
 * ($BUILD/tests/..), unless XLSR_FUZZ_PLUGIN_DIR says otherwise. */
static void find_plugins(void)
{
    const char *env = getenv("XLSR_FUZZ_PLUGIN_DIR");
    char exe[PATH_MAX];
    if (env && *env) {
        snprintf(plugin_dirs, sizeof(plugin_dirs), "%s", env);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n < 0)
        fz_die("/proc/self/exe");
    exe[n] = '\0';
    char *top = dirname(dirname(exe));
    snprintf(plugin_dirs, sizeof(plugin_dirs), "%s/plugins:%s/test-plugins",
             top, top);
}

static struct xlsr_config *load_conf(const char *body)
{
    char *text, *path;
    struct xlsr_config *cfg;
    if (asprintf(&text, "[core]\nplugin_dir = %s\n%s", plugin_dirs, body)
        < 0)
        fz_die("asprintf");
    path = tmp_file(text, strlen(text));
    cfg = fz_load(path);
    unlink(path);
    free(path);
    free(text);
    return cfg;
}

/* Open descriptors: a session must give back every one it opened. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        fz_die("/proc/self/fd");
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* One stream through one session (fz_session: never crashes, always has
 * a reason), which gives back every descriptor it opened. */
static int run_session(struct xlsr_config *cfg, struct xlsr_restore_ctx *ctx,
                       const uint8_t *data, size_t len)
{
    int fds = count_fds(), rc = fz_session(cfg, ctx, data, len);
    /* The first session maps the plugins, and the loader keeps one fd
     * per object mapped (parked when dlclose() cannot unmap it, as here
     * under libFuzzer): only later sessions must give back every fd. */
    static bool warm;
    if (warm && count_fds() != fds) {
        fprintf(stderr, "fuzz: the session leaked %d descriptors\n",
                count_fds() - fds);
        abort();
    }
    warm = true;
    return rc;
}

static int run_mode(struct xlsr_config *cfg, enum xlsr_mode mode,
                    bool dry_run, const uint8_t *data, size_t len)
{
    struct xlsr_restore_ctx ctx = { .size = sizeof(ctx), .mode = mode,
                                    .dry_run = dry_run, .verbose = true,
                                    .domid = 7, .dm_domid = 0,
                                    .store_port = -1, .console_port = -1 };
    return run_session(cfg, &ctx, data, len);
}

/* --- stream builders ----------------------------------------------- */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            fz_die("realloc");
    }
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void put32(struct buf *b, uint32_t v)       /* little-endian */
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                     (uint8_t)(v >> 24) };
    put(b, x, 4);
}

static void libxl_header(struct buf *b)
{
    static const uint8_t h[16] = { 'L', 'i', 'b', 'x', 'l', 'F', 'm', 't',
                                   0, 0, 0, 2, 0, 0, 0, 0 };
    put(b, h, sizeof(h));
}

static void record(struct buf *b, uint32_t type, const void *body,
                   uint32_t len)
{
    static const uint8_t zero[8];
    put32(b, type);
    put32(b, len);
    put(b, body, len);
    put(b, zero, (8 - (len & 7)) & 7);
}

/* --- targets --------------------------------------------------------- */

#define FULL_CONF                                                         \
    "max_record_bytes = 16M\n"                                            \
    "checkpoint_buffer_bytes = 1M\n"                                      \
    "unknown_records = skip\n"                                            \
    "[record.end]\nplugin = end\n"                                        \
    "[record.libxc_context]\nplugin = libxc\nmode = verify\n"             \
    "[record.emulator_xenstore_data]\nplugin = xenstore\n"                \
    "[record.emulator_context]\nplugin = emulator\n"                      \
    "[record.checkpoint_state]\nplugin = recorder\nlog = /dev/null\n"

static struct xlsr_config *conf_full, *conf_end, *conf_emu, *conf_canary;

static void t_stream(const uint8_t *d, size_t n)
{
    if (!conf_full)
        conf_full = load_conf(FULL_CONF);
    run_mode(conf_full, XLSR_MODE_DUMP, false, d, n);
}

static void t_libxl(const uint8_t *d, size_t n)
{
    if (!conf_end)
        conf_end = load_conf("max_record_bytes = 1M\n"
                             "unknown_records = skip\n"
                             "[record.end]\nplugin = end\n");
    run_mode(conf_end, XLSR_MODE_VERIFY, false, d, n);
}

static void t_libxc(const uint8_t *d, size_t n)
{
    struct buf b = { 0 };
    if (!conf_full)
        conf_full = load_conf(FULL_CONF);
    libxl_header(&b);
    record(&b, XLSR_REC_LIBXC_CONTEXT, NULL, 0);
    put(&b, d, n);
    record(&b, XLSR_REC_END, NULL, 0);
    run_mode(conf_full, XLSR_MODE_DUMP, false, b.p, b.len);
    free(b.p);
}

static int each_pair(void *opaque, const char *key, const char *val,
                     size_t vlen)
{
    char out[64];
    (void)opaque;
    pairs_escape(val, vlen, out, sizeof(out));
    return key[0] == '\0';      /* validated keys are never empty */
}

static void t_xenstore(const uint8_t *d, size_t n)
{
    struct pairs_info info;
    char err[256];
    /* An exact-size copy, so ASan sees any read past the body. */
    uint8_t *body = malloc(n ? n : 1);
    if (!body)
        fz_die("malloc");
    memcpy(body, d, n);
    if (pairs_validate(body, n, &info, err, sizeof(err)) == 0 &&
        pairs_each(body, n, each_pair, NULL) != 0)
        abort();
    free(body);
}

/* Records of up to 64 KiB: [u8 kind][u16 length, LE][body]... */
static void t_emulator(const uint8_t *d, size_t n)
{
    struct buf b = { 0 };
    if (!conf_emu)
        conf_emu = load_conf(
            "[record.end]\nplugin = end\n"
            "[record.emulator_xenstore_data]\nplugin = xenstore\n"
            "[record.emulator_context]\nplugin = emulator\n"
            "dir = /nonexistent\n"
            "path = /nonexistent/qemu.%domid.%emu_id.%index\n"
            "backend.1 = exec\nexec.1 = /bin/true %domid %index\n");
    libxl_header(&b);
    while (n >= 3) {
        uint32_t type = d[0] & 1 ? XLSR_REC_EMULATOR_CONTEXT
                                 : XLSR_REC_EMULATOR_XENSTORE_DATA;
        size_t len = (size_t)d[1] | (size_t)d[2] << 8;
        d += 3;
        n -= 3;
        if (len > n)
            len = n;
        record(&b, type, d, (uint32_t)len);
        d += len;
        n -= len;
    }
    record(&b, XLSR_REC_END, NULL, 0);
    run_mode(conf_emu, XLSR_MODE_RESTORE, true, b.p, b.len);
    run_mode(conf_emu, XLSR_MODE_DUMP, false, b.p, b.len);
    free(b.p);
}

static void t_ini(const uint8_t *d, size_t n)
{
    char *path = tmp_file(d, n);
    struct xlsr_config *cfg;
    struct xlsr_error err;
    char buf[1200];
    if (xlsr_config_load(path, &cfg, &err) == XLSR_OK) {
        uint32_t types[64];
        size_t nt = xlsr_config_types(cfg, types, 64);
        for (size_t i = 0; i < nt && i < 64; i++)
            xlsr_config_get(cfg, types[i], "plugin");
        xlsr_config_max_record_bytes(cfg);
        xlsr_config_free(cfg);
    } else {
        xlsr_error_format(&err, buf, sizeof(buf));
    }
    unlink(path);
    free(path);
}

static void t_xljson(const uint8_t *d, size_t n)
{
    static const char magic[32] = "Xen saved domain, xl format\n \0 \r";
    struct buf b = { 0 };
    if (!conf_canary)
        conf_canary = load_conf("[record.end]\nplugin = end\n"
                                "canary_plugin = end\n"
                                "canary_percent = 50\n");
    if (n > (1u << 20))
        n = 1u << 20;
    put(&b, magic, sizeof(magic));
    put32(&b, 0x01020304);
    put32(&b, 3);                       /* JSON | libxl v2 */
    put32(&b, 0);
    put32(&b, (uint32_t)(4 + n + 1));   /* optional data */
    put32(&b, (uint32_t)(n + 1));       /* the config, NUL included */
    put(&b, d, n);
    put(&b, "", 1);
    libxl_header(&b);
    record(&b, XLSR_REC_END, NULL, 0);
    run_mode(conf_canary, XLSR_MODE_VERIFY, false, b.p, b.len);
    free(b.p);
}

static const struct {
    const char *name;
    void (*fn)(const uint8_t *d, size_t n);
} targets[] = {
    { "stream", t_stream },     { "libxl", t_libxl },
    { "libxc", t_libxc },       { "xenstore", t_xenstore },
    { "emulator", t_emulator }, { "ini", t_ini },
    { "xljson", t_xljson },
};

static void (*pick(const char *name))(const uint8_t *, size_t)
{
    for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++)
        if (!strcmp(targets[i].name, name))
            return targets[i].fn;
    fprintf(stderr, "fuzz: unknown target '%s' (", name);
    for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++)
        fprintf(stderr, "%s%s", i ? " " : "", targets[i].name);
    fprintf(stderr, ")\n");
    exit(2);
}

#ifdef FZ_TARGET
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void (*target)(const uint8_t *, size_t);

int dlclose(void *handle);
int dlclose(void *handle)
{
    (void)handle;
    return 0;
}

void *dlopen(const char *file, int mode);
void *dlopen(const char *file, int mode)
{
    static void *(*real)(const char *, int);
    char path[PATH_MAX];
    if (!real) {
        void *sym = dlsym(RTLD_NEXT, "dlopen");
        memcpy(&real, &sym, sizeof(real));
    }
    if (file && !strncmp(file, "/proc/self/fd/", 14)) {
        ssize_t n = readlink(file, path, sizeof(path) - 1);
        if (n > 0) {
            path[n] = '\0';
            file = path;
        }
    }
    return real(file, mode);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    target = pick(FZ_TARGET);
    find_plugins();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    target(data, size);
    return 0;
}
#else
int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fuzz-replay TARGET [FILE...]\n");
        return 2;
    }
    void (*fn)(const uint8_t *, size_t) = pick(argv[1]);
    find_plugins();
    for (int i = 2; i < argc; i++) {
        size_t len;
        uint8_t *d = fz_slurp(argv[i], &len);
        fn(d, len);
        free(d);
    }
    printf("fuzz-replay %s: %d inputs replayed\n", argv[1], argc - 2);
    xlsr_config_free(conf_full);
    xlsr_config_free(conf_end);
    xlsr_config_free(conf_emu);
    xlsr_config_free(conf_canary);
    return 0;
}
#endif
