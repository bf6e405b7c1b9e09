/*
 * dm.c - the HVM device model: qemu-xen (Debian qemu-system-xen) started
 * the way libxl starts it for a restore (libxl__build_device_model_args_new
 * and libxl__spawn_local_dm in tools/libs/light/libxl_dm.c), with the same
 * devices as on the saving side, or QEMU refuses the incoming state.
 *
 * Two ways the saved device state reaches QEMU, chosen by the emulator
 * plugin's backend in the INI file, nothing else changing:
 *
 *   file   the plugin writes /var/lib/xen/qemu-resume.<domid> during the
 *          session; afterwards we start QEMU with -incoming fd:K on that
 *          file (what libxl does), wait for "paused", remove the file.
 *   exec   the plugin runs `xlsr-toolstack --dm-incoming <domid>` and
 *          pipes the blob into its stdin; that helper starts QEMU with
 *          -incoming fd:0 on the very pipe, waits for "paused" and exits
 *          0 (QEMU's reason and 1 when it refused the state), leaving QEMU
 *          running.  The device set comes from a spec file the toolstack
 *          writes before the session (the helper has no other channel).
 *
 * Either way QEMU's pid goes to /local/domain/<domid>/image/device-model-pid
 * (where libxl and `xl destroy` look for it), and the domain is resumed
 * with QMP "cont" before it is unpaused.  QEMU's output goes to
 * /var/log/xen/qemu-dm-<name>.log, whose last lines are the reason given
 * when QEMU exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "ts.h"

#define QEMU_XEN "/usr/libexec/xen-qemu-system-i386"
#define RESUME_DIR "/var/lib/xen"
#define LOG_DIR "/var/log/xen"
#define MAX_ARGS 64
/* QEMU under TCG in a TCG dom0 takes seconds to load a few KiB. */
#define PAUSED_TIMEOUT_S 90

struct argv {
    char *v[MAX_ARGS + 1];
    int n;
    char buf[4096];
    size_t used;
};

static void add(struct argv *a, const char *fmt, ...) XLSR_PRINTF(2, 3);
static void add(struct argv *a, const char *fmt, ...)
{
    va_list ap;
    size_t room = sizeof(a->buf) - a->used;

    if (a->n >= MAX_ARGS || room < 2)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(a->buf + a->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return;
    a->v[a->n++] = a->buf + a->used;
    a->used += (size_t)n + 1;
}

/* The arguments, minus -incoming, from the saved configuration. */
static int build_args(const struct toolstack *t, struct argv *a)
{
    const struct guest *g = &t->g;
    const struct dm_config *dm = &g->dm;

    memset(a, 0, sizeof(*a));
    add(a, "%s", QEMU_XEN);
    add(a, "-xen-domid");
    add(a, "%u", t->domid);
    add(a, "-no-shutdown");
    add(a, "-chardev");
    add(a, "socket,id=libxl-cmd,path=%s/qmp-libxl-%u,server=on,wait=off",
        TS_DM_RUNDIR, t->domid);
    add(a, "-mon");
    add(a, "chardev=libxl-cmd,mode=control");
    add(a, "-nodefaults");
    add(a, "-no-user-config");
    add(a, "-name");
    add(a, "%s", t->name);
    add(a, "-vnc");
    add(a, "none");
    add(a, "-display");
    add(a, "none");
    if (dm->kernel[0]) {
        add(a, "-kernel");
        add(a, "%s", dm->kernel);
    }
    if (dm->ramdisk[0]) {
        add(a, "-initrd");
        add(a, "%s", dm->ramdisk);
    }
    if (dm->cmdline[0]) {
        add(a, "-append");
        add(a, "%s", dm->cmdline);
    }
    if (dm->serial[0]) {
        add(a, "-serial");
        add(a, "%s", dm->serial);
    }
    if (!strcmp(dm->vga, "std")) {
        add(a, "-device");
        add(a, "VGA,vgamem_mb=%" PRIu64, g->video_memkb / 1024);
    } else if (!strcmp(dm->vga, "cirrus")) {
        add(a, "-device");
        add(a, "cirrus-vga,vgamem_mb=%" PRIu64, g->video_memkb / 1024);
    } else {
        add(a, "-vga");
        add(a, "none");
    }
    add(a, "-boot");
    add(a, "order=%s", dm->boot);
    if (g->max_vcpus > 1) {
        add(a, "-smp");
        add(a, "%u,maxcpus=%u", g->max_vcpus, g->max_vcpus);
    }
    add(a, "-net");
    add(a, "none");
    add(a, "-machine");
    add(a, "xenfv,suppress-vmdesc=on");
    add(a, "-m");
    add(a, "%" PRIu64, (g->max_memkb - g->video_memkb) / 1024);
    if (a->n >= MAX_ARGS - 2) {
        fprintf(stderr, TS ": device model arguments do not fit\n");
        return -1;
    }
    return 0;
}

static void spec_path(uint32_t domid, char *buf, size_t len)
{
    snprintf(buf, len, "%s/xlsr-dm-spec.%u", TS_DM_RUNDIR, domid);
}

static void log_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/qemu-dm-%s.log", LOG_DIR, name);
}

