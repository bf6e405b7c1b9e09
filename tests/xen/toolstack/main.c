/*
 * main.c - xlsr-toolstack: the reference embedder of libxlsr, and the
 * real-Xen suite's restore tool.  What `xl restore` and
 * `xl migrate-receive` do around the stream, for guests without disks or
 * NICs, with libxlsr doing the stream:
 *
 *   xlsr-toolstack [-c INI] [--name NAME] [--paused] [-v] FILE
 *   xlsr-toolstack [-c INI] [-v] --migrate-receive [--remus]
 *   xlsr-toolstack --dm-incoming DOMID     (the emulator exec backend's
 *                                           command: see dm.c)
 *   xlsr-toolstack --destroy DOMID
 *   xlsr-toolstack --show-config FILE      (step 1 alone; needs no Xen)
 *
 * The steps of a restore, each in its own file:
 *
 *   1. config.c   read the xl header and its JSON configuration: the
 *                 domain must exist, sized and typed, before the stream's
 *                 first page arrives.  Works on a pipe (migration).
 *   2. domain.c   create the empty PV, PVH or HVM domain and its store
 *                 and console event channels.
 *   3. session.c  one libxlsr RESTORE session over the rest of the fd.
 *   4. publish.c  the domain's xenstore nodes; introduce it to xenstored.
 *   5. dm.c       HVM: the device model with the saved state, paused.
 *   6.            resume the device model, unpause the domain (for a
 *                 migration only once the sender says so: migrate.c).
 *
 * Any failure after step 2 destroys the half-built domain, its device
 * model, its xenstore nodes and the qemu-resume file, so a failed restore
 * leaves nothing behind.  Facts about the restore ("domid N", ...) go to
 * stdout, or to stderr when stdout is the migration channel; errors go to
 * stderr as libxlsr formats them ("offset N (0x..): record ..., handler
 * ...: reason").  Exit status: 0 restored, 1 failed, 2 usage/config.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ts.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " TS " [-c CONFIG] [--name NAME] [--paused] [-v] FILE\n"
            "       " TS " [-c CONFIG] [-v] --migrate-receive [--remus]\n"
            "       " TS " --dm-incoming DOMID\n"
            "       " TS " --destroy DOMID\n"
            "       " TS " --show-config FILE\n"
            "Restores an `xl save` image, or receives `xl migrate` / `xl "
            "remus` on stdin/stdout, into a new domain through libxlsr.\n");
}

/* Step 1 alone: what the toolstack would build the domain from. */
static int show_config(const char *file)
{
    struct guest g;
    int fd = open(file, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        fprintf(stderr, TS ": %s: %s\n", file, strerror(errno));
        return 1;
    }
    memset(&g, 0, sizeof(g));
    int rc = ts_read_xl_header(fd, &g);
    close(fd);
    if (rc)
        return 1;
    printf("type %s\nname %s\nuuid %s\nmax_vcpus %u\nmax_memkb %" PRIu64
           "\ntarget_memkb %" PRIu64 "\nslack_memkb %" PRIu64
           "\nshadow_memkb %" PRIu64 "\nvideo_memkb %" PRIu64
           "\nmsr_relaxed %s\n", ts_type_name(g.type), g.name,
           g.have_uuid ? g.uuid_text : "-", g.max_vcpus, g.max_memkb,
           g.target_memkb, g.slack_memkb, g.shadow_memkb, g.video_memkb,
           g.msr_relaxed ? "true" : "false");
    if (g.type == GUEST_HVM)
        printf("dm_vga %s\ndm_serial %s\ndm_boot %s\ndm_kernel %s\n",
               g.dm.vga, g.dm.serial[0] ? g.dm.serial : "-", g.dm.boot,
               g.dm.kernel[0] ? g.dm.kernel : "-");
    return 0;
}

