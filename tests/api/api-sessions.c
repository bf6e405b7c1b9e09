/*
 * api-sessions.c - drives the embedding API as a toolstack would: many
 * sessions in one process, overlapping, over different configurations,
 * from many threads; and measures sessions per second.
 *
 *   api-sessions sequence JOBS         the issue-12 sequence, single thread:
 *                                      S1(A), S2(A), close S1, S3(B), and
 *                                      back; then jobs 3... one by one
 *   api-sessions threads N M JOBS      N threads x M sessions each, every
 *                                      thread keeping its previous session
 *                                      open while it opens the next
 *   api-sessions bench N M JOBS        as threads, prints sessions/second
 *   api-sessions reload JOBS           opens job 1, prints "held", waits
 *                                      for a line on stdin (the plugin
 *                                      files change meanwhile), then opens
 *                                      and runs job 2 while job 1 is open
 *   api-sessions stale SO JOBS         as an embedder that dlopen()s SO by
 *                                      its /proc/self/fd name and closes
 *                                      the fd, then runs job 1
 *
 * JOBS has one line per (configuration, stream), tab-separated:
 *     CONFIG  STREAM  EXIT  VERDICT  TYPE=PLUGIN,...
 * EXIT and VERDICT are what `xlsr verify -c CONFIG STREAM` said (VERDICT is
 * "ok RECORDS BYTES" or its one-line error); the bindings are what the
 * configuration names.  Every session must get exactly those plugins
 * (descriptor names, checked through xlsr_session_bindings) and that
 * verdict.  Configurations are loaded once and shared by all threads, as
 * the API allows.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xlsr/xlsr.h>

#define MAX_JOBS 64
#define MAX_BIND 16

struct job {
    char *config, *stream, *verdict;
    int exit_status;
    struct xlsr_config *cfg;
    size_t nbind;
    uint32_t type[MAX_BIND];
    char *plugin[MAX_BIND];
};

static struct job jobs[MAX_JOBS];
static size_t njobs;
static atomic_uint wrong_plugins, wrong_verdicts, sessions_done;
static bool quiet;

static void die(const char *what, const char *arg)
{
    fprintf(stderr, "api-sessions: %s%s\n", what, arg);
    exit(2);
}

static struct xlsr_config *shared_config(const char *path)
{
    for (size_t i = 0; i < njobs; i++)
        if (jobs[i].cfg && !strcmp(jobs[i].config, path))
            return jobs[i].cfg;
    struct xlsr_config *cfg;
    struct xlsr_error err;
    char line[1200];
    if (xlsr_config_load(path, &cfg, &err)) {
        xlsr_error_format(&err, line, sizeof(line));
        die("", line);
    }
    return cfg;
}

static void parse_bindings(struct job *j, char *list)
{
    for (char *save = NULL, *b = strtok_r(list, ",", &save); b;
         b = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(b, '=');
        if (!eq || j->nbind == MAX_BIND)
            die("bad binding ", b);
        *eq = '\0';
        if (xlsr_rec_type_parse(b, &j->type[j->nbind]))
            die("bad record type ", b);
        j->plugin[j->nbind++] = strdup(eq + 1);
    }
}

static void load_jobs(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    if (!f)
        die("cannot open ", path);
    while (fgets(line, sizeof(line), f) && njobs < MAX_JOBS) {
        line[strcspn(line, "\n")] = '\0';
        char *save = NULL, *field[5];
        for (int i = 0; i < 5; i++)
            if (!(field[i] = strtok_r(i ? NULL : line, "\t", &save)))
                die("short line in ", path);
        struct job *j = &jobs[njobs];
        j->config = strdup(field[0]);
        j->stream = strdup(field[1]);
        j->exit_status = atoi(field[2]);
        j->verdict = strdup(field[3]);
        parse_bindings(j, field[4]);
        j->cfg = shared_config(j->config);
        njobs++;
    }
    fclose(f);
    if (!njobs)
        die("no jobs in ", path);
}

struct seen {
    const struct job *job;
    size_t n;
    bool bad;
    char what[512];
};

static void on_binding(void *opaque, uint32_t type, const char *section,
                       const char *plugin, const char *path,
                       const struct xlsr_plugin *desc, const char *role)
{
    struct seen *s = opaque;
    (void)section;
    (void)plugin;
    (void)path;
    if (strcmp(role, "current"))
        return;
    for (size_t i = 0; i < s->job->nbind; i++) {
        if (s->job->type[i] != type)
            continue;
        s->n++;
        if (strcmp(desc->name, s->job->plugin[i])) {
            s->bad = true;
            snprintf(s->what, sizeof(s->what), "record 0x%x bound to %s, "
                     "the configuration names %s", type, desc->name,
                     s->job->plugin[i]);
        }
        return;
    }
    s->bad = true;
    snprintf(s->what, sizeof(s->what), "unexpected binding for 0x%x", type);
}

/* A session and the restore context it was opened with (the context
 * must outlive the session). */
