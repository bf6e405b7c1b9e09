/*
 * tests/tools/gen-xl.c - the `xl save` wrapper: 32-byte magic, four u32
 * in the saving host's order (byte-order marker, mandatory flags, optional
 * flags, optional data length), then the optional data, which `xl save`
 * makes of a u32 config length and the JSON config, NUL included.
 * (Checked against a real Xen 4.17 save image in corpus/real: optional
 * data length 846 = 4 + 842 bytes of config.)
 */
#include "gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define XL_MAGIC "Xen saved domain, xl format\n \0 \r"
#define XL_MAX_CONFIG (16u << 20)

static const char default_config[] =
    "{\n"
    "    \"c_info\": {\n"
    "        \"type\": \"%s\",\n"
    "        \"name\": \"gen-guest\",\n"
    "        \"uuid\": \"5e1f0c2a-0000-4000-8000-000000000001\"\n"
    "    },\n"
    "    \"b_info\": {\n"
    "        \"max_vcpus\": 1,\n"
    "        \"avail_vcpus\": [\n"
    "            0\n"
    "        ],\n"
    "        \"max_memkb\": 131072,\n"
    "        \"target_memkb\": 131072,\n"
    "        \"type.%s\": {\n"
    "\n"
    "        }\n"
    "    }\n"
    "}\n";

/* Returns the config text with its NUL; *len counts the NUL. */
static char *config_text(const char *path, int pv, size_t *len)
{
    const char *t = pv ? "pv" : "hvm";
    char *s;
    FILE *f;
    size_t n = 0, cap = 4096;

    if (!path) {
        if (asprintf(&s, default_config, t, t) < 0)
            gen_die(GEN_EXIT_IO, "out of memory");
        *len = strlen(s) + 1;
        return s;
    }
    f = fopen(path, "rb");
    if (!f)
        gen_die(GEN_EXIT_USAGE, "--xl-config %s: %s", path, strerror(errno));
    s = malloc(cap);
    for (;;) {
        size_t r;

        if (!s)
            gen_die(GEN_EXIT_IO, "out of memory");
        r = fread(s + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
        if (n + 1 == cap) {
            if (cap >= XL_MAX_CONFIG)
                gen_die(GEN_EXIT_USAGE, "--xl-config %s: too large", path);
            cap *= 2;
            s = realloc(s, cap);
        }
    }
    if (ferror(f))
        gen_die(GEN_EXIT_IO, "--xl-config %s: read error", path);
    fclose(f);
    s[n] = '\0';
    *len = n + 1;
    return s;
}

void xl_header_write(struct gen *g, int pv)
{
    size_t clen;
    char *cfg = config_text(g->xl_config, pv, &clen);
    unsigned char h[20];

    out_bytes(&g->out, XL_MAGIC, 32);
    put_le32(h, 0x01020304);
    put_le32(h + 4, g->xl_mandatory);
    put_le32(h + 8, g->xl_optional);
    put_le32(h + 12, g->has_xl_optlen ? g->xl_optlen : (uint32_t)(clen + 4));
    put_le32(h + 16, (uint32_t)clen);
    out_bytes(&g->out, h, sizeof(h));
    out_bytes(&g->out, cfg, clen);
    free(cfg);
}
