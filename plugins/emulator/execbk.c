/*
 * execbk.c - run a command and feed it a blob on stdin (execbk.h).
 *
 * SIGPIPE: if the command exits before reading everything, our write()
 * raises SIGPIPE, whose default action would kill the whole restore.  We
 * block it in this thread around the writes (a write-generated SIGPIPE is
 * thread-directed), take the resulting EPIPE as the error, and consume the
 * pending signal with sigtimedwait() unless one was already pending
 * before, so nothing leaks to the rest of the process.  The child gets
 * SIGPIPE reset to default and an empty signal mask.
 *
 * SIGCHLD belongs to the process that embeds libxlsr, not to us (libxl's
 * libxl_childproc_setmode: the toolstack may ignore SIGCHLD, have its own
 * handler, or reap every child with waitpid(-1)).  A command started the
 * usual way (fork, posix_spawn) would then be reaped by the kernel
 * (SIGCHLD ignored: our waitpid fails with ECHILD) or by the toolstack
 * (its status lost to us), and would send the toolstack a SIGCHLD for a
 * pid it never started.  So the command runs one level down:
 *
 *   us --clone(exit signal 0)--> keeper --_Fork()--> command (execve)
 *
 * The keeper never calls execve (which would reset its exit signal to
 * SIGCHLD), so it sends us no SIGCHLD, the kernel never reaps it on its
 * own (autoreap applies to SIGCHLD children only: kernel/signal.c,
 * do_notify_parent), and waitpid() without __WALL does not see it; only
 * our waitpid(keeper, __WALL) collects it.  The keeper resets its own
 * signal dispositions, waits for the command (its child, nobody else's)
 * and writes the command's pid and wait status to a pipe.  We wait for
 * that one pid and nothing else, and change no disposition of ours.
 *
 * Timeout: one deadline (exec_timeout) covers the whole run.  Our write
 * end is made non-blocking and polled, so a command that never reads
 * cannot block us, and the keeper's status pipe is polled too.  At the
 * deadline the command (the pid the keeper reported) gets SIGKILL, and
 * the keeper's report and the keeper are collected as usual.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "execbk.h"

extern char **environ;

#define CHUNK (1u << 20)

char **execbk_split(const char *cmd, int *argc)
{
    size_t len = strlen(cmd);
    int n = 0;

    for (size_t i = 0; i < len; i++)
        if (cmd[i] != ' ' && (i == 0 || cmd[i - 1] == ' '))
            n++;
    char **argv = malloc(sizeof(char *) * (size_t)(n + 1) + len + 1);
    if (!argv)
        return NULL;
    char *str = (char *)(argv + n + 1);
    memcpy(str, cmd, len + 1);
    n = 0;
    for (char *p = str; *p;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        argv[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    argv[n] = NULL;
    *argc = n;
    return argv;
}

/* What the keeper (and a command that failed to start) report on the
 * status pipe, in order: PID, then EXEC_ERRNO if execve() failed, then
 * STATUS.  PID is for whoever must signal the command (a timeout); the
 * keeper itself is never signalled. */
enum { MSG_PID = 1, MSG_EXEC_ERRNO = 2, MSG_STATUS = 3 };
struct msg {
    int32_t kind, value;
};

static void put(int fd, int kind, int value)
{
    struct msg m = { kind, value };
    while (write(fd, &m, sizeof(m)) < 0 && errno == EINTR)
        ;
}

/* Closes every fd from 3 up, but keep. */
static void close_from3(int keep, int maxfd)
{
    if (syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u) < 0 ||
        syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) < 0)
        for (int fd = 3; fd < maxfd; fd++)
            if (fd != keep)
                close(fd);
}

/* The command, in the keeper's child. */
static void command(char *const argv[], int rfd, int sfd, int maxfd)
{
    sigset_t none;
    if (rfd == STDIN_FILENO ? fcntl(rfd, F_SETFD, 0) < 0
                            : dup2(rfd, STDIN_FILENO) < 0)
        goto fail;
    if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
        goto fail;
    close_from3(sfd, maxfd);        /* sfd itself is close-on-exec */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(argv[0], argv, environ);
fail:
    put(sfd, MSG_EXEC_ERRNO, errno);
    _exit(127);
}