struct live {
    struct xlsr_session *s;
    struct xlsr_restore_ctx ctx;
};

/* Opens a session for job j and checks its bindings. */
static struct live *open_job(const struct job *j)
{
    struct live *l = calloc(1, sizeof(*l));
    struct xlsr_session_opts opts = { .size = sizeof(opts) };
    struct xlsr_error err;
    char line[1200];

    l->ctx.size = sizeof(l->ctx);
    l->ctx.mode = XLSR_MODE_VERIFY;
    l->ctx.store_port = l->ctx.console_port = -1;
    if (xlsr_session_open(j->cfg, &l->ctx, &opts, &l->s, &err)) {
        xlsr_error_format(&err, line, sizeof(line));
        fprintf(stderr, "open %s: %s\n", j->config, line);
        atomic_fetch_add(&wrong_verdicts, 1);
        free(l);
        return NULL;
    }
    struct seen seen = { .job = j };
    xlsr_session_bindings(l->s, on_binding, &seen);
    if (seen.bad || seen.n != j->nbind) {
        fprintf(stderr, "%s: wrong plugins: %s\n", j->config,
                seen.bad ? seen.what : "a binding is missing");
        atomic_fetch_add(&wrong_plugins, 1);
    }
    return l;
}

static void close_job(struct live *l)
{
    if (!l)
        return;
    xlsr_session_close(l->s);
    /* The xl config the session exposed went with it: no dangling
     * pointer is left in the caller's context. */
    if (l->ctx.xl_config || l->ctx.xl_config_len) {
        fprintf(stderr, "ctx->xl_config left set after close\n");
        atomic_fetch_add(&wrong_verdicts, 1);
    }
    free(l);
}

static void run_job(struct live *l, const struct job *j)
{
    struct xlsr_result res;
    struct xlsr_error err;
    char got[1200];

    if (!l)
        return;
    int fd = open(j->stream, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot open ", j->stream);
    int rc = xlsr_session_run(l->s, fd, &res, &err);
    close(fd);
    /* Output structures are stamped by the library (XLSR_1.1). */
    if (res.size != sizeof(res) || err.size != sizeof(err)) {
        fprintf(stderr, "result/error size %u/%u, expected %zu/%zu\n",
                res.size, err.size, sizeof(res), sizeof(err));
        atomic_fetch_add(&wrong_verdicts, 1);
    }
    if (rc)
        xlsr_error_format(&err, got, sizeof(got));
    else
        snprintf(got, sizeof(got), "ok %" PRIu64 " %" PRIu64, res.records,
                 res.bytes);
    if (xlsr_exit_status(rc) != j->exit_status || strcmp(got, j->verdict)) {
        fprintf(stderr, "%s on %s: exit %d '%s', the CLI says exit %d "
                "'%s'\n", j->stream, j->config, xlsr_exit_status(rc), got,
                j->exit_status, j->verdict);
        atomic_fetch_add(&wrong_verdicts, 1);
    }
    atomic_fetch_add(&sessions_done, 1);
}

/* The sequence: S3 must get B's plugins although S2 still holds
 * A's, loaded on file descriptors S1 has since closed.  S3 is kept open
 * for the next round. */
static struct live *sequence_once(const struct job *a, const struct job *b)
{
    struct live *s1 = open_job(a), *s2 = open_job(a);
    close_job(s1);
    struct live *s3 = open_job(b);
    run_job(s2, a);
    run_job(s3, b);
    close_job(s2);
    return s3;
}

static int sequence(void)
{
    if (njobs < 2)
        die("sequence needs two jobs (configurations A and B)", "");
    struct live *k1 = sequence_once(&jobs[0], &jobs[1]);
    struct live *k2 = sequence_once(&jobs[1], &jobs[0]);
    close_job(k1);
    close_job(k2);
    /* Then, with every session closed, the other jobs one by one: fresh
     * loads on the descriptors the first ones used. */
    for (size_t i = 2; i < njobs; i++) {
        struct live *l = open_job(&jobs[i]);
        run_job(l, &jobs[i]);
        close_job(l);
    }
    return 0;
}

/* A long-lived session while the plugin files change under it. */
static int reload(void)
{
    char line[16];
    if (njobs < 2)
        die("reload needs two jobs (before and after)", "");
    struct live *held = open_job(&jobs[0]);
    printf("held\n");
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin))
        die("no go-ahead on stdin", "");
    struct live *now = open_job(&jobs[1]);
    run_job(now, &jobs[1]);
    run_job(held, &jobs[0]);
    close_job(now);
    close_job(held);
    return 0;
}

