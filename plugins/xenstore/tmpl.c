/*
 * tmpl.c - expansion of %variables in configured paths (see tmpl.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tmpl.h"

enum var { V_DOMID, V_DM_DOMID, V_EMU_ID, V_INDEX, V_PERCENT, V_BAD };

static const struct {
    const char *name;
    enum var var;
} vars[] = {
    /* Longest first is not needed: no name is a prefix of another. */
    { "dm_domid", V_DM_DOMID },
    { "domid", V_DOMID },
    { "emu_id", V_EMU_ID },
    { "index", V_INDEX },
    { "%", V_PERCENT },
};

/* Parses the variable after a '%' at s; *len gets its length. */
static enum var parse_var(const char *s, size_t *len)
{
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        size_t n = strlen(vars[i].name);
        if (strncmp(s, vars[i].name, n) == 0) {
            *len = n;
            return vars[i].var;
        }
    }
    *len = 0;
    return V_BAD;
}

static int bad_var(const char *tmpl, const char *at, char *err,
                   size_t errlen)
{
    snprintf(err, errlen,
             "unknown variable at '%.16s' in template '%s' (known: "
             "%%domid %%dm_domid %%emu_id %%index %%%%)", at, tmpl);
    return -1;
}

int tmpl_check(const char *tmpl, bool allow_emu, char *err, size_t errlen)
{
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%')
            continue;
        size_t n;
        enum var v = parse_var(p + 1, &n);
        if (v == V_BAD)
            return bad_var(tmpl, p, err, errlen);
        if (!allow_emu && (v == V_EMU_ID || v == V_INDEX)) {
            snprintf(err, errlen, "variable %%%.*s is not available in "
                     "template '%s'", (int)n, p + 1, tmpl);
            return -1;
        }
        p += n;
    }
    return 0;
}

int tmpl_expand(const char *tmpl, const struct tmpl_vars *v,
                char *out, size_t outlen, char *err, size_t errlen)
{
    size_t o = 0;

    if (outlen == 0) {
        snprintf(err, errlen, "no room to expand template '%s'", tmpl);
        return -1;
    }
    for (const char *p = tmpl; *p; p++) {
        char num[16];
        const char *piece = num;
        size_t plen;

        if (*p != '%') {
            num[0] = *p;
            plen = 1;
        } else {
            size_t n;
            enum var var = parse_var(p + 1, &n);
            uint32_t val = 0;

            switch (var) {
            case V_DOMID: val = v->domid; break;
            case V_DM_DOMID: val = v->dm_domid; break;
            case V_EMU_ID: val = v->emu_id; break;
            case V_INDEX: val = v->index; break;
            case V_PERCENT: break;
            case V_BAD: return bad_var(tmpl, p, err, errlen);
            }
            if ((var == V_EMU_ID || var == V_INDEX) && !v->have_emu) {
                snprintf(err, errlen, "variable %%%.*s is not available "
                         "in template '%s'", (int)n, p + 1, tmpl);
                return -1;
            }
            if (var == V_PERCENT) {
                num[0] = '%';
                plen = 1;
            } else {
                plen = (size_t)snprintf(num, sizeof(num), "%" PRIu32, val);
            }
            p += n;
        }
        if (o + plen >= outlen) {
            snprintf(err, errlen, "template '%s' expands to more than %zu "
                     "bytes", tmpl, outlen - 1);
            return -1;
        }
        memcpy(out + o, piece, plen);
        o += plen;
    }
    out[o] = '\0';
    return 0;
}
