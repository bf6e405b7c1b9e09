/*
 * ts.h - the reference embedding toolstack of the real-Xen suite
 * (xlsr-toolstack): what its files share.
 *
 *   config.c     the xl header and its JSON configuration (yajl), with
 *                libxl's defaults for what `xl save` left out
 *   domain.c     creating the empty domain per guest type, as libxl does
 *                before a stream (libxl__domain_make, libxl__build_pre)
 *   session.c    the one libxlsr session that restores the stream
 *   publish.c    the domain's xenstore nodes, introduction, rename
 *   dm.c         the HVM device model (qemu-xen): arguments from the
 *                configuration, start with -incoming, QMP
 *   migrate.c    the receiving side of xl's migration protocol
 *   main.c       the command line and the order of the steps
 *
 * Everything about the guest comes from the saved configuration; nothing
 * here knows the suite's own test guests.
 */
#ifndef XLSR_TS_H
#define XLSR_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xenctrl.h>
#include <xenstore.h>

#include <xlsr/xlsr.h>

#define TS "xlsr-toolstack"

enum guest_type { GUEST_PV, GUEST_PVH, GUEST_HVM };

/* What the device model needs, from b_info (HVM only). */
struct dm_config {
    char vga[8];                /* "std", "cirrus", "none" */
    char serial[64];            /* QEMU -serial value, "" for none */
    char boot[16];              /* -boot order= */
    bool vnc;                   /* refused when true: no display here */
    char kernel[256], ramdisk[256], cmdline[1024];   /* direct boot */
};

/* The guest, as far as a restore needs to know it. */
struct guest {
    enum guest_type type;
    char name[64];
    char uuid_text[40];
    xen_domain_handle_t uuid;
    bool have_uuid;
    uint32_t max_vcpus;
    uint64_t max_memkb, target_memkb, video_memkb, shadow_memkb,
             slack_memkb;
    uint64_t max_grant_version;     /* 0: Xen's best */
    int64_t max_grant_frames, max_maptrack_frames;  /* -1: Xen's default */
    uint32_t event_channels;
    uint32_t tsc_mode;
    bool msr_relaxed;
    /* HVM platform parameters set before the stream (hvm_set_conf_params) */
    bool hpet, vpt_align;
    uint32_t timer_mode;
    struct dm_config dm;
};

/* One restore in progress and everything it created, for the undo. */
struct toolstack {
    xc_interface *xch;
    struct xs_handle *xsh;
    struct guest g;
    const char *name;               /* name written to xenstore */
    bool verbose;
    uint32_t domid;
    bool created, introduced;
    uint32_t store_domid, console_domid;
    int store_port, console_port;
    char dom_path[64], vm_path[80], libxl_path[64], dm_path[80];
    bool wrote_vm;                  /* /vm/<uuid> is ours to remove */
    pid_t dm_pid;                   /* device model we started, or 0 */
    char dm_resume[128];            /* qemu-resume file to remove, or "" */
};

/* config.c */
int ts_read_xl_header(int fd, struct guest *g);
int ts_parse_config(const char *json, size_t len, struct guest *g);
const char *ts_type_name(enum guest_type t);

/* domain.c */
int ts_domain_create(struct toolstack *t);
void ts_domain_destroy(struct toolstack *t);
uint32_t ts_service_domid(struct xs_handle *xsh, const char *name);

/* session.c */
int ts_session_restore(struct toolstack *t, const struct xlsr_config *cfg,
                       int fd, enum xlsr_checkpointed ckpt,
                       struct xlsr_restore_ctx *ctx,
                       struct xlsr_result *res);

/* publish.c */
int ts_publish(struct toolstack *t, const struct xlsr_restore_ctx *ctx);
int ts_rename(struct toolstack *t, const char *name);
bool ts_xs_write(struct xs_handle *xsh, const char *path, const char *fmt,
                 ...) XLSR_PRINTF(3, 4);

/* dm.c */
#define TS_DM_RUNDIR "/var/run/xen"
int ts_dm_write_spec(struct toolstack *t);
int ts_dm_start_from_file(struct toolstack *t);
int ts_dm_resume(struct toolstack *t);
void ts_dm_kill(struct toolstack *t);
int ts_dm_incoming_main(const char *domid_arg);
void ts_dm_kill_domid(uint32_t domid, struct xs_handle *xsh);

/* migrate.c */
int ts_migrate_banner(void);
int ts_migrate_handshake(struct toolstack *t, int in, int out,
                         const char *final_name);

#endif
