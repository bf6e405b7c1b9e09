/*
 * loader.c - finds, vets and dlopen()s one plugin, and checks its
 * descriptor against the ABI this core speaks.
 *
 * A plugin name resolves only inside the configured plugin directories
 * (searched in order): a name is a file name, never a path, so a
 * configuration cannot pull code from elsewhere.  The file must be a regular file (not a symlink), owned by
 * root or by the user running xlsr, and not writable by others: anyone who
 * can write it could run code as us.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static bool valid_name(const char *name)
{
    if (!*name || name[0] == '.')
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
              *c == '.'))
            return false;
    return true;
}

static int vet_file(const char *path, struct xlsr_error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return xlsr__fail(err, XLSR_ERR_CONFIG, "cannot load plugin: %s",
                          strerror(errno));
    if (S_ISLNK(st.st_mode))
        return xlsr__fail(err, XLSR_ERR_CONFIG, "refusing plugin: it is a "
                          "symbolic link (install the file itself)");
    if (!S_ISREG(st.st_mode))
        return xlsr__fail(err, XLSR_ERR_CONFIG,
                          "refusing plugin: not a regular file");
    if (st.st_uid != 0 && st.st_uid != geteuid())
        return xlsr__fail(err, XLSR_ERR_CONFIG, "refusing plugin: owned by "
                          "uid %u, neither root nor the running user (uid %u)",
                          (unsigned)st.st_uid, (unsigned)geteuid());
    if (st.st_mode & S_IWOTH)
        return xlsr__fail(err, XLSR_ERR_CONFIG, "refusing plugin: it is "
                          "world-writable (mode %04o)",
                          (unsigned)(st.st_mode & 07777));
    return XLSR_OK;
}

static int check_desc(const struct xlsr_plugin *d, struct xlsr_error *err)
{
    if (!d)
        return xlsr__fail(err, XLSR_ERR_CONFIG,
                          "entry point returned no descriptor");
    if (d->abi_major != XLSR_ABI_MAJOR)
        return xlsr__fail(err, XLSR_ERR_CONFIG, "plugin ABI %u.%u, xlsr "
                          "speaks %u.%u: the major version must match "
                          "(rebuild the plugin against this xlsr)",
                          d->abi_major, d->abi_minor, XLSR_ABI_MAJOR,
                          XLSR_ABI_MINOR);
    if (d->abi_minor > XLSR_ABI_MINOR)
        return xlsr__fail(err, XLSR_ERR_CONFIG, "plugin ABI %u.%u is newer "
                          "than this xlsr's %u.%u (upgrade xlsr, or build the "
                          "plugin against the older SDK)", d->abi_major,
                          d->abi_minor, XLSR_ABI_MAJOR, XLSR_ABI_MINOR);
    if (d->size < offsetof(struct xlsr_plugin, fini) + sizeof(d->fini))
        return xlsr__fail(err, XLSR_ERR_CONFIG, "descriptor size %u is "
                          "smaller than ABI %u.0's", d->size, XLSR_ABI_MAJOR);
    if (!d->name || !d->version)
        return xlsr__fail(err, XLSR_ERR_CONFIG,
                          "descriptor has no name or version");
    return XLSR_OK;
}

int xlsr__plugin_load(const struct xlsr_config *cfg, const char *name,
                      struct xlsr_loaded *out, struct xlsr_error *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (!valid_name(name)) {
        xlsr__err_where(err, "plugin '%s'", name);
        return xlsr__fail(err, XLSR_ERR_CONFIG, "a plugin is named by its "
                          "file name in plugin_dir (%s), without '/'",
                          cfg->plugin_dir);
    }
    out->name = strdup(name);
    for (size_t i = 0; i < cfg->nplugin_dirs && out->name; i++) {
        struct stat st;
        free(out->path);
        if (asprintf(&out->path, "%s/%s.so", cfg->plugin_dirs[i], name) < 0)
            out->path = NULL;
        if (!out->path || lstat(out->path, &st) == 0)
            break;
    }
    if (!out->name || !out->path) {
        xlsr__plugin_unload(out);
        return xlsr__fail(err, XLSR_ERR_NOMEM, "out of memory");
    }
    xlsr__err_where(err, "%s", out->path);
    rc = vet_file(out->path, err);
    if (rc)
        goto fail;
    out->dl = dlopen(out->path, RTLD_NOW | RTLD_LOCAL);
    if (!out->dl) {
        rc = xlsr__fail(err, XLSR_ERR_CONFIG, "dlopen failed: %s",
                        dlerror());
        goto fail;
    }
    dlerror();
    void *sym = dlsym(out->dl, XLSR_PLUGIN_ENTRY);
    if (!sym) {
        const char *e = dlerror();
        rc = xlsr__fail(err, XLSR_ERR_CONFIG, "no entry point [%s] in "
                        "shared library (%s)", XLSR_PLUGIN_ENTRY,
                        e ? e : "symbol is NULL");
        goto fail;
    }
    xlsr_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof(entry));    /* object -> function pointer */
    out->desc = entry();
    rc = check_desc(out->desc, err);
    if (rc)
        goto fail;
    err->where[0] = '\0';
    return XLSR_OK;
fail:
    xlsr__plugin_unload(out);
    return rc;
}

void xlsr__plugin_unload(struct xlsr_loaded *p)
{
    if (p->dl)
        dlclose(p->dl);
    free(p->name);
    free(p->path);
    memset(p, 0, sizeof(*p));
}