/* The last line of QEMU's log that says something: its reason. */
static void qemu_reason(const char *log, char *buf, size_t len)
{
    char line[512];
    FILE *f = fopen(log, "r");

    snprintf(buf, len, "(nothing in %s)", log);
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0])
            snprintf(buf, len, "%s", line);
    }
    fclose(f);
}

/* Starts QEMU with the state on fd `state` (-incoming fd:<state>). */
static pid_t spawn(const struct argv *base, const char *log, int state)
{
    struct argv a = *base;
    char inc[32];
    int out;

    /* The copy's pointers still point into base's buffer: fine, it
     * outlives the exec. */
    snprintf(inc, sizeof(inc), "fd:%d", state);
    a.v[a.n++] = "-incoming";
    a.v[a.n++] = inc;
    a.v[a.n] = NULL;
    out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
               0644);
    if (out < 0) {
        fprintf(stderr, TS ": %s: %s\n", log, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        /* Its own session: the helper that starts it may exit. */
        setsid();
        if (state != 0 && null >= 0)
            dup2(null, 0);
        dup2(out, 1);
        dup2(out, 2);
        /* The state fd must survive exec. */
        fcntl(state, F_SETFD, 0);
        execv(a.v[0], a.v);
        fprintf(stderr, "exec %s: %s\n", a.v[0], strerror(errno));
        _exit(127);
    }
    close(out);
    if (pid < 0)
        fprintf(stderr, TS ": fork: %s\n", strerror(errno));
    return pid;
}

/* --- QMP ------------------------------------------------------------------ */

struct qmp {
    int fd;
    char buf[8192];
    size_t len;
};

static int qmp_connect(struct qmp *q, uint32_t domid)
{
    struct sockaddr_un sa;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/qmp-libxl-%u",
             TS_DM_RUNDIR, domid);
    q->len = 0;
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q->fd < 0)
        return -1;
    if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa))) {
        close(q->fd);
        q->fd = -1;
        return -1;
    }
    return 0;
}

/* One JSON line from QEMU (within secs), parsed; NULL on EOF/timeout. */
static yajl_val qmp_line(struct qmp *q, int secs)
{
    for (;;) {
        char *nl = memchr(q->buf, '\n', q->len);
        if (nl) {
            *nl = '\0';
            yajl_val v = yajl_tree_parse(q->buf, NULL, 0);
            size_t used = (size_t)(nl + 1 - q->buf);
            memmove(q->buf, nl + 1, q->len - used);
            q->len -= used;
            if (v)
                return v;
            continue;
        }
        if (q->len == sizeof(q->buf) - 1)
            q->len = 0;         /* a line longer than we care about */
        struct pollfd p = { .fd = q->fd, .events = POLLIN };
        if (poll(&p, 1, secs * 1000) <= 0)
            return NULL;
        ssize_t n = read(q->fd, q->buf + q->len, sizeof(q->buf) - 1 - q->len);
        if (n <= 0)
            return NULL;
        q->len += (size_t)n;
    }
}

/* Sends a command and returns its "return" or "error" reply (events are
 * skipped); the caller frees *root. */
