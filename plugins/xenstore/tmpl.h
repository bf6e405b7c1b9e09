/*
 * tmpl.h - path templates shared by the xenstore and emulator plugins.
 *
 * Syntax: literal text with variables introduced by '%':
 *   %domid     the restored domain's id          (--domid)
 *   %dm_domid  the domain running the device model (--dm-domid)
 *   %emu_id    emulator_id of the record (emulator plugin only)
 *   %index     index of the record       (emulator plugin only)
 *   %%         a literal '%'
 * Anything else after '%' is a configuration error, so a typo never
 * silently becomes part of a path.
 */
#ifndef XLSR_PLUGINS_TMPL_H
#define XLSR_PLUGINS_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tmpl_vars {
    uint32_t domid;
    uint32_t dm_domid;
    bool have_emu;              /* emu_id / index are meaningful */
    uint32_t emu_id;
    uint32_t index;
};

/* Checks the syntax; with allow_emu false, %emu_id and %index are refused.
 * 0, or -1 with a reason in err. */
int tmpl_check(const char *tmpl, bool allow_emu, char *err, size_t errlen);

/* Expands tmpl into out (NUL terminated).  0, or -1 with a reason in err
 * (bad syntax, result longer than outlen - 1). */
int tmpl_expand(const char *tmpl, const struct tmpl_vars *v,
                char *out, size_t outlen, char *err, size_t errlen);

#endif
