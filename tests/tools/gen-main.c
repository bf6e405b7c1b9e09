/*
 * tests/tools/gen-main.c - xlsr-gen's command line and the libxl level of
 * the stream: optional xl header, libxl header, the records in command-line
 * order (a --libxc item expands to LIBXC_CONTEXT plus a whole libxc
 * stream), END, trailing junk.  Tests everywhere code against this CLI:
 * options may be added, never renamed.
 */
#include "gen.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SEED 0x5eedull

static const char usage_text[] =
"usage: xlsr-gen [options] -o FILE|-\n"
" Framing:\n"
"  --xl-header             prepend the `xl save` header (JSON config)\n"
"  --xl-config FILE        JSON config to embed (default: built-in)\n"
"  --xl-mandatory N        xl mandatory flags (default 3)\n"
"  --xl-optional N         xl optional flags (default 0)\n"
"  --xl-optlen N           claim N as the optional data length\n"
"  --ident HEX  --libxl-version N  --libxl-options N\n"
" Records (in command-line order; END is appended last):\n"
"  --rec TYPE[:BODY][,len=N][,pad=HEX]\n"
"     TYPE: end libxc_context emulator_xenstore_data emulator_context\n"
"           checkpoint_end checkpoint_state, or a number\n"
"     BODY: hex:0011aa | str:text | zero:N | rand:N[:SEED] | file:PATH |\n"
"           emu:ID:IDX:HEX | xs:ID:IDX:k=v;k2=v2 | emublob:ID:IDX:N[:SEED] |\n"
"           state:CONTROL_ID   (numbers take K/M/G suffixes)\n"
"  --libxc pv|hvm          LIBXC_CONTEXT + a complete libxc stream\n"
"  --no-end  --trailing N  --little  --big\n"
" libxc content:\n"
"  --libxc-version 2|3  --pages N  --batch B  --xtab N  --page-seed S\n"
"  --libxc-corrupt NAME    (--list-corruptions lists them)\n"
" Checkpointed streams:\n"
"  --checkpoints N --remus|--colo  --ckpt-rec SPEC  --ckpt-final-end\n"
"     ({K} in a --ckpt-rec SPEC becomes the checkpoint number)\n"
" Other:\n"
"  --offsets FILE  --example  --seed S (also seeds pages when given)\n";

enum {
    O_XL = 256, O_XL_CONFIG, O_XL_MAND, O_XL_OPT, O_XL_OPTLEN, O_IDENT,
    O_LIBXL_VERSION, O_LIBXL_OPTIONS, O_REC, O_LIBXC, O_NO_END, O_TRAILING,
    O_LITTLE, O_BIG, O_LXC_VERSION, O_PAGES, O_BATCH, O_XTAB, O_PAGE_SEED,
    O_CORRUPT, O_CHECKPOINTS, O_REMUS, O_COLO, O_CKPT_REC, O_CKPT_FINAL,
    O_OFFSETS, O_EXAMPLE, O_SEED, O_LIST_CORRUPT,
};

static const struct option long_opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { "xl-header", no_argument, NULL, O_XL },
    { "xl-config", required_argument, NULL, O_XL_CONFIG },
    { "xl-mandatory", required_argument, NULL, O_XL_MAND },
    { "xl-optional", required_argument, NULL, O_XL_OPT },
    { "xl-optlen", required_argument, NULL, O_XL_OPTLEN },
    { "ident", required_argument, NULL, O_IDENT },
    { "libxl-version", required_argument, NULL, O_LIBXL_VERSION },
    { "libxl-options", required_argument, NULL, O_LIBXL_OPTIONS },
    { "rec", required_argument, NULL, O_REC },
    { "libxc", required_argument, NULL, O_LIBXC },
    { "no-end", no_argument, NULL, O_NO_END },
    { "trailing", required_argument, NULL, O_TRAILING },
    { "little", no_argument, NULL, O_LITTLE },
    { "big", no_argument, NULL, O_BIG },
    { "libxc-version", required_argument, NULL, O_LXC_VERSION },
    { "pages", required_argument, NULL, O_PAGES },
    { "batch", required_argument, NULL, O_BATCH },
    { "xtab", required_argument, NULL, O_XTAB },
    { "page-seed", required_argument, NULL, O_PAGE_SEED },
    { "libxc-corrupt", required_argument, NULL, O_CORRUPT },
    { "checkpoints", required_argument, NULL, O_CHECKPOINTS },
    { "remus", no_argument, NULL, O_REMUS },
    { "colo", no_argument, NULL, O_COLO },
    { "ckpt-rec", required_argument, NULL, O_CKPT_REC },
    { "ckpt-final-end", no_argument, NULL, O_CKPT_FINAL },
    { "offsets", required_argument, NULL, O_OFFSETS },
    { "example", no_argument, NULL, O_EXAMPLE },
    { "seed", required_argument, NULL, O_SEED },
    { "list-corruptions", no_argument, NULL, O_LIST_CORRUPT },
    { NULL, 0, NULL, 0 },
};

