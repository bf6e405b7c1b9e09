/*
 * tests/tools/wrap-main.c - xlsr-wrap, the container writer of the tests:
 * puts a libxl stream (an `xl save` file or a bare libxl stream, from
 * xlsr-gen or a real Xen) into the other containers Xen images travel in,
 * or writes a legacy (pre-v2) stream.  Standalone like xlsr-gen: it shares
 * no code with libxlsr, so a misreading of a layout cannot cancel out.
 *
 *   xlsr-wrap libvirt -i IN -o OUT   libvirt save header + XML + the bare
 *       libxl stream (libvirt src/libxl/libxl_conf.h _libxlSavefileHeader:
 *       16-byte magic, u32 version, u32 xmlLen with its NUL, 10 u32 zero)
 *   xlsr-wrap xenopsd -i IN -o OUT   XenSavedDomv2- signature, Xenops
 *       s-expression, Libxc (length 0) + the bare libxc stream, extra
 *       records, Qemu_trad (the EMULATOR_CONTEXT blob, if any),
 *       End_of_image (xen-api ocaml/xenopsd/xc/domain.ml, suspend)
 *   xlsr-wrap libxc -i IN -o OUT     the bare libxc stream alone
 *   xlsr-wrap legacy -o OUT          a 64-bit-toolstack legacy HVM stream
 *       (xc_domain_save before Xen 4.6, as convert-legacy-stream reads it)
 *
 * --offsets FILE logs "<offset> <layer> <name> <length>" for every header
 * and record written, so tests can cut the output at each boundary.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static FILE *out, *offs;
static uint64_t pos;

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "xlsr-wrap: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void put(const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, out) != n)
        die("write: %s", strerror(errno));
    pos += n;
}

static void put32(uint32_t v)       /* little-endian (x86 host order) */
{
    uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };
    put(b, 4);
}

static void put64(uint64_t v)
{
    put32((uint32_t)v);
    put32((uint32_t)(v >> 32));
}

