/*
 * unit-backends.c - cmocka tests of the emulator plugin's backends
 * against real files and real processes: path checks, the atomic file
 * write (refusals leave nothing behind), and the exec backend's status
 * reporting and SIGPIPE handling.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "execbk.h"
#include "filebk.h"

static char dir[64];

static int setup(void **st)
{
    (void)st;
    strcpy(dir, "/tmp/xlsr-unit-emu.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}

/* Number of entries in dir besides . and .. */
static int entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void t_check_path(void **st)
{
    (void)st;
    const char *name;
    char err[512];
    assert_int_equal(filebk_check_path("/var/lib/xen", "/var/lib/xen/q.7",
                                       &name, err, sizeof(err)), 0);
    assert_string_equal(name, "q.7");
    assert_int_equal(filebk_check_path("/var/lib/xen/", "/var/lib/xen/q",
                                       &name, err, sizeof(err)), 0);
    assert_int_equal(filebk_check_path("/var/lib/xen", "/var/lib/xen/../q",
                                       &name, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'..' segment"));
    assert_int_equal(filebk_check_path("/var/lib/xen", "/var/lib/xenx/q",
                                       &name, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "outside the configured directory"));
    assert_int_equal(filebk_check_path("/var/lib/xen", "/var/lib/xen/a/q",
                                       &name, err, sizeof(err)), -1);
    assert_int_equal(filebk_check_path("/var/lib/xen", "/var/lib/xen/",
                                       &name, err, sizeof(err)), -1);
    assert_int_equal(filebk_check_path("/var/lib/xen", "q", &name, err,
                                       sizeof(err)), -1);
    assert_non_null(strstr(err, "not an absolute path"));
    assert_int_equal(filebk_check_path("/", "/q", &name, err, sizeof(err)),
                     0);
    assert_int_equal(filebk_check_dir("/a/./b", err, sizeof(err)), -1);
    assert_int_equal(filebk_check_dir("/a/b/", err, sizeof(err)), -1);
}

static void t_write_replace(void **st)
{
    (void)st;
    char err[512], path[128], buf[16] = { 0 };
    struct stat sb;
    snprintf(path, sizeof(path), "%s/t", dir);
    assert_int_equal(filebk_write(dir, "t", (const uint8_t *)"old", 3, err,
                                  sizeof(err)), 0);
    assert_int_equal(filebk_write(dir, "t", (const uint8_t *)"newer", 5, err,
                                  sizeof(err)), 0);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf)), 5);
    close(fd);
    assert_string_equal(buf, "newer");
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_int_equal(entries(), 1);
    unlink(path);
}

static void t_symlink_refused(void **st)
{
    (void)st;
    char err[512], path[128], victim[128];
    snprintf(path, sizeof(path), "%s/l", dir);
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    assert_int_equal(symlink(victim, path), 0);
    assert_int_equal(filebk_write(dir, "l", (const uint8_t *)"x", 1, err,
                                  sizeof(err)), -1);
    assert_non_null(strstr(err, "is a symlink: refused"));
    assert_int_equal(access(victim, F_OK), -1);
    assert_int_equal(entries(), 1);     /* the link only, no temp file */
    unlink(path);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(filebk_write(dir, "l", (const uint8_t *)"x", 1, err,
                                  sizeof(err)), -1);
    assert_non_null(strstr(err, "not a regular file"));
    rmdir(path);
}

static void t_missing_dir(void **st)
{
    (void)st;
    char err[512];
    assert_int_equal(filebk_write("/nonexistent-xlsr", "q",
                                  (const uint8_t *)"x", 1, err,
                                  sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot open directory"));
}

/* Both ways of resolving dir: openat2 and the portable O_NOFOLLOW walk. */
static void t_open_dir(void **st)
{
    (void)st;
    char err[512], a[128], l[128], la[160];
    snprintf(a, sizeof(a), "%s/a", dir);
    snprintf(l, sizeof(l), "%s/l", dir);
    snprintf(la, sizeof(la), "%s/l/a", dir);
    assert_int_equal(mkdir(a, 0700), 0);
    assert_int_equal(symlink(dir, l), 0);
    for (int way = 0; way < 2; way++) {
        int fd = filebk_open_dir(a, way, err, sizeof(err));
        assert_true(fd >= 0);
        close(fd);
        fd = filebk_open_dir("/", way, err, sizeof(err));
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(filebk_open_dir(l, way, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "is a symbolic link: refused"));
        assert_int_equal(filebk_open_dir(la, way, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "is a symbolic link: refused"));
        assert_int_equal(chmod(a, 0770), 0);
        assert_int_equal(filebk_open_dir(a, way, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "writable by others (mode 0770)"));
        assert_int_equal(chmod(a, 0700), 0);
    }
    unlink(l);
    rmdir(a);
}

static void t_split(void **st)
{
    (void)st;
    int argc;
    char **v = execbk_split("  /bin/x  a b ", &argc);
    assert_int_equal(argc, 3);
    assert_string_equal(v[0], "/bin/x");
    assert_string_equal(v[2], "b");
    assert_null(v[3]);
    free(v);
    v = execbk_split("", &argc);
    assert_int_equal(argc, 0);
    free(v);
}

static void t_exec_ok(void **st)
{
    (void)st;
    char err[512], out[128], cmd[160];
    snprintf(out, sizeof(out), "%s/got", dir);
    snprintf(cmd, sizeof(cmd), "cat > %s", out);
    char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    static uint8_t blob[3 << 20];
    for (size_t i = 0; i < sizeof(blob); i++)
        blob[i] = (uint8_t)(i * 7);
    assert_int_equal(execbk_run(argv, blob, sizeof(blob), 30, err, sizeof(err)),
                     0);
    struct stat sb;
    assert_int_equal(stat(out, &sb), 0);
    assert_int_equal(sb.st_size, sizeof(blob));
    unlink(out);
}

static void t_exec_status(void **st)
{
    (void)st;
    char err[512];
    char *argv[] = { "/bin/sh", "-c", "cat >/dev/null; exit 3", NULL };
    assert_int_equal(execbk_run(argv, (const uint8_t *)"abc", 3, 30, err,
                                sizeof(err)), -1);
    assert_string_equal(err, "command /bin/sh exited with status 3");
    char *argv2[] = { "/bin/sh", "-c", "kill -9 $$", NULL };
    assert_int_equal(execbk_run(argv2, (const uint8_t *)"", 0, 30, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "was killed by signal 9"));
    char *argv3[] = { "/nonexistent/cmd", NULL };
    assert_int_equal(execbk_run(argv3, (const uint8_t *)"", 0, 30, err,
                                sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot run /nonexistent/cmd"));
}

/* The command exits at once: EPIPE, no SIGPIPE death, no zombie, no
 * SIGPIPE left pending. */
static void t_exec_epipe(void **st)
{
    (void)st;
    char err[512];
    char *argv[] = { "/bin/true", NULL };
    static uint8_t blob[4 << 20];
    sigset_t pend;
    assert_int_equal(execbk_run(argv, blob, sizeof(blob), 30, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "exited with status 0 after reading"));
    assert_non_null(strstr(err, "of 4194304 bytes"));
    sigpending(&pend);
    assert_false(sigismember(&pend, SIGPIPE));
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);   /* no children */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_check_path), cmocka_unit_test(t_write_replace),
        cmocka_unit_test(t_symlink_refused),
        cmocka_unit_test(t_missing_dir), cmocka_unit_test(t_open_dir),
        cmocka_unit_test(t_split),
        cmocka_unit_test(t_exec_ok), cmocka_unit_test(t_exec_status),
        cmocka_unit_test(t_exec_epipe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
