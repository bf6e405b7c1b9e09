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
 *
 * Naming the object to dlopen().  The vetted fd is mapped through its
 * /proc/self/fd/N name, so what runs is what was vetted.  But glibc
 * matches an already loaded object by name before it opens anything, and
 * by file identity (st_dev, st_ino) after, adding the new name to the
 * object's aliases: once fd N is closed while its object stays loaded
 * (another session holds it), "/proc/self/fd/N" names that object for
 * ever, and the next plugin opened on fd N is handed it.  So the loader
 * keeps a process-wide registry of the objects it loaded, keyed by file
 * identity: one dlopen() per object, on one fd that stays open for as long
 * as the object is resident (even after our last dlclose(), if something
 * else keeps it mapped: then the fd, and so its name, is parked).  Every
 * load still opens and vets the file at its path; a registry hit then
 * shares the object instead of dlopen()ing another name.  The registry
 * mirrors the dynamic linker's own process-wide table and is the core's
 * only global state, behind one mutex.  Names the registry does not own
 * (the embedder's own fd names) can still go stale: so when dlopen()
 * hands back an object that was loaded before it (its load address was in
 * dl_iterate_phdr()'s list just before), /proc/self/maps must say that
 * the object is mapped from the vetted file before its entry point is
 * called.  A new load address proves the dlopen() mapped the vetted fd
 * afresh, and spares that check (a fifth of a four-plugin start-up: the
 * kernel prints the whole map).  At the last dlclose(), dl_iterate_phdr()
 * tells whether the object is still resident, by its load address.
 */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
static int open_vetted(const char *path, int *fdp, struct stat *stp,
                       struct xlsr_error *err)
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
    if (rc) {
        close(fd);
    } else {
        *fdp = fd;
        *stp = st;
    }
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

/* --- the registry ----------------------------------------------------- */

struct xlsr_dso {
    dev_t dev;
    ino_t ino;
    struct timespec mtime;      /* to catch a file rewritten in place */
    off_t size;
    int fd;                     /* its dlopen() name is /proc/self/fd/fd */
    void *dl;                   /* NULL while parked (refs == 0) */
    uintptr_t base;             /* its load address (l_addr) */
    const struct xlsr_plugin *desc;
    unsigned refs;              /* loads holding it */
    struct xlsr_dso *next;
};

static pthread_mutex_t dso_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xlsr_dso *dsos;

static void fd_name(int fd, char *buf, size_t len)
{
    snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static int has_base(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    return info->dlpi_addr == *(const uintptr_t *)arg;
}

/* Whether an object loaded at base is still in the dynamic linker's list.
 * Another object mapped there since (a concurrent dlopen() elsewhere in
 * the process) only parks the fd for nothing: never the unsafe way. */
static bool resident(uintptr_t base)
{
    return dl_iterate_phdr(has_base, &base) != 0;
}

/* Drops a reference; at zero, dlclose()s and frees the entry unless the
 * object is still mapped (another holder, RTLD_NODELETE, a C++ unique
 * symbol...): then its fd stays open so that its name never names another
 * file.  Called with dso_lock held. */
static void dso_put(struct xlsr_dso *d)
{
    if (--d->refs)
        return;
    bool still = d->dl != NULL;
    if (d->dl) {
        dlclose(d->dl);
        still = resident(d->base);
    }
    d->dl = NULL;
    d->desc = NULL;
    if (still)
        return;                 /* parked */
    for (struct xlsr_dso **pp = &dsos; *pp; pp = &(*pp)->next) {
        if (*pp == d) {
            *pp = d->next;
            break;
        }
    }
    close(d->fd);
    free(d);
}

/* Whether the page at addr is mapped from the file (dev, ino): what
 * /proc/self/maps says.  The dynamic linker returns an object it already
 * has when the name matches, whatever file the name means now: a stale
 * /proc/self/fd name left by someone else in this process would hand us a
 * foreign object, and this catches it before any of its code is called. */
static bool mapped_from(const void *addr, dev_t dev, ino_t ino)
{
    FILE *f = fopen("/proc/self/maps", "re");
    char line[512];
    bool ok = false;
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi, inode;
        unsigned maj, min;
        char *e;
        /* The range first, by hand: sscanf() of every line of the map was
         * most of this check's cost, at each plugin load. */
        lo = strtoul(line, &e, 16);
        if (*e != '-')
            continue;
        hi = strtoul(e + 1, NULL, 16);
        if ((uintptr_t)addr < lo || (uintptr_t)addr >= hi)
            continue;
        if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &lo, &hi, &maj, &min,
                   &inode) != 5)
            continue;
        ok = maj == major(dev) && min == minor(dev) && inode == ino;
        break;
    }
    fclose(f);
    return ok;
}

/* The load addresses of the objects loaded before a dlopen(): if it
 * hands back one of them, it matched a name or file it already had, and
 * that object must be proven ours (mapped_from).  A list walk in the
 * process, where an RTLD_NOLOAD probe made the dynamic linker open and
 * read the file (a fifth of each plugin's load). */
#define LOADED_MAX 256
struct loaded {
    size_t n;
    bool overflow;
    uintptr_t base[LOADED_MAX];
};

