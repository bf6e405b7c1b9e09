/*
 * unit-exec-sigchld.c - the emulator exec backend inside a process whose
 * SIGCHLD belongs to someone else, as in a toolstack embedding libxlsr
 * (libxl_childproc_setmode): SIGCHLD ignored, a SIGCHLD handler that
 * reaps every child, a thread reaping with waitpid(-1).  The backend
 * must still get its command's own status, send no SIGCHLD, and leave
 * the process's children and dispositions alone.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "execbk.h"

static char *const exit3[] = { "/bin/sh", "-c", "cat >/dev/null; exit 3",
                               NULL };
static char *const slow4[] = { "/bin/sh", "-c",
                               "cat >/dev/null; sleep 0.2; exit 4", NULL };
static char *const cat[] = { "/bin/cat", NULL };

static void expect_status(char *const argv[], const char *want)
{
    char err[512] = "";
    int rc = execbk_run(argv, (const uint8_t *)"abc", 3, 30, err, sizeof(err));
    if (!want) {
        assert_int_equal(rc, 0);
        return;
    }
    assert_int_equal(rc, -1);
    assert_string_equal(err, want);
}

static void t_sigchld_ignored(void **st)
{
    (void)st;
    struct sigaction ign = { .sa_handler = SIG_IGN }, old;
    sigaction(SIGCHLD, &ign, &old);
    /* With SIGCHLD ignored the kernel reaps SIGCHLD children itself: a
     * waitpid() on one would fail with ECHILD. */
    expect_status(exit3, "command /bin/sh exited with status 3");
    expect_status(cat, NULL);
    struct sigaction now;
    sigaction(SIGCHLD, NULL, &now);
    assert_true(now.sa_handler == SIG_IGN);     /* left as it was */
    sigaction(SIGCHLD, &old, NULL);
}

static atomic_int sigchlds, stolen;

/* A toolstack's handler that reaps whatever child it can. */
static void reap_all(int sig)
{
    (void)sig;
    int saved = errno, st;
    sigchlds++;
    while (waitpid(-1, &st, WNOHANG) > 0)
        stolen++;
    errno = saved;
}

static void t_sigchld_handler_reaps_all(void **st)
{
    (void)st;
    struct sigaction h = { .sa_handler = reap_all }, old;
    sigemptyset(&h.sa_mask);
    sigaction(SIGCHLD, &h, &old);
    sigchlds = stolen = 0;
    expect_status(slow4, "command /bin/sh exited with status 4");
    expect_status(cat, NULL);
    /* Our commands raised no SIGCHLD and nothing of ours was reaped by
     * the handler... */
    assert_int_equal(sigchlds, 0);
    assert_int_equal(stolen, 0);
    /* ...while the toolstack's own children still are. */
    pid_t mine = fork();
    if (mine == 0)
        _exit(0);
    for (int i = 0; i < 200 && !stolen; i++)
        usleep(10000);
    assert_int_equal(stolen, 1);
    sigaction(SIGCHLD, &old, NULL);
}

static atomic_bool stop;

static void *reaper(void *arg)
{
    (void)arg;
    while (!stop) {
        int st;
        if (waitpid(-1, &st, WNOHANG) > 0)
            stolen++;
        usleep(1000);
    }
    return NULL;
}

static void t_reaper_thread(void **st)
{
    (void)st;
    pthread_t t;
    stop = false;
    stolen = 0;
    assert_int_equal(pthread_create(&t, NULL, reaper, NULL), 0);
    for (int i = 0; i < 5; i++)
        expect_status(slow4, "command /bin/sh exited with status 4");
    stop = true;
    pthread_join(t, NULL);
    assert_int_equal(stolen, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_sigchld_ignored),
        cmocka_unit_test(t_sigchld_handler_reaps_all),
        cmocka_unit_test(t_reaper_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