/* Leaves a stale /proc/self/fd name behind, as careless code elsewhere in
 * the process might, then runs a session. */
static int stale(const char *so)
{
    char name[64];
    int fd = open(so, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot open ", so);
    snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
    if (!dlopen(name, RTLD_NOW | RTLD_LOCAL))
        die("dlopen failed: ", dlerror());
    close(fd);
    printf("stale name %s\n", name);
    struct live *l = open_job(&jobs[0]);
    run_job(l, &jobs[0]);
    close_job(l);
    return 0;
}

struct worker {
    pthread_t tid;
    unsigned index, sessions;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct live *prev = NULL;
    for (unsigned i = 0; i < w->sessions; i++) {
        const struct job *j = &jobs[(w->index * 7 + i * 3) % njobs];
        struct live *s = open_job(j);
        /* The previous session is closed only now, while this one holds
         * its plugins: the overlap that used to hand out wrong objects. */
        close_job(prev);
        prev = s;
        run_job(s, j);
    }
    close_job(prev);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int threads(unsigned n, unsigned m, bool bench)
{
    struct worker *w = calloc(n, sizeof(*w));
    double t0 = now();
    for (unsigned i = 0; i < n; i++) {
        w[i].index = i;
        w[i].sessions = m;
        if (pthread_create(&w[i].tid, NULL, work, &w[i]))
            die("pthread_create failed", "");
    }
    for (unsigned i = 0; i < n; i++)
        pthread_join(w[i].tid, NULL);
    double dt = now() - t0;
    free(w);
    if (bench)
        printf("%u threads: %u sessions in %.3f s: %.0f sessions/s\n", n,
               atomic_load(&sessions_done), dt,
               atomic_load(&sessions_done) / dt);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc == 3 && !strcmp(argv[1], "sequence")) {
        load_jobs(argv[2]);
        rc = sequence();
    } else if (argc == 4 && !strcmp(argv[1], "stale")) {
        load_jobs(argv[3]);
        rc = stale(argv[2]);
    } else if (argc == 3 && !strcmp(argv[1], "reload")) {
        load_jobs(argv[2]);
        rc = reload();
    } else if (argc == 5 && (!strcmp(argv[1], "threads") ||
                             !strcmp(argv[1], "bench"))) {
        load_jobs(argv[4]);
        quiet = !strcmp(argv[1], "bench");
        rc = threads((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]),
                     quiet);
    } else {
        fprintf(stderr, "usage: api-sessions sequence JOBS | threads N M "
                "JOBS | bench N M JOBS | reload JOBS | stale SO JOBS\n");
        return 2;
    }
    unsigned wp = atomic_load(&wrong_plugins), wv = atomic_load(&wrong_verdicts);
    if (!quiet)
        printf("sessions run %u, wrong plugins %u, wrong verdicts %u\n",
               atomic_load(&sessions_done), wp, wv);
    for (size_t i = 0; i < njobs; i++) {
        bool first = true;
        for (size_t k = 0; k < i; k++)
            if (jobs[k].cfg == jobs[i].cfg)
                first = false;
        if (first)
            xlsr_config_free(jobs[i].cfg);
    }
    return rc ? rc : (wp || wv) ? 1 : 0;
}