static int note_loaded(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct loaded *l = arg;
    (void)size;
    if (l->n == LOADED_MAX)
        l->overflow = true;
    else
        l->base[l->n++] = info->dlpi_addr;
    return 0;
}

/* Too many objects to list: every dlopen() is then treated as a match. */
static bool was_loaded(const struct loaded *l, uintptr_t base)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->base[i] == base)
            return true;
    return l->overflow;
}

/* dlopen() of the entry's name, its entry point and descriptor check.
 * Called with dso_lock held, on an entry holding a reference. */
static int dso_open(struct xlsr_dso *d, struct xlsr_error *err)
{
    char name[64];
    if (d->dl)
        return XLSR_OK;
    fd_name(d->fd, name, sizeof(name));
    struct loaded before = { .n = 0 };
    (void)dl_iterate_phdr(note_loaded, &before);
    d->dl = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!d->dl)
        return xlsr__fail(err, XLSR_ERR_CONFIG, "dlopen failed: %s",
                          dlerror());
    struct link_map *lm = NULL;
    if (dlinfo(d->dl, RTLD_DI_LINKMAP, &lm) == 0 && lm)
        d->base = (uintptr_t)lm->l_addr;
    bool known = !lm || was_loaded(&before, d->base);
    dlerror();
    void *sym = dlsym(d->dl, XLSR_PLUGIN_ENTRY);
    if (!sym) {
        const char *e = dlerror();
        return xlsr__fail(err, XLSR_ERR_CONFIG, "no entry point [%s] in "
                          "shared library (%s)", XLSR_PLUGIN_ENTRY,
                          e ? e : "symbol is NULL");
    }
    if (known && !mapped_from(sym, d->dev, d->ino))
        return xlsr__fail(err, XLSR_ERR_CONFIG, "refusing plugin: the "
                          "dynamic linker handed out an object mapped from "
                          "another file for %s (a stale /proc/self/fd name "
                          "of something else in this process?)", name);
    xlsr_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof(entry));    /* object -> function pointer */
    const struct xlsr_plugin *desc = entry();
    int rc = check_desc(desc, err);
    if (!rc)
        d->desc = desc;
    return rc;
}

/* The registry entry for the vetted file on fd (taking the fd), with a
 * reference for the caller. */
static int dso_get(int fd, const struct stat *st, struct xlsr_dso **out,
                   struct xlsr_error *err)
{
    struct xlsr_dso *d;
    int rc = XLSR_OK;

    pthread_mutex_lock(&dso_lock);
    for (d = dsos; d; d = d->next)
        if (d->dev == st->st_dev && d->ino == st->st_ino)
            break;
    if (d) {
        close(fd);
        if (d->size != st->st_size || d->mtime.tv_sec != st->st_mtim.tv_sec ||
            d->mtime.tv_nsec != st->st_mtim.tv_nsec) {
            /* glibc would hand out the old mapping of this inode. */
            pthread_mutex_unlock(&dso_lock);
            return xlsr__fail(err, XLSR_ERR_CONFIG, "refusing plugin: the "
                              "file was rewritten in place since this "
                              "process loaded it (install a new file, as "
                              "install(1) or mv do, never write into a "
                              "loaded one)");
        }
    } else {
        d = calloc(1, sizeof(*d));
        if (!d) {
            close(fd);
            pthread_mutex_unlock(&dso_lock);
            return xlsr__fail(err, XLSR_ERR_NOMEM, "out of memory");
        }
        d->dev = st->st_dev;
        d->ino = st->st_ino;
        d->mtime = st->st_mtim;
        d->size = st->st_size;
        d->fd = fd;
        d->next = dsos;
        dsos = d;
    }
    d->refs++;
    rc = dso_open(d, err);
    if (rc)
        dso_put(d);
    else
        *out = d;
    pthread_mutex_unlock(&dso_lock);
    return rc;
}

/* --- loading ----------------------------------------------------------- */

int xlsr__plugin_load(const struct xlsr_config *cfg, const char *name,
                      struct xlsr_loaded *out, struct xlsr_error *err)
{
    struct stat st;
    int rc, fd = -1;

    memset(out, 0, sizeof(*out));
    if (!valid_name(name)) {
        xlsr__err_where(err, "plugin '%s'", name);
        return xlsr__fail(err, XLSR_ERR_CONFIG, "a plugin is named by its "
                          "file name in plugin_dir (%s), without '/'",
                          cfg->plugin_dir);
    }
    out->name = strdup(name);
    for (size_t i = 0; i < cfg->nplugin_dirs && out->name; i++) {
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
    rc = open_vetted(out->path, &fd, &st, err);
    if (!rc)
        rc = dso_get(fd, &st, &out->dso, err);
    if (rc)
        goto fail;
    out->desc = out->dso->desc;
    err->where[0] = '\0';
    return XLSR_OK;
fail:
    xlsr__plugin_unload(out);
    return rc;
}

void xlsr__plugin_unload(struct xlsr_loaded *p)
{
    if (p->dso) {
        pthread_mutex_lock(&dso_lock);
        dso_put(p->dso);
        pthread_mutex_unlock(&dso_lock);
    }
    free(p->name);
    free(p->path);
    memset(p, 0, sizeof(*p));
}