/* The keeper: a copy of a process that may have other threads, so only
 * async-signal-safe calls (_Fork, not fork: no atfork handlers).  Every
 * signal is blocked on entry (our caller blocked them around clone()), so
 * no handler of the embedding process runs here; the dispositions it set
 * are reset before anything is unblocked, in the command. */
static void keeper(char *const argv[], int rfd, int sfd, int maxfd)
{
    struct sigaction dfl;
    int st;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction old;
        /* Caught signals, SIGPIPE and SIGCHLD (ignored, it would reap
         * the command before we wait) to the default; other ignored
         * signals stay ignored, as across any execve(). */
        if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_DFL &&
            (old.sa_handler != SIG_IGN || sig == SIGPIPE || sig == SIGCHLD))
            sigaction(sig, &dfl, NULL);
    }
    pid_t pid = _Fork();
    if (pid == 0)
        command(argv, rfd, sfd, maxfd);
    if (pid < 0) {
        put(sfd, MSG_EXEC_ERRNO, errno);
        _exit(1);
    }
    put(sfd, MSG_PID, pid);
    close_from3(sfd, maxfd);        /* our copy of the stdin pipe too */
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    put(sfd, MSG_STATUS, st);
    _exit(0);
}

/* Starts argv[0] with rfd as its stdin, under a keeper (see the top of
 * the file); *sfd is the read end of the status pipe. */
static int spawn(char *const argv[], int rfd, pid_t *kpid, int *sfd,
                 char *err, size_t errlen)
{
    sigset_t all, old;
    struct rlimit rl;
    int sp[2], maxfd = 1024;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        maxfd = rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
    if (pipe2(sp, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot run %s: pipe: %s", argv[0],
                 strerror(errno));
        return -1;
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* fork() semantics (no CLONE_VM, a copy-on-write stack), exit signal
     * 0.  Every argument zero, so the per-architecture argument order of
     * the raw clone system call does not matter. */
    long r = syscall(SYS_clone, 0ul, 0ul, 0ul, 0ul, 0ul);
    if (r == 0) {
        close(sp[0]);
        keeper(argv, rfd, sp[1], maxfd);
    }
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(sp[1]);
    if (r < 0) {
        close(sp[0]);
        snprintf(err, errlen, "cannot run %s: clone: %s", argv[0],
                 strerror(clone_errno));
        return -1;
    }
    *kpid = (pid_t)r;
    *sfd = sp[0];
    return 0;
}

/* Milliseconds left until deadline (a CLOCK_MONOTONIC time), 0 at most. */
static int ms_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
                   (deadline->tv_nsec - now.tv_nsec) / 1000000;
    return ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Waits for the next message of the keeper until deadline; at the
 * deadline the command is killed (once: *killed), and the wait goes on
 * for the keeper's report of its death. */
static void await_msg(int sfd, pid_t pid, const struct timespec *deadline,
                      bool *killed)
{
    struct pollfd p = { .fd = sfd, .events = POLLIN };
    while (!*killed && poll(&p, 1, ms_left(deadline)) == 0) {
        if (pid <= 0 || ms_left(deadline) > 0)
            continue;       /* no pid yet: it comes first, right away */
        /* Not reported dead (the pipe was empty just now), so not yet
         * reaped by the keeper: the pid is still the command's. */
        kill(pid, SIGKILL);
        *killed = true;
    }
}

/* Reads the keeper's report to its end and collects the keeper.  0 with
 * the command's wait status, or -1 with a reason (the timeout included). */
static int reap(const char *cmd, pid_t kpid, int sfd, int *st,
                const struct timespec *deadline, unsigned timeout_s,
                char *err, size_t errlen)
{
    struct msg m;
    int exec_errno = 0, have_status = 0, kst;
    pid_t pid = 0;
    bool killed = false;
    ssize_t n;

    for (;;) {
        await_msg(sfd, pid, deadline, &killed);
        n = read(sfd, &m, sizeof(m));
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof(m))
            break;
        if (m.kind == MSG_PID)
            pid = (pid_t)m.value;
        else if (m.kind == MSG_EXEC_ERRNO)
            exec_errno = m.value;
        else if (m.kind == MSG_STATUS) {
            *st = m.value;
            have_status = 1;
        }
    }
    close(sfd);
    /* Only our keeper; __WALL because it has no exit signal. */
    while (waitpid(kpid, &kst, __WALL) < 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "waitpid for %s: %s", cmd,
                     strerror(errno));
            return -1;
        }
    }
    if (exec_errno) {
        snprintf(err, errlen, "cannot run %s: %s", cmd,
                 strerror(exec_errno));
        return -1;
    }
    if (killed) {
        snprintf(err, errlen, "command %s did not finish within "
                 "exec_timeout (%u s): killed", cmd, timeout_s);
        return -1;
    }
    if (!have_status) {
        snprintf(err, errlen, "lost the exit status of %s (its keeper "
                 "process ended with wait status 0x%x)", cmd, kst);
        return -1;
    }
    return 0;
}

