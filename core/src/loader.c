/*
 * loader.c - finds, vets and dlopen()s one plugin, and checks its
 * descriptor against the ABI this core speaks.
 *
 * A plugin name resolves only inside the configured plugin directories
 * (searched in order): a name is a file name, never a path, so a
 * configuration cannot pull code from elsewhere.  The file must be a regular
 * file (not a symlink), owned by root or by the user running xlsr, and not
 * group- or world-writable (xlsr__vet_owner_mode); each directory searched
 * must not be a symlink or world-writable: anyone who can write there
 * could run code as us.
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

/* Opens the plugin without following a symlink and vets what was opened
 * (not what the path names a moment later): the fd is then what dlopen()
 * maps, through /proc/self/fd, so the file cannot be swapped in between. */
static int open_vetted(const char *path, int *fdp, struct xlsr_error *err)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return xlsr__fail(err, XLSR_ERR_CONFIG, "refusing plugin: it is a "
                          "symbolic link (install the file itself)");
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return xlsr__fail(err, XLSR_ERR_CONFIG, "cannot load plugin: %s",
                          errno == ELOOP ? "it is a symbolic link"
                                         : strerror(errno));
    int rc = XLSR_OK;
    if (fstat(fd, &st) < 0)
        rc = xlsr__fail(err, XLSR_ERR_CONFIG, "cannot load plugin: %s",
                        strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = xlsr__fail(err, XLSR_ERR_CONFIG,
                        "refusing plugin: not a regular file");
    else
        rc = xlsr__vet_owner_mode(&st, "plugin", err);  /* + group-writable */
    if (rc)
        close(fd);
    else
        *fdp = fd;
    return rc;
}

/* A plugin directory is where code comes from: refused when it is a
 * symlink (whoever owns the link chooses the code), world-writable
 * (anyone can add or swap files), or owned by another user.  A missing
 * directory is only a search miss. */
static int vet_plugin_dir(const char *dir, struct xlsr_error *err)
{
    struct stat st;
    const char *why = NULL;
    if (lstat(dir, &st) < 0)
        return XLSR_OK;
    if (S_ISLNK(st.st_mode))
        why = "is a symbolic link: refused (configure the directory it "
              "points to)";
    else if (!S_ISDIR(st.st_mode))
        why = "is not a directory";
    else if (st.st_uid != 0 && st.st_uid != geteuid())
        why = "is owned by another user (neither root nor the running "
              "user): refused";
    else if (st.st_mode & S_IWOTH)
        return xlsr__fail(err, XLSR_ERR_CONFIG, "plugin_dir %s is "
                          "world-writable (mode %04o): refused", dir,
                          (unsigned)(st.st_mode & 07777));
    return why ? xlsr__fail(err, XLSR_ERR_CONFIG, "plugin_dir %s %s", dir,
                            why)
               : XLSR_OK;
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
    out->fd = -1;
    out->name = strdup(name);
    for (size_t i = 0; i < cfg->nplugin_dirs && out->name; i++) {
        struct stat st;
        rc = vet_plugin_dir(cfg->plugin_dirs[i], err);
        if (rc) {
            xlsr__err_where(err, "plugin '%s'", name);
            goto fail;
        }
        free(out->path);
        if (asprintf(&out->path, "%s/%s.so", cfg->plugin_dirs[i], name) < 0)
            out->path = NULL;
        if (!out->path || lstat(out->path, &st) == 0)
            break;
        if (i + 1 == cfg->nplugin_dirs) {
            xlsr__err_where(err, "plugin '%s'", name);
            rc = xlsr__fail(err, XLSR_ERR_CONFIG, "cannot load plugin: no "
                            "%s.so in plugin_dir (%s)", name,
                            cfg->plugin_dir);
            goto fail;
        }
    }
    if (!out->name || !out->path) {
        xlsr__plugin_unload(out);
        return xlsr__fail(err, XLSR_ERR_NOMEM, "out of memory");
    }
    xlsr__err_where(err, "%s", out->path);
    rc = open_vetted(out->path, &out->fd, err);
    if (rc)
        goto fail;
    char fdpath[64];
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", out->fd);
    out->dl = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL);
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
    /* Kept open while loaded: debuggers and sanitizers read the mapped
     * object back through its /proc/self/fd name. */
    if (p->fd >= 0)
        close(p->fd);
    free(p->name);
    free(p->path);
    memset(p, 0, sizeof(*p));
    p->fd = -1;
}