/* A guest's domid (not dom0, not a reserved id), or 0 when bad. */
static uint32_t parse_domid(const char *opt, const char *arg)
{
    char *end;
    unsigned long id;

    errno = 0;
    id = strtoul(arg, &end, 10);
    if (errno || !*arg || *end || arg[0] == '-' || id == 0 ||
        id >= DOMID_FIRST_RESERVED) {
        fprintf(stderr, TS ": %s: bad domid '%s'\n", opt, arg);
        return 0;
    }
    return (uint32_t)id;
}

static void set_paths(struct toolstack *t)
{
    char *home = xs_get_domain_path(t->xsh, t->domid);
    if (home) {
        snprintf(t->dom_path, sizeof(t->dom_path), "%s", home);
        free(home);
    }
    snprintf(t->libxl_path, sizeof(t->libxl_path), "/libxl/%u", t->domid);
    snprintf(t->dm_path, sizeof(t->dm_path), "/local/domain/0/device-model/%u",
             t->domid);
}

static int destroy_only(struct toolstack *t, uint32_t domid)
{
    xc_dominfo_t info;

    t->domid = domid;
    if (xc_domain_getinfo(t->xch, domid, 1, &info) != 1 ||
        info.domid != domid) {
        fprintf(stderr, TS ": --destroy: no domain %u\n", domid);
        return 1;
    }
    t->g.type = info.hvm ? GUEST_HVM : GUEST_PV;
    set_paths(t);
    t->introduced = t->created = true;
    ts_domain_destroy(t);
    return 0;
}

/* Another domain than ours already has this name. */
static bool name_taken(struct toolstack *t, const char *name)
{
    unsigned n, len;
    char **ids = xs_directory(t->xsh, XBT_NULL, "/local/domain", &n);
    bool taken = false;

    for (unsigned i = 0; ids && i < n && !taken; i++) {
        char path[64];
        if ((uint32_t)strtoul(ids[i], NULL, 10) == t->domid)
            continue;
        snprintf(path, sizeof(path), "/local/domain/%s/name", ids[i]);
        char *v = xs_read(t->xsh, XBT_NULL, path, &len);
        taken = v && !strcmp(v, name);
        free(v);
    }
    free(ids);
    return taken;
}

/* Resume the device model and unpause: the end of a restore. */
static int start_guest(struct toolstack *t)
{
    if (t->g.type == GUEST_HVM && ts_dm_resume(t))
        return -1;
    if (xc_domain_unpause(t->xch, t->domid)) {
        perror(TS ": xc_domain_unpause");
        return -1;
    }
    return 0;
}

struct run {
    const char *config, *name, *file;
    bool paused, migrate, remus;
};

