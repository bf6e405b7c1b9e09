/*
 * timeit.c - xlsr-timeit, the benchmarks' stopwatch: runs commands side by
 * side, each round in its own shuffled order, and prints each one's
 * median, fastest and slowest wall time and its peak RSS.  Commands are
 * exec'd directly (no shell, no date(1) between the clock reads), so a
 * 2 ms verify is not measured as 5 ms of shell start-up; xlsr and cat are
 * timed the same way.
 *
 *   xlsr-timeit -n RUNS [-m warm|cold|none] [-f FILE] [-p FILE] [-e N]
 *               -- CMD ARGS... [--- CMD ARGS...]...
 *
 * Before each run of each command, FILE is made warm (read through when
 * mincore() shows any of it uncached: see warm()) or cold: fdatasync(),
 * then posix_fadvise(POSIX_FADV_DONTNEED) on the file alone (the
 * machine's other caches stay: it is shared, and
 * /proc/sys/vm/drop_caches would disturb everyone else).  mincore() then
 * counts the pages still cached, printed as "cached-after-drop".  With
 * -p FILE, the command's stdin is a pipe fed by `cat FILE`, and the time
 * runs until both have exited.  Output, one line per command:
 *   median_s min_s max_s peak_rss_kib
 * A command that exits with another status than N (-e, default 0) stops
 * the run (exit 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 8
#define MAX_RUNS 101

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* How many of the file's pages the page cache holds (mincore() of a
 * mapping: nothing is read), and in *total how many it has; -1 if that
 * cannot be told. */
static long cached_pages(int fd, long *total)
{
    struct stat st;
    long left = -1;
    *total = 0;
    if (fstat(fd, &st) != 0 || st.st_size <= 0)
        return -1;
    long pg = sysconf(_SC_PAGESIZE);
    size_t n = (size_t)((st.st_size + pg - 1) / pg);
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    unsigned char *v = malloc(n);
    if (m != MAP_FAILED && v && mincore(m, (size_t)st.st_size, v) == 0) {
        left = 0;
        for (size_t i = 0; i < n; i++)
            left += v[i] & 1;
        *total = (long)n;
    }
    free(v);
    if (m != MAP_FAILED)
        munmap(m, (size_t)st.st_size);
    return left;
}

/* Makes the whole file cached: read through once, and again only when
 * mincore() shows a page missing.  Not a read before every run: copying
 * the whole file just before a timed command evicts the CPU caches, and
 * every command then pays for refilling them, which is not what a warm
 * page cache means (the real 128 MiB PV image, the two ways alternated
 * 4 times: /bin/true 1.11-1.24 -> 0.89-1.16 ms, cat 20.7-24.3 ->
 * 19.8-23.6 ms, verify 2.43-3.03 -> 1.96-2.82 ms). */
static void warm(const char *path)
{
    static char buf[1 << 17];
    long total;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    long have = cached_pages(fd, &total);
    if (have < 0 || have < total)
        while (read(fd, buf, sizeof(buf)) > 0)
            ;
    close(fd);
}

/* Drops path's pages from the page cache; returns how many stayed. */
static long cold(const char *path)
{
    long total;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    (void)fdatasync(fd);
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    long left = cached_pages(fd, &total);
    close(fd);
    return left;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One timed run of argv; *rss gets its peak RSS (KiB). */
static int want_status;

static double run(char **argv, const char *pipe_from, long *rss)
{
    int devnull = open("/dev/null", O_RDWR);
    int p[2] = { -1, -1 };
    pid_t feeder = -1;
    double t0 = now();

    if (pipe_from) {
        if (pipe(p) < 0)
            return -1;
        feeder = fork();
        if (feeder == 0) {
            dup2(p[1], 1);
            close(p[0]);
            close(p[1]);
            execlp("cat", "cat", pipe_from, (char *)NULL);
            _exit(127);
        }
        close(p[1]);
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_from ? p[0] : devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pipe_from)
        close(p[0]);
    close(devnull);
    int status = 0, fst = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0)
        return -1;
    if (feeder > 0)
        waitpid(feeder, &fst, 0);
    double t = now() - t0;
    *rss = ru.ru_maxrss;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != want_status) {
        fprintf(stderr, "xlsr-timeit: %s exited with status %d\n", argv[0],
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return t;
}

int main(int argc, char **argv)
{
    int runs = 5, ncmd = 0, opt;
    const char *mode = "none", *file = NULL, *pipe_from = NULL;
    char **cmds[MAX_CMDS];

    while ((opt = getopt(argc, argv, "+n:m:f:p:e:")) != -1) {
        switch (opt) {
        case 'n': runs = atoi(optarg); break;
        case 'm': mode = optarg; break;
        case 'f': file = optarg; break;
        case 'p': pipe_from = optarg; break;
        case 'e': want_status = atoi(optarg); break;
        default: return 2;
        }
    }
    if (runs < 1 || runs > MAX_RUNS || optind >= argc ||
        (strcmp(mode, "none") && !file)) {
        fprintf(stderr, "usage: xlsr-timeit -n RUNS [-m warm|cold -f FILE] "
                "[-p FILE] [-e STATUS] -- CMD... [--- CMD...]\n");
        return 2;
    }
    cmds[ncmd++] = &argv[optind];
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "---"))
            continue;
        argv[i] = NULL;
        if (ncmd == MAX_CMDS || i + 1 == argc)
            return 2;
        cmds[ncmd++] = &argv[i + 1];
    }

    static double t[MAX_CMDS][MAX_RUNS];
    long rss[MAX_CMDS] = { 0 }, left = -1;
    unsigned long long seed = 1;
    for (int r = 0; r < runs; r++) {
        /* Each round in its own order (a seeded shuffle: the same on
         * every run): whichever runs right after another meets the CPU
         * caches and memory that one left (two builds of equal cost
         * measured 3-11% apart by their place in a fixed order), and a
         * rotation would keep every command behind the same one. */
        int order[MAX_CMDS];
        for (int k = 0; k < ncmd; k++)
            order[k] = k;
        for (int k = ncmd - 1; k > 0; k--) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            int j = (int)((seed >> 33) % (unsigned)(k + 1)), x = order[k];
            order[k] = order[j];
            order[j] = x;
        }
        for (int k = 0; k < ncmd; k++) {
            int c = order[k];
            long m;
            if (!strcmp(mode, "warm"))
                warm(file);
            else if (!strcmp(mode, "cold"))
                left = cold(file);
            t[c][r] = run(cmds[c], pipe_from, &m);
            if (t[c][r] < 0)
                return 1;
            if (m > rss[c])
                rss[c] = m;
        }
    }
    for (int c = 0; c < ncmd; c++) {
        qsort(t[c], (size_t)runs, sizeof(double), cmp);
        printf("%.6f %.6f %.6f %ld\n", t[c][runs / 2], t[c][0],
               t[c][runs - 1], rss[c]);
    }
    if (!strcmp(mode, "cold"))
        printf("cached-after-drop %ld\n", left);
    return 0;
}