/* Writes the blob (wfd is non-blocking) until deadline; returns bytes
 * written, *werr = errno on failure (ETIMEDOUT at the deadline). */
static size_t feed(int wfd, const uint8_t *buf, size_t len,
                   const struct timespec *deadline, int *werr)
{
    size_t off = 0;

    *werr = 0;
    while (off < len) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        ssize_t r = write(wfd, buf + off, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN) {
            struct pollfd pfd = { .fd = wfd, .events = POLLOUT };
            int left = ms_left(deadline);
            if (left == 0) {
                *werr = ETIMEDOUT;
                break;
            }
            poll(&pfd, 1, left);
            continue;
        }
        if (r < 0) {
            *werr = errno;
            break;
        }
        off += (size_t)r;
    }
    return off;
}

/* feed() with SIGPIPE held off (see the top of the file). */
static size_t feed_nosigpipe(int wfd, const uint8_t *buf, size_t len,
                             const struct timespec *deadline, int *werr)
{
    sigset_t pipe_set, old, pending;
    bool was_pending;
    size_t done;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
    done = feed(wfd, buf, len, deadline, werr);
    if (*werr == EPIPE && !was_pending) {
        struct timespec zero = { 0, 0 };
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return done;
}

static void describe(char *err, size_t errlen, const char *cmd, int st,
                     size_t done, size_t len, int werr)
{
    char how[96], tail[128] = "";

    if (WIFEXITED(st))
        snprintf(how, sizeof(how), "exited with status %d",
                 WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(how, sizeof(how), "was killed by signal %d (%s)",
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(how, sizeof(how), "ended with wait status 0x%x", st);
    if (werr == EPIPE)
        snprintf(tail, sizeof(tail), " after reading %zu of %zu bytes",
                 done, len);
    else if (werr)
        snprintf(tail, sizeof(tail), "; writing to it failed after %zu of "
                 "%zu bytes: %s", done, len, strerror(werr));
    snprintf(err, errlen, "command %s %s%s", cmd, how, tail);
}

int execbk_run(char *const argv[], const uint8_t *buf, size_t len,
               unsigned timeout_s, char *err, size_t errlen)
{
    int p[2], st = 0, werr, sfd;
    struct timespec deadline;
    pid_t kpid;
    size_t done;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_s;
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    if (spawn(argv, p[0], &kpid, &sfd, err, errlen) < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    close(p[0]);
    /* Our end only: a command that stops reading must not block us past
     * the deadline. */
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
    done = feed_nosigpipe(p[1], buf, len, &deadline, &werr);
    close(p[1]);
    if (werr == ETIMEDOUT)
        deadline.tv_sec = 0, deadline.tv_nsec = 0;  /* kill it now */
    if (reap(argv[0], kpid, sfd, &st, &deadline, timeout_s, err,
             errlen) < 0) {
        if (werr == ETIMEDOUT) {
            size_t l = strlen(err);
            snprintf(err + l, errlen - l, " after reading %zu of %zu bytes",
                     done, len);
        }
        return -1;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && werr == 0)
        return 0;
    describe(err, errlen, argv[0], st, done, len, werr);
    return -1;
}