/* What the CLI collects before anything is parsed that needs --seed. */
struct cli {
    const char *output, *offsets;
    const char **specs;   /* per item: the --rec spec, or NULL for --libxc */
};

static void usage_fail(const char *what, const char *arg)
    __attribute__((noreturn));

static void usage_fail(const char *what, const char *arg)
{
    gen_die(GEN_EXIT_USAGE, "%s '%s' (see --help)", what, arg ? arg : "");
}

static uint64_t num(const char *opt, const char *arg, uint64_t max)
{
    uint64_t v;

    if (parse_u64(arg, &v) || v > max)
        usage_fail(opt, arg);
    return v;
}

static void add_item(struct gen *g, struct cli *c, const char *spec, int pv)
{
    struct item *it = realloc(g->items, (g->nitems + 1) * sizeof(*it));
    const char **s = realloc(c->specs, (g->nitems + 1) * sizeof(*s));

    if (!it || !s)
        gen_die(GEN_EXIT_IO, "out of memory");
    g->items = it;
    c->specs = s;
    memset(&it[g->nitems], 0, sizeof(*it));
    it[g->nitems].kind = spec ? ITEM_REC : ITEM_LIBXC;
    it[g->nitems].pv = pv;
    it[g->nitems].rec.body.fd = -1;
    s[g->nitems] = spec;
    g->nitems++;
}

/* The bundled example's EMULATOR_CONTEXT: 4 KiB starting "QEVM", v3. */
static char *example_blob_spec(void)
{
    static const char head[] = "emulator_context:emu:2:0:5145564d00000003";
    size_t n = 4096 - 8, i, len = sizeof(head) - 1;
    char *s = malloc(len + 2 * n + 1);
    uint64_t st = 0x51454d55ull;
    unsigned char b[4096];

    if (!s)
        gen_die(GEN_EXIT_IO, "out of memory");
    memcpy(s, head, len);
    prng_fill(&st, b, n);
    for (i = 0; i < n; i++)
        snprintf(s + len + 2 * i, 3, "%02x", b[i]);
    return s;
}

/* --example is a preset: it expands in place into ordinary options. */
static char **expand_example(int *argc, char **argv, char **blob)
{
    static const char *const preset[] = {
        "--xl-header", "--libxc", "hvm", "--pages", "16", "--rec",
        "emulator_xenstore_data:xs:2:0:"
        "physmap/f0000000/start_addr=f0000000;"
        "physmap/f0000000/size=800000",
        "--rec", NULL,
    };
    size_t np = sizeof(preset) / sizeof(preset[0]), i, j, n = 0;
    char **v;

    *blob = NULL;
    for (i = 1; i < (size_t)*argc; i++)
        if (strcmp(argv[i], "--example") == 0)
            n++;
    if (!n)
        return argv;
    *blob = example_blob_spec();
    v = calloc((size_t)*argc + n * np + 1, sizeof(*v));
    if (!v)
        gen_die(GEN_EXIT_IO, "out of memory");
    for (i = 0, j = 0; i < (size_t)*argc; i++) {
        size_t k;

        if (i == 0 || strcmp(argv[i], "--example") != 0) {
            v[j++] = argv[i];
            continue;
        }
        for (k = 0; k < np; k++)
            v[j++] = preset[k] ? (char *)preset[k] : *blob;
    }
    *argc = (int)j;
    return v;
}