static int restore(struct toolstack *t, const struct run *r)
{
    struct xlsr_config *cfg = NULL;
    struct xlsr_restore_ctx ctx;
    struct xlsr_result res;
    struct xlsr_error err;
    char line[1024], final_name[80], incoming[96];
    /* Facts go where the migration channel is not. */
    FILE *facts = r->migrate ? stderr : stdout;
    int fd = 0, status = 1;

    /* Configuration first: a bad INI file costs nothing, and is reported
     * before the sender gets its banner. */
    memset(&err, 0, sizeof(err));
    if (xlsr_config_load(r->config, &cfg, &err) != XLSR_OK) {
        xlsr_error_format(&err, line, sizeof(line));
        fprintf(stderr, TS ": %s\n", line);
        return 2;
    }
    if (r->migrate) {
        if (ts_migrate_banner())
            goto out;
    } else {
        fd = open(r->file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, TS ": %s: %s\n", r->file, strerror(errno));
            goto out;
        }
    }
    if (ts_read_xl_header(fd, &t->g))
        goto out;
    snprintf(final_name, sizeof(final_name), "%s", r->name ? r->name
                                                           : t->g.name);
    /* xl's receiver: <name>--incoming until the sender lets go. */
    snprintf(incoming, sizeof(incoming), "%s--incoming", final_name);
    t->name = r->migrate ? incoming : final_name;

    if (ts_domain_create(t))
        goto out;
    set_paths(t);
    if (t->g.type == GUEST_HVM && ts_dm_write_spec(t))
        goto out;
    if (ts_session_restore(t, cfg, fd,
                           r->remus ? XLSR_CKPT_REMUS : XLSR_CKPT_NONE,
                           &ctx, &res) ||
        ts_publish(t, &ctx))
        goto out;
    if (t->g.type == GUEST_HVM && ts_dm_start_from_file(t))
        goto out;
    fprintf(facts, "domid %u\nstream_bytes %" PRIu64 "\nrecords %" PRIu64
            "\nstore_mfn %lu\nconsole_mfn %lu\n", t->domid, res.bytes,
            res.records, ctx.store_mfn, ctx.console_mfn);
    if (r->remus)
        fprintf(facts, "checkpoints %u\nfailover %s\npartial_offset %"
                PRIu64 "\n", res.checkpoints, res.failover ? "yes" : "no",
                res.partial_offset);
    fflush(facts);

    if (r->migrate && !r->remus) {
        if (ts_migrate_handshake(t, 0, 1, final_name))
            goto out;
    } else {
        /* A restore, or a Remus failover: ours is the guest now.  The
         * primary may still hold the name (killed, not yet destroyed). */
        if (r->migrate) {
            if (name_taken(t, final_name))
                fprintf(stderr, TS ": warning: a domain named %s still "
                        "exists; keeping %s\n", final_name, incoming);
            else if (ts_rename(t, final_name))
                goto out;
        }
        if (!r->paused && start_guest(t))
            goto out;
    }
    fprintf(stderr, TS ": domain %u (%s) %s\n", t->domid, t->name,
            r->paused ? "restored, paused" : "running");
    status = 0;
out:
    if (status == 1 && t->created)
        ts_domain_destroy(t);
    if (fd > 0)
        close(fd);
    xlsr_config_free(cfg);
    return status;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "name", required_argument, NULL, 'n' },
        { "paused", no_argument, NULL, 'p' },
        { "destroy", required_argument, NULL, 'd' },
        { "show-config", no_argument, NULL, 's' },
        { "migrate-receive", no_argument, NULL, 'm' },
        { "remus", no_argument, NULL, 'r' },
        { "dm-incoming", required_argument, NULL, 'i' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct run r = { .config = "/etc/xlsr/xlsr.ini" };
    const char *destroy = NULL, *dm_incoming = NULL;
    bool show = false;
    struct toolstack t;
    int c, status = 1;

    memset(&t, 0, sizeof(t));
    while ((c = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': r.config = optarg; break;
        case 'n': r.name = optarg; break;
        case 'p': r.paused = true; break;
        case 'd': destroy = optarg; break;
        case 's': show = true; break;
        case 'm': r.migrate = true; break;
        case 'r': r.remus = true; break;
        case 'i': dm_incoming = optarg; break;
        case 'v': t.verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    bool no_file = destroy || dm_incoming || r.migrate;
    if ((no_file ? optind != argc : optind != argc - 1) ||
        (r.remus && !r.migrate) || (r.migrate && r.paused)) {
        usage(stderr);
        return 2;
    }
    if (dm_incoming)
        return ts_dm_incoming_main(dm_incoming);
    /* Arguments are checked before anything touches Xen. */
    uint32_t destroy_id = destroy ? parse_domid("--destroy", destroy) : 0;
    if (destroy && !destroy_id)
        return 2;
    if (show)
        return show_config(argv[optind]);
    r.file = r.migrate ? NULL : argv[optind];

    t.xch = xc_interface_open(NULL, NULL, 0);
    t.xsh = xs_open(0);
    if (!t.xch || !t.xsh)
        fprintf(stderr, TS ": cannot open %s (is this dom0 with xenstored "
                "running?)\n", t.xch ? "xenstore" : "libxc");
    else if (destroy)
        status = destroy_only(&t, destroy_id);
    else
        status = restore(&t, &r);
    if (t.xsh)
        xs_close(t.xsh);
    if (t.xch)
        xc_interface_close(t.xch);
    return status;
}