static yajl_val qmp_cmd(struct qmp *q, const char *json, yajl_val *root)
{
    const char *ret[] = { "return", NULL }, *err[] = { "error", NULL };
    size_t len = strlen(json);

    *root = NULL;
    if (write(q->fd, json, len) != (ssize_t)len)
        return NULL;
    for (;;) {
        yajl_val v = qmp_line(q, 30);
        if (!v)
            return NULL;
        yajl_val r = yajl_tree_get(v, ret, yajl_t_any);
        if (!r)
            r = yajl_tree_get(v, err, yajl_t_any);
        if (r) {
            *root = v;
            return r;
        }
        yajl_tree_free(v);      /* an event */
    }
}

static int qmp_open(struct qmp *q, uint32_t domid)
{
    yajl_val root;

    if (qmp_connect(q, domid))
        return -1;
    yajl_val greeting = qmp_line(q, 30);
    yajl_tree_free(greeting);
    if (!greeting || !qmp_cmd(q, "{\"execute\":\"qmp_capabilities\"}\n",
                              &root)) {
        close(q->fd);
        return -1;
    }
    yajl_tree_free(root);
    return 0;
}

/* query-status: "paused", "running", "inmigrate", ... into buf. */
static int qmp_status(struct qmp *q, char *buf, size_t len)
{
    const char *st[] = { "status", NULL };
    yajl_val root, r = qmp_cmd(q, "{\"execute\":\"query-status\"}\n", &root);
    yajl_val s = r ? yajl_tree_get(r, st, yajl_t_string) : NULL;

    if (s)
        snprintf(buf, len, "%s", YAJL_GET_STRING(s));
    yajl_tree_free(root);
    return s ? 0 : -1;
}

static bool exited(pid_t pid, bool child, int *status)
{
    if (child)
        return waitpid(pid, status, WNOHANG) == pid;
    return kill(pid, 0) && errno == ESRCH;
}

/* Until QEMU has loaded the state ("paused", as libxl waits for in
 * device_model_spawn_outcome) or exited.  child: QEMU is our child. */
static int wait_paused(uint32_t domid, pid_t pid, bool child, const char *log)
{
    struct qmp q = { .fd = -1 };
    char status[32] = "", reason[512];
    int wst = 0;

    for (int i = 0; i < PAUSED_TIMEOUT_S * 10; i++) {
        if (exited(pid, child, &wst)) {
            qemu_reason(log, reason, sizeof(reason));
            fprintf(stderr, TS ": the device model refused the saved state "
                    "(QEMU exited%s): %s\n",
                    child && WIFEXITED(wst) ? "" : " on a signal", reason);
            if (q.fd >= 0)
                close(q.fd);
            return -2;          /* gone (and reaped, when ours) */
        }
        if (q.fd < 0 && qmp_open(&q, domid))
            q.fd = -1;
        if (q.fd >= 0) {
            if (qmp_status(&q, status, sizeof(status))) {
                close(q.fd);
                q.fd = -1;
            } else if (!strcmp(status, "paused") ||
                       !strcmp(status, "running")) {
                /* "paused" is what libxl waits for; a QEMU that starts
                 * its vCPUs on its own still waits for the domain's
                 * unpause, which is ours to give. */
                close(q.fd);
                return 0;
            } else if (strcmp(status, "inmigrate")) {
                fprintf(stderr, TS ": the device model is \"%s\" after "
                        "loading the state, not paused\n", status);
                close(q.fd);
                return -1;
            }
        }
        usleep(100 * 1000);
    }
    if (q.fd >= 0)
        close(q.fd);
    fprintf(stderr, TS ": the device model did not reach \"paused\" in %d "
            "s (last status \"%s\")\n", PAUSED_TIMEOUT_S, status);
    return -1;
}

static void record_pid(struct xs_handle *xsh, uint32_t domid, pid_t pid)
{
    char path[96];
    snprintf(path, sizeof(path), "/local/domain/%u/image/device-model-pid",
             domid);
    if (!ts_xs_write(xsh, path, "%d", (int)pid))
        perror(TS ": writing device-model-pid");
}

/* --- the toolstack's side --------------------------------------------------- */

/* For the exec backend's helper: log path, then the arguments, each
 * NUL-terminated, in a root-only file named after the domid. */