static void parse_args(struct gen *g, struct cli *c, int argc, char **argv)
{
    int opt;

    while ((opt = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'o': c->output = optarg; break;
        case 'h': fputs(usage_text, stdout); exit(0);
        case O_XL: g->xl = 1; break;
        case O_XL_CONFIG: g->xl_config = optarg; break;
        case O_XL_MAND:
            g->xl_mandatory = (uint32_t)num("--xl-mandatory", optarg, ~0u);
            break;
        case O_XL_OPT:
            g->xl_optional = (uint32_t)num("--xl-optional", optarg, ~0u);
            break;
        case O_XL_OPTLEN:
            g->has_xl_optlen = 1;
            g->xl_optlen = (uint32_t)num("--xl-optlen", optarg, ~0u);
            break;
        case O_IDENT: {
            char *end;

            g->ident = strtoull(optarg, &end, 16);
            if (!*optarg || *end)
                usage_fail("bad --ident", optarg);
            break;
        }
        case O_LIBXL_VERSION:
            g->version = (uint32_t)num("--libxl-version", optarg, ~0u);
            break;
        case O_LIBXL_OPTIONS:
            g->has_options = 1;
            g->options = (uint32_t)num("--libxl-options", optarg, ~0u);
            break;
        case O_REC: add_item(g, c, optarg, 0); break;
        case O_LIBXC:
            if (strcmp(optarg, "pv") && strcmp(optarg, "hvm"))
                usage_fail("--libxc takes pv or hvm, not", optarg);
            add_item(g, c, NULL, optarg[0] == 'p');
            break;
        case O_NO_END: g->no_end = 1; break;
        case O_TRAILING: g->trailing = num("--trailing", optarg, ~0ull); break;
        case O_LITTLE: g->big = 0; break;
        case O_BIG: g->big = 1; break;
        case O_LXC_VERSION:
            g->lxc_version = (uint32_t)num("--libxc-version", optarg, 3);
            if (g->lxc_version < 2)
                usage_fail("--libxc-version takes 2 or 3, not", optarg);
            break;
        case O_PAGES: g->pages = num("--pages", optarg, 0xffffffffull); break;
        case O_BATCH:
            /* the whole PAGE_DATA body must fit a u32 body_length */
            g->batch = (uint32_t)num("--batch", optarg,
                                     (GEN_MAX_BODY - 8) / (8 + GEN_PAGE));
            if (!g->batch)
                usage_fail("--batch must be at least 1, not", optarg);
            break;
        case O_XTAB: g->xtab = num("--xtab", optarg, ~0ull); break;
        case O_PAGE_SEED:
            g->page_seeded = 2;
            g->page_seed = num("--page-seed", optarg, ~0ull);
            break;
        case O_CORRUPT:
            if (lxc_corrupt_parse(optarg, &g->corrupt))
                usage_fail("unknown --libxc-corrupt", optarg);
            break;
        case O_CHECKPOINTS:
            g->checkpoints = (unsigned)num("--checkpoints", optarg, 1000000);
            break;
        case O_REMUS: g->colo = 0; break;
        case O_COLO: g->colo = 1; break;
        case O_CKPT_REC: {
            char **s = realloc(g->ckpt_specs, (g->nckpt + 1) * sizeof(*s));

            if (!s)
                gen_die(GEN_EXIT_IO, "out of memory");
            g->ckpt_specs = s;
            s[g->nckpt++] = optarg;
            break;
        }
        case O_CKPT_FINAL: g->final_end = 1; break;
        case O_OFFSETS: c->offsets = optarg; break;
        case O_SEED:
            g->seed_given = 1;
            g->seed = num("--seed", optarg, ~0ull);
            break;
        case O_LIST_CORRUPT: lxc_corrupt_list(stdout); exit(0);
        default:
            fputs(usage_text, stderr);
            exit(GEN_EXIT_USAGE);
        }
    }
    if (optind < argc)
        usage_fail("unexpected argument", argv[optind]);
    if (!c->output)
        usage_fail("missing -o FILE|-; got", "");
}

/* "{K}" -> the checkpoint number, so checkpoints can differ. */
static char *subst_k(const char *spec, unsigned k)
{
    char num_s[16], *out;
    size_t n = strlen(spec), cnt = 0, i, j;
    const char *p;

    snprintf(num_s, sizeof(num_s), "%u", k);
    for (p = spec; (p = strstr(p, "{K}")) != NULL; p += 3)
        cnt++;
    out = malloc(n + cnt * strlen(num_s) + 1);
    if (!out)
        gen_die(GEN_EXIT_IO, "out of memory");
    for (i = 0, j = 0; i < n;) {
        if (strncmp(spec + i, "{K}", 3) == 0) {
            memcpy(out + j, num_s, strlen(num_s));
            j += strlen(num_s);
            i += 3;
        } else {
            out[j++] = spec[i++];
        }
    }
    out[j] = '\0';
    return out;
}

static void parse_spec(struct gen *g, const char *opt, const char *spec,
                       struct rec_spec *r)
{
    char err[256];

    if (rec_spec_parse(spec, g->seed, r, err, sizeof(err)))
        gen_die(GEN_EXIT_USAGE, "%s '%s': %s", opt, spec, err);
}

static void write_rec(struct gen *g, const struct rec_spec *r, unsigned ckpt)
{
    uint64_t len = body_len(&r->body);

    rec_begin(&g->out, LVL_LIBXL, r->type, len, g->big, &r->ov, ckpt);
    body_emit(&g->out, &r->body);
    rec_end(&g->out, len, &r->ov);
}

