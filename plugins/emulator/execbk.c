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
 * Timeout: one deadline covers the whole run.  Our write end is made
 * non-blocking and polled, so a command that never reads cannot block us;
 * the wait polls a pidfd.  At the deadline the command is killed with
 * SIGKILL and reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int spawn(char *const argv[], int rfd, pid_t *pid, char *err,
                 size_t errlen)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, def;
    int r;

    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_adddup2(&fa, rfd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
                             POSIX_SPAWN_SETSIGDEF);
    r = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (r != 0) {
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(r));
        return -1;
    }
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

/* Waits for pid until deadline: 0 with *st, or -1 on expiry (pid is then
 * killed and reaped) or error (errno). */
static int wait_until(pid_t pid, const struct timespec *deadline, int *st)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        pid_t r = waitpid(pid, st, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            goto fail;
        int left = ms_left(deadline);
        if (left == 0) {
            kill(pid, SIGKILL);
            while (waitpid(pid, st, 0) < 0 && errno == EINTR)
                ;
            errno = ETIMEDOUT;
            goto fail;
        }
        if (pfd >= 0) {         /* readable when the process exits */
            struct pollfd p = { .fd = pfd, .events = POLLIN };
            poll(&p, 1, left);
        } else {                /* kernels before 5.3 */
            struct timespec tick = { 0, 10 * 1000 * 1000 };
            nanosleep(&tick, NULL);
        }
    }
    if (pfd >= 0)
        close(pfd);
    return 0;
fail:
    if (pfd >= 0) {
        int e = errno;
        close(pfd);
        errno = e;
    }
    return -1;
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
    int p[2], st = 0, werr;
    struct timespec deadline;
    pid_t pid;
    size_t done;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_s;
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    if (spawn(argv, p[0], &pid, err, errlen) < 0) {
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
    int w = wait_until(pid, &deadline, &st);
    if (w < 0 || werr == ETIMEDOUT) {
        if (werr == ETIMEDOUT || errno == ETIMEDOUT)
            snprintf(err, errlen, "command %s did not finish within "
                     "exec_timeout (%u s): killed after reading %zu of %zu "
                     "bytes", argv[0], timeout_s, done, len);
        else
            snprintf(err, errlen, "waitpid for %s: %s", argv[0],
                     strerror(errno));
        return -1;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && werr == 0)
        return 0;
    describe(err, errlen, argv[0], st, done, len, werr);
    return -1;
}