int ts_dm_write_spec(struct toolstack *t)
{
    struct argv a;
    char path[128], log[160];

    if (build_args(t, &a))
        return -1;
    spec_path(t->domid, path, sizeof(path));
    log_path(t->name, log, sizeof(log));
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
    if (fd < 0) {
        fprintf(stderr, TS ": %s: %s\n", path, strerror(errno));
        return -1;
    }
    bool ok = write(fd, log, strlen(log) + 1) == (ssize_t)(strlen(log) + 1) &&
              write(fd, a.buf, a.used) == (ssize_t)a.used;
    close(fd);
    if (!ok) {
        unlink(path);
        fprintf(stderr, TS ": cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* After the session: QEMU from the file the file backend wrote, or the
 * one the exec backend's helper started. */
int ts_dm_start_from_file(struct toolstack *t)
{
    char spec[128], log[160], reason[160];
    struct argv a;
    unsigned len;

    spec_path(t->domid, spec, sizeof(spec));
    unlink(spec);
    snprintf(t->dm_resume, sizeof(t->dm_resume), "%s/qemu-resume.%u",
             RESUME_DIR, t->domid);
    snprintf(reason, sizeof(reason), "/local/domain/%u/image/"
             "device-model-pid", t->domid);
    char *pid = xs_read(t->xsh, XBT_NULL, reason, &len);
    if (pid) {
        /* The exec backend's helper started it and saw it paused. */
        t->dm_pid = (pid_t)strtol(pid, NULL, 10);
        free(pid);
        fprintf(stderr, TS ": device model pid %d loaded the state from "
                "the stream\n", (int)t->dm_pid);
        return t->dm_pid > 0 ? 0 : -1;
    }
    int fd = open(t->dm_resume, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, TS ": HVM guest, but no device model state: %s: "
                "%s (no EMULATOR_CONTEXT record, or the emulator plugin "
                "is not bound)\n", t->dm_resume, strerror(errno));
        return -1;
    }
    if (build_args(t, &a)) {
        close(fd);
        return -1;
    }
    log_path(t->name, log, sizeof(log));
    t->dm_pid = spawn(&a, log, fd);
    close(fd);
    if (t->dm_pid < 0) {
        t->dm_pid = 0;
        return -1;
    }
    record_pid(t->xsh, t->domid, t->dm_pid);
    int rc = wait_paused(t->domid, t->dm_pid, true, log);
    if (rc == -2)
        t->dm_pid = 0;          /* reaped: nothing left to kill */
    if (rc)
        return -1;
    /* libxl removes the file once QEMU has it. */
    unlink(t->dm_resume);
    t->dm_resume[0] = '\0';
    fprintf(stderr, TS ": device model pid %d loaded the state from the "
            "file\n", (int)t->dm_pid);
    return 0;
}

/* device_model_postconfig_chardev (libxl_dm.c): QEMU picked the serial
 * port's pty; libxl asks with query-chardev and publishes it as
 * /local/domain/<domid>/serial/0/tty, where `xl console` and the suite
 * look for it. */
static void publish_serial(struct toolstack *t, struct qmp *q)
{
    const char *ret[] = { "return", NULL }, *label[] = { "label", NULL },
               *file[] = { "filename", NULL };
    yajl_val root, r;

    r = qmp_cmd(q, "{\"execute\":\"query-chardev\"}\n", &root);
    r = r ? yajl_tree_get(root, ret, yajl_t_array) : NULL;
    for (size_t i = 0; r && i < r->u.array.len; i++) {
        yajl_val l = yajl_tree_get(r->u.array.values[i], label,
                                   yajl_t_string);
        yajl_val f = yajl_tree_get(r->u.array.values[i], file,
                                   yajl_t_string);
        if (!l || !f || strcmp(l->u.string, "serial0") ||
            strncmp(f->u.string, "pty:", 4))
            continue;
        char path[96];
        snprintf(path, sizeof(path), "%s/serial/0/tty", t->dom_path);
        if (!ts_xs_write(t->xsh, path, "%s", f->u.string + 4))
            perror(TS ": writing serial/0/tty");
    }
    yajl_tree_free(root);
}

/* libxl__dm_resume: QMP "cont", before the domain is unpaused. */
int ts_dm_resume(struct toolstack *t)
{
    struct qmp q;
    yajl_val root;

    if (qmp_open(&q, t->domid)) {
        fprintf(stderr, TS ": cannot reach the device model's QMP socket\n");
        return -1;
    }
    if (t->g.dm.serial[0])
        publish_serial(t, &q);
    yajl_val r = qmp_cmd(&q, "{\"execute\":\"cont\"}\n", &root);
    const char *err[] = { "error", NULL };
    bool ok = r && !yajl_tree_get(root, err, yajl_t_any);
    yajl_tree_free(root);
    close(q.fd);
    if (!ok)
        fprintf(stderr, TS ": QMP cont failed\n");
    return ok ? 0 : -1;
}

static void kill_pid(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    /* Ours: reap it; the helper's: it is init's to reap. */
    waitpid(pid, NULL, 0);
}

static void remove_files(uint32_t domid)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/qmp-libxl-%u", TS_DM_RUNDIR, domid);
    unlink(path);
    spec_path(domid, path, sizeof(path));
    unlink(path);
}

void ts_dm_kill(struct toolstack *t)
{
    if (!t->created || t->g.type != GUEST_HVM)
        return;
    if (!t->dm_pid)
        ts_dm_kill_domid(t->domid, t->xsh);
    kill_pid(t->dm_pid);
    t->dm_pid = 0;
    remove_files(t->domid);
    /* The file backend's file: ours whether or not QEMU got to it. */
    char path[128];
    snprintf(path, sizeof(path), "%s/qemu-resume.%u", RESUME_DIR, t->domid);
    unlink(path);
}

/* --destroy and failures before the pid was known: whatever
 * device-model-pid names. */
void ts_dm_kill_domid(uint32_t domid, struct xs_handle *xsh)
{
    char path[96];
    unsigned len;

    snprintf(path, sizeof(path), "/local/domain/%u/image/device-model-pid",
             domid);
    char *v = xs_read(xsh, XBT_NULL, path, &len);
    if (v) {
        pid_t pid = (pid_t)strtol(v, NULL, 10);
        free(v);
        if (pid > 1)
            kill_pid(pid);
    }
    remove_files(domid);
}

/* --- the exec backend's helper ------------------------------------------------ */

/* xlsr-toolstack --dm-incoming DOMID: stdin is the emulator plugin's pipe
 * carrying the blob.  Exit 0 once QEMU is paused with the state loaded. */
int ts_dm_incoming_main(const char *domid_arg)
{
    char path[128], *end;
    static char spec[sizeof(((struct argv *)0)->buf) + 256];
    struct argv a;
    unsigned long id;
    ssize_t n;

    errno = 0;
    id = strtoul(domid_arg, &end, 10);
    if (errno || !*domid_arg || *end || id == 0 || id >= DOMID_FIRST_RESERVED) {
        fprintf(stderr, TS " --dm-incoming: bad domid '%s'\n", domid_arg);
        return 2;
    }
    spec_path((uint32_t)id, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
        (st.st_mode & 077)) {
        fprintf(stderr, TS " --dm-incoming: no device model spec for domain "
                "%lu at %s (the toolstack writes it before the session)\n",
                id, path);
        return 1;
    }
    n = read(fd, spec, sizeof(spec) - 1);
    close(fd);
    if (n <= 0 || spec[n - 1] != '\0') {
        fprintf(stderr, TS " --dm-incoming: %s is malformed\n", path);
        return 1;
    }
    /* log path, then argv */
    memset(&a, 0, sizeof(a));
    const char *log = spec;
    for (char *p = spec + strlen(spec) + 1; p < spec + n && a.n < MAX_ARGS;
         p += strlen(p) + 1)
        a.v[a.n++] = p;
    if (a.n < 2 || strcmp(a.v[0], QEMU_XEN)) {
        fprintf(stderr, TS " --dm-incoming: %s is malformed\n", path);
        return 1;
    }
    struct xs_handle *xsh = xs_open(0);
    if (!xsh) {
        fprintf(stderr, TS " --dm-incoming: cannot open xenstore\n");
        return 1;
    }
    pid_t pid = spawn(&a, log, 0);
    if (pid < 0) {
        xs_close(xsh);
        return 1;
    }
    int rc = wait_paused((uint32_t)id, pid, true, log);
    if (rc) {
        kill_pid(pid);
    } else {
        record_pid(xsh, (uint32_t)id, pid);
        printf("device model pid %d paused with the state loaded\n",
               (int)pid);
    }
    xs_close(xsh);
    return rc ? 1 : 0;
}
