/*
 * helper.c - the restore helper process: the child's side (it runs
 * xc_domain_restore() and forwards callbacks and logging up a pipe) and
 * the parent's pipe primitives (start, next message, reply, kill and
 * reap).  What the messages mean to the stream is restore.c's business.
 * Why a helper at all, and why fork without exec: helper.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xlsr/plugin.h>

#include "helper.h"
#include "../common/fdio.h"

/* Exit statuses of the child when it cannot even report. */
#define CHILD_LOST_PARENT 70
#define CHILD_PIPE_BROKEN 71

uint64_t lx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- the child ----------------------------------------------------- */

struct child {
    xentoollog_logger logger;   /* first: libxenguest hands it back */
    int up, down;               /* to and from the parent */
};

static void send_msg(struct child *c, const struct lx_msg *m)
{
    if (fdio_write_all(c->up, m, sizeof(*m)))
        _exit(CHILD_PIPE_BROKEN);
}

static int32_t ask(struct child *c, const struct lx_msg *m)
{
    int32_t v;
    send_msg(c, m);
    if (fdio_read_exact(c->down, &v, sizeof(v)))
        _exit(CHILD_LOST_PARENT);
    return v;
}

static void XLSR_PRINTF(5, 0)
child_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
               const char *context, const char *fmt, va_list al)
{
    struct child *c = (struct child *)lg;
    struct lx_msg m = { .kind = LX_MSG_LOG, .a = (int32_t)level,
                        .b = errnoval };
    int n = snprintf(m.text, sizeof(m.text), "%s%s", context ? context : "",
                     context ? ": " : "");
    if (n < 0 || (size_t)n >= sizeof(m.text))
        n = 0;
    m.c = (uint64_t)n;      /* where the message starts */
    vsnprintf(m.text + n, sizeof(m.text) - (size_t)n, fmt, al);
    send_msg(c, &m);
}

static void child_destroy(xentoollog_logger *lg)
{
    (void)lg;
}

static int child_checkpoint(void *data)
{
    struct lx_msg m = { .kind = LX_MSG_CHECKPOINT };
    return ask(data, &m);
}

static int child_static_data_done(unsigned int missing, void *data)
{
    struct lx_msg m = { .kind = LX_MSG_STATIC_DATA_DONE,
                        .a = (int32_t)missing };
    return ask(data, &m);
}

static void __attribute__((noreturn))
child_main(struct child *c, const struct lx_api *api,
           const struct lx_restore_args *a, pid_t parent)
{
    /* The helper never outlives the process it works for. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(CHILD_LOST_PARENT);
    signal(SIGPIPE, SIG_DFL);

    c->logger.vmessage = child_vmessage;
    c->logger.destroy = child_destroy;
    struct lx_msg done = { .kind = LX_MSG_DONE, .a = -1 };
    xc_interface *xch = api->interface_open(&c->logger, &c->logger, 0);
    if (!xch) {
        done.b = errno;
        snprintf(done.text, sizeof(done.text), "cannot open the Xen "
                 "control interface");
        send_msg(c, &done);
        _exit(0);
    }
    struct lx_msg info = { .kind = LX_MSG_DOMINFO,
                           .a = lx_xc_is_hvm(api, xch, a->domid) };
    send_msg(c, &info);

    struct restore_callbacks cb;
    unsigned long store_mfn = 0, console_mfn = 0;
    memset(&cb, 0, sizeof(cb));
    cb.static_data_done = child_static_data_done;
    cb.checkpoint = child_checkpoint;
    cb.data = c;
    /* Xen 4.22 adds a memflags argument here (xenapi.h). */
    int r = api->domain_restore(xch, a->fd, a->domid, a->store_port,
                                &store_mfn, a->store_domid, a->console_port,
                                &console_mfn, a->console_domid,
                                a->stream_type, &cb, -1);
    done.a = r;
    done.b = r ? errno : 0;
    done.c = store_mfn;
    done.d = console_mfn;
    /* Closed first: closing logs, and nobody reads after the result. */
    api->interface_close(xch);
    send_msg(c, &done);
    _exit(0);
}

/* --- the parent ---------------------------------------------------- */

int lx_helper_start(struct lx_helper *hp, const struct lx_api *api,
                    const struct lx_restore_args *args)
{
    int up[2], down[2];

    memset(hp, 0, sizeof(*hp));
    hp->from_child = hp->to_child = -1;
    if (pipe2(up, O_CLOEXEC))
        return XLSR_ERR_IO;
    if (pipe2(down, O_CLOEXEC)) {
        close(up[0]);
        close(up[1]);
        return XLSR_ERR_IO;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(up[0]);
        close(up[1]);
        close(down[0]);
        close(down[1]);
        errno = e;
        return XLSR_ERR_IO;
    }
    if (pid == 0) {
        struct child c;
        memset(&c, 0, sizeof(c));
        close(up[0]);
        close(down[1]);
        c.up = up[1];
        c.down = down[0];
        child_main(&c, api, args, parent);
    }
    close(up[1]);
    close(down[0]);
    hp->pid = pid;
    hp->from_child = up[0];
    hp->to_child = down[1];
    return XLSR_OK;
}

int lx_helper_next(struct lx_helper *hp, struct lx_msg *m,
                   uint64_t deadline_ms)
{
    for (;;) {
        int wait = -1;
        if (deadline_ms) {
            uint64_t now = lx_now_ms();
            if (now >= deadline_ms)
                return 2;
            wait = deadline_ms - now > 60000 ? 60000
                                             : (int)(deadline_ms - now);
        }
        struct pollfd p = { .fd = hp->from_child, .events = POLLIN };
        int n = poll(&p, 1, wait);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            continue;
        int rc = fdio_read_exact(hp->from_child, m, sizeof(*m));
        if (rc == 0)
            m->text[sizeof(m->text) - 1] = '\0';
        return rc;
    }
}

int lx_helper_reply(struct lx_helper *hp, int32_t value)
{
    return fdio_write_all(hp->to_child, &value, sizeof(value)) ? XLSR_ERR_IO
                                                           : XLSR_OK;
}

int lx_helper_reap(struct lx_helper *hp, int kill_sig)
{
    int status = 0;
    /* Waited for before its pipes close: a child still writing would
     * otherwise die of SIGPIPE instead of its own exit. */
    if (hp->pid > 0) {
        if (kill_sig)
            kill(hp->pid, kill_sig);
        while (waitpid(hp->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    if (hp->to_child >= 0)
        close(hp->to_child);
    if (hp->from_child >= 0)
        close(hp->from_child);
    hp->to_child = hp->from_child = -1;
    hp->pid = 0;
    return status;
}

void lx_helper_status(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, len, "exit status %d%s", WEXITSTATUS(status),
                 WEXITSTATUS(status) == CHILD_LOST_PARENT
                     ? ", its parent gone"
                     : WEXITSTATUS(status) == CHILD_PIPE_BROKEN
                           ? ", its pipe broken" : "");
    else
        snprintf(buf, len, "wait status 0x%x", status);
}