void libxl_ckpt_write(struct gen *g, unsigned ckpt)
{
    size_t i;

    for (i = 0; i < g->nckpt; i++) {
        char *spec = subst_k(g->ckpt_specs[i], ckpt);
        struct rec_spec r;

        parse_spec(g, "--ckpt-rec", spec, &r);
        write_rec(g, &r, ckpt);
        body_free(&r.body);
        free(spec);
    }
    rec_small(&g->out, LVL_LIBXL, 4, NULL, 0, g->big, ckpt); /* CHECKPOINT_END */
}

/* Checks that need the whole command line; parses the record specs. */
static void finish_args(struct gen *g, struct cli *c)
{
    size_t i, first_lxc = (size_t)-1;
    int page_corrupt = g->corrupt == LXC_PAGEDATA_COUNT ||
        g->corrupt == LXC_PAGEDATA_RESERVED ||
        g->corrupt == LXC_PFN_RESERVED ||
        (g->corrupt >= LXC_PAGE_TYPE_5 && g->corrupt <= LXC_PAGE_TYPE_8);

    if (!g->seed_given)
        g->seed = DEFAULT_SEED;
    else if (!g->page_seeded) {
        g->page_seeded = 1;
        g->page_seed = g->seed;
    }
    for (i = 0; i < g->nitems; i++) {
        if (c->specs[i])
            parse_spec(g, "--rec", c->specs[i], &g->items[i].rec);
        else if (first_lxc == (size_t)-1)
            first_lxc = i;
    }
    for (i = 0; i < g->nckpt; i++) {
        char *spec = subst_k(g->ckpt_specs[i], 1);
        struct rec_spec r;

        parse_spec(g, "--ckpt-rec", spec, &r);   /* fail early */
        body_free(&r.body);
        free(spec);
    }
    if (page_corrupt && !g->pages)
        gen_die(GEN_EXIT_USAGE, "this --libxc-corrupt needs --pages >= 1");
    if ((g->checkpoints || g->nckpt) && first_lxc == (size_t)-1)
        gen_die(GEN_EXIT_USAGE, "checkpoints need --libxc pv|hvm");
    if (g->checkpoints && !g->final_end && first_lxc + 1 < g->nitems)
        gen_die(GEN_EXIT_USAGE, "a checkpointed stream ends after its last "
                "checkpoint: records after --libxc need --ckpt-final-end");
}

int main(int argc, char **argv)
{
    struct gen g;
    struct cli c;
    char *blob;
    unsigned char h[16];
    size_t i;
    int stop = 0, pv = 1;

    memset(&g, 0, sizeof(g));
    memset(&c, 0, sizeof(c));
    g.ident = 0x4c6962786c466d74ull;        /* "LibxlFmt" */
    g.version = 2;
    g.xl_mandatory = 3;                     /* JSON config | libxl v2 */
    g.lxc_version = 3;
    g.pages = 4;
    g.batch = 1024;
    argv = expand_example(&argc, argv, &blob);
    parse_args(&g, &c, argc, argv);
    finish_args(&g, &c);

    /* The xl config's guest type: the libxc stream's, else HVM when an
     * emulator record is there (libxl accepts those for HVM only). */
    for (i = 0; i < g.nitems; i++)
        if (g.items[i].kind == ITEM_REC && (g.items[i].rec.type == 2 ||
                                            g.items[i].rec.type == 3))
            pv = 0;
    for (i = 0; i < g.nitems; i++)
        if (g.items[i].kind == ITEM_LIBXC) {
            pv = g.items[i].pv;
            break;
        }
    out_open(&g.out, c.output, c.offsets);
    if (g.xl)
        xl_header_write(&g, pv);
    /* libxl header: big-endian whatever the endianness bit says. */
    put_be64(h, g.ident);
    put_be32(h + 8, g.version);
    put_be32(h + 12, g.has_options ? g.options : g.big ? 1u : 0u);
    out_bytes(&g.out, h, sizeof(h));

    for (i = 0; i < g.nitems && !stop; i++) {
        if (g.items[i].kind == ITEM_LIBXC)
            stop = libxc_write(&g, g.items[i].pv);
        else
            write_rec(&g, &g.items[i].rec, 0);
    }
    if (!stop && !g.no_end)
        rec_small(&g.out, LVL_LIBXL, 0, NULL, 0, g.big, 0);
    out_fill(&g.out, 'x', g.trailing);
    out_close(&g.out);

    for (i = 0; i < g.nitems; i++)
        body_free(&g.items[i].rec.body);
    free(g.items);
    free(c.specs);
    free(g.ckpt_specs);
    if (blob) {
        free(blob);
        free(argv);
    }
    return 0;
}