static void note(const char *layer, const char *name, uint64_t len)
{
    if (offs)
        fprintf(offs, "%llu %s %s %llu\n", (unsigned long long)pos, layer,
                name, (unsigned long long)len);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* What the input holds, as offsets into it. */
struct input {
    const uint8_t *p;
    size_t len;
    size_t libxl;               /* libxl header */
    size_t libxc, libxc_end;    /* bare libxc stream */
    size_t blob, blob_len;      /* EMULATOR_CONTEXT blob (after its 8) */
};

static size_t need(const struct input *in, size_t at, size_t n)
{
    if (at > in->len || in->len - at < n)
        die("input truncated (%s)", "walking its records");
    return at;
}

static size_t walk_libxc(const struct input *in, size_t at)
{
    at = need(in, at, 40) + 40;     /* image + domain header */
    for (;;) {
        need(in, at, 8);
        uint32_t type = rd32(in->p + at), len = rd32(in->p + at + 4);
        at = need(in, at + 8, len) + len;
        at = need(in, at, (8 - (len & 7)) & 7) + ((8 - (len & 7)) & 7);
        if (type == 0)
            return at;
    }
}

static void parse_input(struct input *in, const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        die("%s: cannot open", path);
    in->len = (size_t)st.st_size;
    in->p = mmap(NULL, in->len ? in->len : 1, PROT_READ, MAP_PRIVATE, fd, 0);
    if (in->p == MAP_FAILED)
        die("%s: cannot map", path);
    close(fd);
    size_t at = 0;
    if (in->len >= 48 && !memcmp(in->p, "Xen saved domain, xl format", 27))
        at = 48 + rd32(in->p + 44);
    in->libxl = need(in, at, 16);
    for (at += 16;;) {
        need(in, at, 8);
        uint32_t type = rd32(in->p + at), len = rd32(in->p + at + 4);
        size_t body = at + 8;
        at = need(in, body, len) + len;
        at += (8 - (len & 7)) & 7;
        if (type == 1) {                        /* LIBXC_CONTEXT */
            in->libxc = at;
            in->libxc_end = at = walk_libxc(in, at);
        } else if (type == 3 && len >= 8 && !in->blob) {
            in->blob = body + 8;
            in->blob_len = len - 8;
        } else if (type == 0) {
            return;
        }
    }
}

static const char default_xml[] =
    "<domain type='xen'>\n  <name>wrapped</name>\n"
    "  <uuid>5e1f0c2a-0000-4000-8000-000000000001</uuid>\n"
    "  <memory unit='KiB'>131072</memory>\n  <vcpu>1</vcpu>\n"
    "  <os><type>hvm</type></os>\n</domain>\n";
static const char default_sexp[] =
    "((time 20261202T05:30:00Z)(word_size 64)(vm_str \"wrapped\")"
    "(xs_subtree ()))";

struct opts {
    uint32_t lv_version, xml_claim, unused_idx, unused_val;
    int has_xml_claim, has_unused, bad_magic;
    const char *xml, *sexp, *sig;
    int no_xenops, no_end, no_qemu;
    uint64_t libxc_len, claim_type, claim_len;
    int has_claim;
    char **recs;
    int nrecs;
};

static void libvirt(const struct input *in, const struct opts *o)
{
    size_t xl = strlen(o->xml) + 1;
    note("libvirt", "header", 64);
    put(o->bad_magic ? "libvirt-xml\n \0 X" : "libvirt-xml\n \0 \r", 16);
    put32(o->lv_version);
    put32(o->has_xml_claim ? o->xml_claim : (uint32_t)xl);
    for (uint32_t i = 0; i < 10; i++)
        put32(o->has_unused && i == o->unused_idx ? o->unused_val : 0);
    note("libvirt", "xml", xl);
    put(o->xml, xl);
    note("libxl", "stream", in->len - in->libxl);
    put(in->p + in->libxl, in->len - in->libxl);
}

static const struct opts *gopts;

/* A xenopsd record header; --claim makes one type lie about its length. */
static void header(uint64_t type, uint64_t len, const char *name)
{
    note("xenopsd", name, len);
    put64(type);
    put64(gopts->has_claim && gopts->claim_type == type ? gopts->claim_len
                                                        : len);
}

/* --rec TYPE:hex:AABB | TYPE:zero:N | TYPE:str:TEXT */
static void extra(const char *spec)
{
    char *end;
    uint64_t type = strtoull(spec, &end, 0);
    if (*end != ':')
        die("--rec %s: TYPE:KIND:VALUE", spec);
    const char *k = end + 1, *v = strchr(k, ':');
    if (!v)
        die("--rec %s: TYPE:KIND:VALUE", spec);
    v++;
    uint8_t *b = NULL;
    size_t n = 0;
    if (!strncmp(k, "hex:", 4)) {
        n = strlen(v) / 2;
        b = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            sscanf(v + 2 * i, "%2hhx", &b[i]);
    } else if (!strncmp(k, "zero:", 5)) {
        n = strtoull(v, NULL, 0);
        b = calloc(1, n + 1);
    } else if (!strncmp(k, "str:", 4)) {
        n = strlen(v);
        b = (uint8_t *)strdup(v);
    } else {
        die("--rec %s: KIND is hex, zero or str", spec);
    }
    header(type, n, "record");
    put(b, n);
    free(b);
}

static void xenopsd(const struct input *in, const struct opts *o)
{
    note("xenopsd", "signature", 15);
    put(o->sig, 15);
    if (!o->no_xenops) {
        header(0x000f, strlen(o->sexp), "Xenops");
        put(o->sexp, strlen(o->sexp));
    }
    header(0x00f0, o->libxc_len, "Libxc");
    note("libxc", "stream", in->libxc_end - in->libxc);
    put(in->p + in->libxc, in->libxc_end - in->libxc);
    for (int i = 0; i < o->nrecs; i++)
        extra(o->recs[i]);
    if (in->blob && !o->no_qemu) {
        header(0x0f00, in->blob_len, "Qemu_trad");
        put(in->p + in->blob, in->blob_len);
    }
    if (!o->no_end)
        header(0xffff, 0, "End_of_image");
}

/* Xen 4.5's xc_domain_save for a 64-bit toolstack and an HVM guest of 4
 * pages: p2m_size, one batch, the end chunk, the HVM tail (magic pfns,
 * context), then the QEMU record libxl appended. */
static void legacy(void)
{
    uint8_t page[4096];
    note("legacy", "p2m_size", 8);
    put64(4);
    note("legacy", "batch", 4);
    put32(4);
    for (uint64_t pfn = 0; pfn < 4; pfn++)
        put64(pfn);
    for (uint64_t pfn = 0; pfn < 4; pfn++) {
        for (size_t i = 0; i < sizeof(page); i++)
            page[i] = (uint8_t)(pfn * 31 + i);
        put(page, sizeof(page));
    }
    note("legacy", "end", 4);
    put32(0);
    /* The context as Xen saves it (public/arch-x86/hvm/save.h): a HEADER
     * entry (HVM_FILE_MAGIC, version 1) and the END entry. */
    note("legacy", "hvm_tail", 28 + 40);
    put64(1); put64(2); put64(3);     /* ioreq, bufioreq, store: populated */
    put32(40);
    put32(1 | 0u << 16); put32(24);             /* HEADER, instance 0 */
    put32(0x54381286); put32(1); put64(0); put32(0); put32(0);
    put32(0); put32(0);                         /* END */
    note("legacy", "qemu", 21 + 4 + 16);
    put("DeviceModelRecord0002", 21);
    put32(16);
    put("QEVM\0\0\0\3legacyqm", 16);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "input", 1, 0, 'i' }, { "output", 1, 0, 'o' },
        { "offsets", 1, 0, 'O' }, { "lv-version", 1, 0, 'V' },
        { "xml", 1, 0, 'x' }, { "xml-len", 1, 0, 'L' },
        { "unused", 1, 0, 'u' }, { "bad-magic", 0, 0, 'M' },
        { "sexp", 1, 0, 's' }, { "sig", 1, 0, 'S' },
        { "no-xenops", 0, 0, 'X' }, { "no-end", 0, 0, 'E' },
        { "no-qemu", 0, 0, 'Q' }, { "libxc-len", 1, 0, 'l' },
        { "claim", 1, 0, 'c' }, { "rec", 1, 0, 'r' }, { 0, 0, 0, 0 },
    };
    struct opts o = { .lv_version = 2, .xml = default_xml,
                      .sexp = default_sexp, .sig = "XenSavedDomv2-\n" };
    const char *inp = NULL, *outp = NULL, *offp = NULL;
    int c;

    if (argc < 2)
        die("usage: xlsr-wrap libvirt|xenopsd|libxc|legacy [options] "
            "-i IN -o OUT");
    o.recs = calloc((size_t)argc, sizeof(char *));
    optind = 2;
    while ((c = getopt_long(argc, argv, "i:o:", lo, NULL)) != -1) {
        switch (c) {
        case 'i': inp = optarg; break;
        case 'o': outp = optarg; break;
        case 'O': offp = optarg; break;
        case 'V': o.lv_version = (uint32_t)strtoul(optarg, NULL, 0); break;
        case 'x': o.xml = optarg; break;
        case 'L': o.xml_claim = (uint32_t)strtoul(optarg, NULL, 0);
                  o.has_xml_claim = 1; break;
        case 'u': o.unused_idx = (uint32_t)strtoul(optarg, NULL, 0);
                  o.unused_val = 1; o.has_unused = 1; break;
        case 'M': o.bad_magic = 1; break;
        case 's': o.sexp = optarg; break;
        case 'S': o.sig = !strcmp(optarg, "legacy") ? "XenSavedDomain\n"
                                                    : optarg; break;
        case 'X': o.no_xenops = 1; break;
        case 'E': o.no_end = 1; break;
        case 'Q': o.no_qemu = 1; break;
        case 'l': o.libxc_len = strtoull(optarg, NULL, 0); break;
        case 'c': {
            char *eq;
            o.claim_type = strtoull(optarg, &eq, 0);
            if (*eq != '=')
                die("--claim %s: TYPE=LENGTH", optarg);
            o.claim_len = strtoull(eq + 1, NULL, 0);
            o.has_claim = 1;
            break;
        }
        case 'r': o.recs[o.nrecs++] = optarg; break;
        default: exit(2);
        }
    }
    gopts = &o;
    if (!outp)
        die("-o OUT is required");
    out = !strcmp(outp, "-") ? stdout : fopen(outp, "wb");
    if (!out || (offp && !(offs = fopen(offp, "w"))))
        die("cannot create %s", outp);
    if (strlen(o.sig) != 15)
        die("--sig must be 15 bytes: %s", o.sig);
    const char *mode = argv[1];
    if (!strcmp(mode, "legacy")) {
        legacy();
    } else {
        struct input in = { 0 };
        if (!inp)
            die("-i IN is required for %s", mode);
        parse_input(&in, inp);
        if (!strcmp(mode, "libvirt"))
            libvirt(&in, &o);
        else if (!strcmp(mode, "xenopsd"))
            xenopsd(&in, &o);
        else if (!strcmp(mode, "libxc")) {
            note("libxc", "stream", in.libxc_end - in.libxc);
            put(in.p + in.libxc, in.libxc_end - in.libxc);
        } else
            die("unknown mode %s", mode);
    }
    free(o.recs);
    if (fclose(out) || (offs && fclose(offs)))
        die("closing the output: %s", strerror(errno));
    return 0;
}
