/* Lesson 03 -- gil: why don't Python threads use two cores?
 *
 * The question: CPython's threads cannot run Python code in parallel,
 * because of the global interpreter lock. What exactly does the lock do,
 * what does it cost, and who pays? This lesson runs a simulated GIL
 * (lib/gil.c, faithful to CPython's algorithms) under C threads:
 *   1. the countdown `while n > 0: n -= 1`, twice in a row, then split over 2
 *      threads under the new lock, the old lock, the old lock pinned to one
 *      CPU, no lock at all, and 2 processes (each has its own lock);
 *   2. the switch interval, swept: how often the lock changes hands;
 *   3. the convoy effect: a thread doing request/response I/O beside
 *      CPU-bound threads waits about one switch interval per request;
 *   4. I/O-bound threads still speed up: they release the lock while waiting;
 *   5. a timeline of who held the lock, under each lock;
 *   6. the same countdown and convoy in real CPython (if python3 is here),
 *      side by side with the simulation.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "mp.h"

static long mode_flag = 3; /* index in mode_choices: which locks the timeline shows */
static long interval_flag = MP_GIL_DEFAULT_INTERVAL_US;
static long check_flag = MP_GIL_DEFAULT_CHECK;
static const char *const mode_choices[] = {"none", "old", "new", "all", NULL};

/* ===================================================================== */
/* 1. the countdown                                                       */
/* ===================================================================== */

typedef enum { SEQUENTIAL, THREADS, PINNED, PROCESSES } how;

typedef struct countdown {
    const char *label; /* as gil.csv names it: sequential, new, old, none, process */
    how how;
    mp_gil_mode mode;
    uint64_t ticks;    /* per worker; sequential does twice this */
    mp_gil_counters counters; /* the last run's */
} countdown;

/* What a child process needs, as bytes: a spawned child has none of our
 * memory, not even the flags we parsed. */
typedef struct lock_job {
    mp_gil_mode mode;
    uint64_t ticks;
    long interval_us, check;
} lock_job;

typedef struct worker { mp_gil *gil; uint64_t ticks; } worker;

/* Returns the nanoseconds this thread spent waiting for the lock. */
static void *countdown_thread(void *arg)
{
    worker *w = arg;
    mp_gil_thread t;
    mp_gil_thread_init(w->gil, &t);
    mp_gil_countdown(w->gil, &t, w->ticks);
    return (void *)(uintptr_t)t.wait_ns;
}

/* Two threads count down under one lock; the lock's counters are kept, and
 * the time both threads spent waiting for it. */
static uint64_t last_wait_ns;

static void two_threads_with(const lock_job *j, mp_gil_counters *out)
{
    mp_gil gil;
    CHECK(mp_gil_init(&gil, j->mode, (uint64_t)j->interval_us, (uint32_t)j->check));
    worker w = {&gil, j->ticks};
    mp_thread th[2];
    for (int i = 0; i < 2; i++) {
        char name[16];
        snprintf(name, sizeof name, "py-thread-%d", i + 1);
        mp_thread_init(&th[i], name, countdown_thread, &w);
        CHECK(mp_thread_start(&th[i]));
    }
    last_wait_ns = 0;
    for (int i = 0; i < 2; i++) {
        void *waited;
        CHECK(mp_thread_join(&th[i], &waited));
        last_wait_ns += (uintptr_t)waited;
    }
    *out = mp_gil_read_counters(&gil);
    mp_gil_destroy(&gil);
}

static void two_threads(mp_gil_mode mode, uint64_t ticks, mp_gil_counters *out)
{
    lock_job j = {mode, ticks, interval_flag, check_flag};
    two_threads_with(&j, out);
}

/* In a child: pin to one CPU (its threads inherit it), then two threads;
 * the counters go back through the pipe we were handed. */
static int pinned_child(void *arg)
{
    const lock_job *j = arg;
    if (mp_pin_to_cpu(0) != 0)
        return 3;
    mp_gil_counters k;
    two_threads_with(j, &k);
    return write(mp_child_fd(0), &k, sizeof k) == sizeof k ? 0 : 4;
}

/* A process has its own interpreter, hence its own lock. */
static int countdown_process(void *arg)
{
    const lock_job *j = arg;
    mp_gil gil;
    if (mp_gil_init(&gil, MP_GIL_NEW, (uint64_t)j->interval_us, (uint32_t)j->check) != 0)
        return 3;
    worker w = {&gil, j->ticks};
    countdown_thread(&w);
    mp_gil_destroy(&gil);
    return 0;
}

static void run_processes(countdown *c, mp_target target, int n)
{
    lock_job j = {c->mode, c->ticks, interval_flag, check_flag};
    int back[2];
    CHECK(pipe2(back, O_CLOEXEC) == 0 ? 0 : -errno);
    mp_process p[2];
    for (int i = 0; i < n; i++) {
        mp_process_init(&p[i], NULL, target, NULL);
        mp_process_set_args(&p[i], &j, sizeof j);
        mp_process_pass_fd(&p[i], back[1]);
        CHECK(mp_process_start(&p[i]));
    }
    close(back[1]);
    for (int i = 0; i < n; i++) {
        CHECK(mp_process_join(&p[i], MP_FOREVER));
        if (p[i].exitcode != 0) {
            mp_say("error: %s exited with %d", p[i].name, p[i].exitcode);
            exit(1);
        }
    }
    if (target == pinned_child)
        CHECK(mp_read_full(back[0], &c->counters, sizeof c->counters));
    close(back[0]);
}

static void run_countdown(void *arg)
{
    countdown *c = arg;
    c->counters = (mp_gil_counters){0};
    switch (c->how) {
    case SEQUENTIAL: {
        mp_gil gil;
        CHECK(mp_gil_init(&gil, MP_GIL_NEW, (uint64_t)interval_flag, (uint32_t)check_flag));
        worker w = {&gil, 2 * c->ticks};
        countdown_thread(&w);
        mp_gil_destroy(&gil);
        break;
    }
    case THREADS: two_threads(c->mode, c->ticks, &c->counters); break;
    case PINNED: run_processes(c, pinned_child, 1); break;
    case PROCESSES: run_processes(c, countdown_process, 2); break;
    }
}

typedef struct exp1_result { double ratio[6], cpu_per_wall[6]; mp_gil_counters k[6]; } exp1_result;
enum { R_SEQ, R_NEW, R_OLD, R_OLD_PINNED, R_NONE, R_PROC };

static void experiment_countdown(mp_lesson *L, exp1_result *R)
{
    uint64_t ticks = mp_gil_ticks_for(L->o.quick ? 0.05 : 0.15);
    mp_section("1. the countdown: %llu ticks twice in a row, then split over 2 threads or processes",
               (unsigned long long)ticks);
    countdown runs[] = {
        {"sequential", SEQUENTIAL, MP_GIL_NEW, ticks, {0}},
        {"new", THREADS, MP_GIL_NEW, ticks, {0}},
        {"old", THREADS, MP_GIL_OLD, ticks, {0}},
        {"old", PINNED, MP_GIL_OLD, ticks, {0}},
        {"none", THREADS, MP_GIL_NONE, ticks, {0}},
        {"process", PROCESSES, MP_GIL_NEW, ticks, {0}},
    };
    const char *what[] = {"1 thread, 2x the work", "2 threads, new lock (3.2+)", "2 threads, old lock (<=3.1)",
                          "2 threads, old lock, 1 CPU", "2 threads, no lock (3.13t)", "2 processes, a lock each"};
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "gil.csv",
                      "mode,workers,pinned,median_s,min_s,max_s,cpu_s,ratio,handoffs,failed_wakeups"));
    mp_table tab;
    mp_table_header(&tab, "run                        |median s|min s|max s|cpu s|ratio|handoffs|forced drops|"
                          "failed wake-ups|waited s");
    double seq = 0;
    char bars[4200];
    snprintf(bars, sizeof bars, "%s/gil-bars.dat", L->o.out);
    FILE *bf = fopen(bars, "w");
    if (bf)
        fprintf(bf, "run \"time / sequential\"\n");
    for (int i = 0; i < 6; i++) {
        mp_stats wall, cpu;
        CHECK(mp_measure(L->o.repeat, run_countdown, &runs[i], &wall, &cpu));
        if (i == R_SEQ)
            seq = wall.median;
        R->ratio[i] = wall.median / seq;
        R->cpu_per_wall[i] = cpu.median / wall.median;
        const mp_gil_counters *k = &runs[i].counters;
        R->k[i] = *k;
        /* waited: both threads' time blocked on the lock, in the last run (threads only) */
        char waited[32] = "-";
        if (runs[i].how == THREADS)
            snprintf(waited, sizeof waited, "%.3f", (double)last_wait_ns / 1e9);
        mp_table_row(&tab, "%s|%.3f|%.3f|%.3f|%.3f|%.2f|%llu|%llu|%llu|%s", what[i], wall.median, wall.min,
                     wall.max, cpu.median, R->ratio[i], (unsigned long long)k->handoffs,
                     (unsigned long long)k->forced_drops, (unsigned long long)k->failed_wakeups, waited);
        CHECK(mp_csv_row(&csv, "%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.4f,%llu,%llu", runs[i].label, i == R_SEQ ? 1 : 2,
                         runs[i].how == PINNED, wall.median, wall.min, wall.max, cpu.median, R->ratio[i],
                         (unsigned long long)k->handoffs, (unsigned long long)k->failed_wakeups));
        if (bf)
            fprintf(bf, "\"%s\" %.4f\n", what[i], R->ratio[i]);
    }
    CHECK(mp_csv_close(&csv));
    if (bf)
        fclose(bf);
    mp_say("ratio = median time / sequential median: 1.0 is no gain, 0.5 is twice as fast");
    mp_plot("bars.gp", bars, L->o.out, "gil-bars", "lesson 03: the countdown, time relative to sequential",
            "ylabel='time / sequential (lower is faster)'; ncols=2", L->o.no_plot);
}

/* ===================================================================== */
/* 2. the switch interval                                                 */
/* ===================================================================== */

typedef struct sweep_run { uint64_t ticks; mp_gil_counters k; } sweep_run;

static void run_sweep(void *arg)
{
    sweep_run *s = arg;
    two_threads(MP_GIL_NEW, s->ticks, &s->k);
}

static void experiment_sweep(mp_lesson *L)
{
    static const long full[] = {100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000};
    static const long quick[] = {100, 1000, 5000, 50000};
    const long *iv = L->o.quick ? quick : full;
    int n = L->o.quick ? 4 : 9;
    sweep_run s = {.ticks = mp_gil_ticks_for(L->o.quick ? 0.03 : 0.05)};
    mp_section("2. switch interval sweep: 2 threads, new lock, %llu ticks each",
               (unsigned long long)s.ticks);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "sweep.csv", "interval_us,median_s,handoffs,handoffs_per_s"));
    char dat[4200];
    snprintf(dat, sizeof dat, "%s/sweep.dat", L->o.out);
    FILE *df = fopen(dat, "w");
    mp_table tab;
    mp_table_header(&tab, "interval us|median s|handoffs|per second|ceiling 1/interval");
    long saved = interval_flag;
    for (int i = 0; i < n; i++) {
        interval_flag = iv[i];
        mp_stats wall;
        CHECK(mp_measure(L->o.repeat, run_sweep, &s, &wall, NULL));
        double per_s = (double)s.k.handoffs / wall.median;
        mp_table_row(&tab, "%ld|%.3f|%llu|%.0f|%.0f", iv[i], wall.median, (unsigned long long)s.k.handoffs, per_s,
                     1e6 / (double)iv[i]);
        CHECK(mp_csv_row(&csv, "%ld,%.6f,%llu,%.1f", iv[i], wall.median, (unsigned long long)s.k.handoffs, per_s));
        if (df)
            fprintf(df, "%ld %.6f %.2f\n", iv[i], wall.median, per_s);
    }
    interval_flag = saved;
    CHECK(mp_csv_close(&csv));
    if (df)
        fclose(df);
    mp_say("the lock changes hands at most once per interval: shorter intervals, more hand-overs, same total time");
    mp_plot("sweep.gp", dat, L->o.out, "sweep", "lesson 03: the switch interval", NULL, L->o.no_plot);
}

/* ===================================================================== */
/* 3. the convoy effect                                                   */
/* ===================================================================== */

#define SERVER_DELAY_US 200

/* The "network": a child process that answers each request after ~200 us. */
static int server_main(void *arg)
{
    (void)arg;
    /* handed over: 0 requests in, 1 answers out, 2 and 3 the lesson's ends.
     * Close our copies of the lesson's ends: a pipe reports EOF only once
     * every copy of its write end is closed, ours included. */
    close(mp_child_fd(2));
    close(mp_child_fd(3));
    char b;
    while (read(mp_child_fd(0), &b, 1) == 1) {
        mp_sleep_ns(SERVER_DELAY_US * 1000);
        if (write(mp_child_fd(1), &b, 1) != 1)
            return 1;
    }
    return 0; /* EOF: the lesson closed its end */
}

typedef struct convoy_cpu { mp_gil *gil; atomic_bool *stop; } convoy_cpu;

static void *spin_thread(void *arg)
{
    convoy_cpu *c = arg;
    mp_gil_thread t;
    mp_gil_thread_init(c->gil, &t);
    return (void *)(uintptr_t)mp_gil_spin(c->gil, &t, c->stop);
}

/* CPU work in a process of its own: its own lock, so no convoy. */
static int spin_process(void *arg)
{
    (void)arg;
    static atomic_bool never;
    mp_gil gil;
    if (mp_gil_init(&gil, MP_GIL_NEW, MP_GIL_DEFAULT_INTERVAL_US, MP_GIL_DEFAULT_CHECK) != 0)
        return 3;
    convoy_cpu c = {&gil, &never};
    spin_thread(&c);
    return 0; /* not reached: the lesson terminates us */
}

typedef struct convoy_setup {
    const char *setup;   /* alone, threads, process */
    long interval_us;
    int cpu_threads;
    double median_us, p99_us;
} convoy_setup;

/* Request/response round trips from this (GIL-holding) thread; latency is
 * from sending the request to holding the lock again with the answer. */
static void measure_convoy(convoy_setup *s, int to_server, int from_server, int requests)
{
    mp_gil gil;
    CHECK(mp_gil_init(&gil, MP_GIL_NEW, (uint64_t)s->interval_us, (uint32_t)check_flag));
    atomic_bool stop = false;
    convoy_cpu cpu = {&gil, &stop};
    mp_thread th[2];
    mp_process proc;
    for (int i = 0; i < s->cpu_threads && s->setup[0] == 't'; i++) {
        mp_thread_init(&th[i], NULL, spin_thread, &cpu);
        CHECK(mp_thread_start(&th[i]));
    }
    if (s->setup[0] == 'p') {
        mp_process_init(&proc, "cpu-process", spin_process, NULL);
        CHECK(mp_process_start(&proc));
    }
    mp_sleep_ns(10000000); /* let the CPU work get going */

    double *lat = calloc((size_t)requests, sizeof *lat);
    mp_gil_thread me;
    mp_gil_thread_init(&gil, &me);
    mp_gil_acquire(&gil, &me);
    for (int r = 0; r < requests; r++) {
        for (int k = 0; k < 50; k++) /* a little Python work between requests */
            mp_gil_tick(&gil, &me);
        /* conn.send_bytes(); conn.recv_bytes(): two blocking calls, each
         * releasing the lock around it and waiting to get it back after */
        char b = 'q';
        uint64_t t0 = mp_now_ns();
        mp_gil_begin_blocking(&gil, &me); /* Py_BEGIN_ALLOW_THREADS */
        ssize_t sent = write(to_server, &b, 1);
        mp_gil_end_blocking(&gil, &me);   /* Py_END_ALLOW_THREADS: wait for the lock */
        mp_gil_begin_blocking(&gil, &me);
        ssize_t got = read(from_server, &b, 1);
        mp_gil_end_blocking(&gil, &me);
        if (sent != 1 || got != 1) {
            mp_syserr("pipe to the server", errno);
            exit(1);
        }
        lat[r] = (double)(mp_now_ns() - t0) / 1e3;
    }
    mp_gil_release(&gil, &me);
    stop = true;
    for (int i = 0; i < s->cpu_threads && s->setup[0] == 't'; i++)
        CHECK(mp_thread_join(&th[i], NULL));
    if (s->setup[0] == 'p') {
        CHECK(mp_process_terminate(&proc));
        CHECK(mp_process_join(&proc, MP_FOREVER));
    }
    s->median_us = mp_quantile(lat, (size_t)requests, 0.5);
    s->p99_us = mp_quantile(lat, (size_t)requests, 0.99);
    free(lat);
    mp_gil_destroy(&gil);
}

static void experiment_convoy(mp_lesson *L, convoy_setup *setups, int n)
{
    int requests = L->o.quick ? 20 : 60;
    mp_section("3. the convoy effect: %d request/response round trips to a child answering after %d us",
               requests, SERVER_DELAY_US);
    int req[2], resp[2];
    CHECK(pipe2(req, O_CLOEXEC) == 0 ? 0 : -errno); /* close-on-exec: only handed on on purpose */
    CHECK(pipe2(resp, O_CLOEXEC) == 0 ? 0 : -errno);
    mp_process server;
    mp_process_init(&server, "server", server_main, NULL);
    int fds[4] = {req[0], resp[1], req[1], resp[0]};
    for (int i = 0; i < 4; i++)
        mp_process_pass_fd(&server, fds[i]);
    server.daemon = true; /* a helper: if the lesson stops early, terminate it instead of waiting */
    CHECK(mp_process_start(&server));
    close(req[0]);
    close(resp[1]);

    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "convoy.csv", "setup,interval_us,cpu_threads,median_us,p99_us"));
    char dat[4200];
    snprintf(dat, sizeof dat, "%s/convoy.dat", L->o.out);
    FILE *df = fopen(dat, "w");
    if (df)
        fprintf(df, "setup median p99\n");
    mp_table tab;
    mp_table_header(&tab, "setup|interval us|CPU threads|median us|p99 us");
    for (int i = 0; i < n; i++) {
        measure_convoy(&setups[i], req[1], resp[0], requests);
        convoy_setup *s = &setups[i];
        mp_table_row(&tab, "%s|%ld|%d|%.0f|%.0f", s->setup, s->interval_us, s->cpu_threads, s->median_us, s->p99_us);
        CHECK(mp_csv_row(&csv, "%s,%ld,%d,%.1f,%.1f", s->setup, s->interval_us, s->cpu_threads, s->median_us,
                         s->p99_us));
        if (df)
            fprintf(df, "\"%s %d cpu, %g ms\" %.1f %.1f\n", s->setup, s->cpu_threads, s->interval_us / 1000.0,
                    s->median_us, s->p99_us);
    }
    CHECK(mp_csv_close(&csv));
    if (df)
        fclose(df);
    close(req[1]); /* EOF: the server ends */
    close(resp[0]);
    CHECK(mp_process_join(&server, 5.0));
    mp_say("beside a CPU-bound thread, getting the lock back after each wait costs about one switch interval");
    mp_plot("convoy.gp", dat, L->o.out, "convoy", "lesson 03: latency of a request beside CPU-bound work", NULL,
            L->o.no_plot);
}

/* ===================================================================== */
/* 4. I/O-bound threads under the lock                                     */
/* ===================================================================== */

typedef struct io_job { mp_gil *gil; int waits, ms; bool release; } io_job;

static void *io_thread(void *arg)
{
    io_job *j = arg;
    mp_gil_thread t;
    mp_gil_thread_init(j->gil, &t);
    mp_gil_acquire(j->gil, &t);
    for (int i = 0; i < j->waits; i++) {
        for (int k = 0; k < 100; k++)
            mp_gil_tick(j->gil, &t);
        if (j->release)
            mp_gil_begin_blocking(j->gil, &t);
        mp_sleep_ns((uint64_t)j->ms * 1000000u); /* the "network" */
        if (j->release)
            mp_gil_end_blocking(j->gil, &t);
    }
    mp_gil_release(j->gil, &t);
    return NULL;
}

typedef struct io_run { int threads, waits, ms; bool release; } io_run;

static void run_io(void *arg)
{
    io_run *r = arg;
    mp_gil gil;
    CHECK(mp_gil_init(&gil, MP_GIL_NEW, (uint64_t)interval_flag, (uint32_t)check_flag));
    io_job j = {&gil, r->waits / r->threads, r->ms, r->release};
    mp_thread th[16];
    for (int i = 0; i < r->threads; i++) {
        mp_thread_init(&th[i], NULL, io_thread, &j);
        CHECK(mp_thread_start(&th[i]));
    }
    for (int i = 0; i < r->threads; i++)
        CHECK(mp_thread_join(&th[i], NULL));
    mp_gil_destroy(&gil);
}

static double experiment_io(mp_lesson *L)
{
    int threads = 4, waits = L->o.quick ? 4 : 8, ms = 20;
    mp_section("4. I/O-bound threads under the new lock: %d waits of %d ms, 1 thread vs %d", waits, ms, threads);
    io_run runs[] = {{1, waits, ms, true}, {threads, waits, ms, true}, {threads, waits, ms, false}};
    const char *names[] = {"sequential", "released", "held"};
    const char *what[] = {"1 thread", "4 threads, lock released while waiting",
                          "4 threads, lock held while waiting (a bug)"};
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "io.csv", "setup,threads,median_s,speedup"));
    mp_table tab;
    mp_table_header(&tab, "run                                       |median s|speedup");
    double seq = 0, released = 0;
    for (int i = 0; i < 3; i++) {
        mp_stats wall;
        CHECK(mp_measure(L->o.repeat, run_io, &runs[i], &wall, NULL));
        if (i == 0)
            seq = wall.median;
        if (i == 1)
            released = seq / wall.median;
        mp_table_row(&tab, "%s|%.3f|%.2fx", what[i], wall.median, seq / wall.median);
        CHECK(mp_csv_row(&csv, "%s,%d,%.6f,%.4f", names[i], runs[i].threads, wall.median, seq / wall.median));
    }
    CHECK(mp_csv_close(&csv));
    mp_say("waiting threads give the lock away (Py_BEGIN_ALLOW_THREADS), so waits overlap; a thread that "
           "sleeps holding it stops everyone");
    return released;
}

/* ===================================================================== */
/* 5. timelines                                                           */
/* ===================================================================== */

static void experiment_timelines(mp_lesson *L)
{
    uint64_t ticks = mp_gil_ticks_for(L->o.quick ? 0.015 : 0.03);
    mp_section("5. who holds the lock: 2 threads, %llu ticks each, traced", (unsigned long long)ticks);
    for (int m = MP_GIL_NONE; m <= MP_GIL_NEW; m++) {
        if (mode_flag != 3 && mode_flag != m)
            continue;
        mp_gil_counters k;
        mp_trace_reset();
        mp_trace_enable(true);
        two_threads((mp_gil_mode)m, ticks, &k);
        mp_trace_enable(L->o.trace);
        char stem[64], title[160];
        snprintf(stem, sizeof stem, "timeline-%s", mp_gil_mode_names[m]);
        snprintf(title, sizeof title, "lesson 03: who holds the lock, %s lock (%llu hand-overs)",
                 mp_gil_mode_names[m], (unsigned long long)k.handoffs);
        mp_say("%s lock: %llu hand-overs, %llu failed wake-ups", mp_gil_mode_names[m],
               (unsigned long long)k.handoffs, (unsigned long long)k.failed_wakeups);
        mp_trace_write(L->o.out, stem, title, L->o.no_plot);
    }
    mp_trace_reset();
}

/* ===================================================================== */
/* 6. real CPython                                                         */
/* ===================================================================== */

typedef struct cpython { bool ran; double seq, threads, procs, alone, conv5000, conv100, conv_proc; } cpython;

static void experiment_cpython(mp_lesson *L, cpython *py)
{
    mp_section("6. the same in real CPython");
    if (!mp_have_program("python3")) {
        mp_say("skipped: python3 is not installed (apt-get install python3 to compare)");
        return;
    }
    char cmd[8500];
    snprintf(cmd, sizeof cmd, "python3 '%s/lessons/03-gil/cpython_gil.py'%s", mp_root(),
             L->o.quick ? " --quick" : "");
    mp_say("running: %s", cmd);
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    if (!p) {
        mp_syserr("popen", errno);
        return;
    }
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "cpython.csv", "experiment,setup,median,unit"));
    char line[256], version[64] = "?";
    while (fgets(line, sizeof line, p)) {
        char exp[32], setup[32], unit[8];
        double v;
        if (sscanf(line, "version %63s", version) == 1)
            continue;
        if (sscanf(line, "%31[^,],%31[^,],%lf,%7s", exp, setup, &v, unit) != 4)
            continue;
        CHECK(mp_csv_row(&csv, "%s,%s,%.6f,%s", exp, setup, v, unit));
        mp_say("CPython %s %s: %.4g %s", exp, setup, v, unit);
        double *slot = !strcmp(setup, "sequential") ? &py->seq : !strcmp(setup, "threads") ? &py->threads
                     : !strcmp(setup, "processes") ? &py->procs : !strcmp(setup, "alone") ? &py->alone
                     : !strcmp(setup, "threads-5000") ? &py->conv5000 : !strcmp(setup, "threads-100") ? &py->conv100
                     : !strcmp(setup, "process") ? &py->conv_proc : NULL;
        if (slot)
            *slot = v;
    }
    int st = pclose(p);
    CHECK(mp_csv_close(&csv));
    py->ran = st == 0 && py->seq > 0 && py->alone > 0;
    if (!py->ran)
        mp_say("the CPython script failed (status %d): no comparison", st);
    else
        mp_say("CPython %s measured", version);
}

/* ===================================================================== */

static const char *yes(bool ok) { return ok ? "yes" : "NO"; }

static const mp_entry entries[] = {MP_ENTRY(pinned_child), MP_ENTRY(countdown_process), MP_ENTRY(server_main),
                                   MP_ENTRY(spin_process), {0}};

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the `if __name__ == '__main__'` guard: see lesson 04 */
    static const mp_flag flags[] = {
        {"mode", MP_FLAG_CHOICE, "MODE", "which lock(s) the timeline (part 5) shows: none, old, new or all",
         0, 0, mode_choices, &mode_flag},
        {"switch-interval", MP_FLAG_INT, "US", "the new lock's switch interval in microseconds (default 5000)",
         1, 10000000, NULL, &interval_flag},
        {"check-interval", MP_FLAG_INT, "TICKS", "the old lock's check interval in ticks (default 100)",
         1, 100000000, NULL, &check_flag},
    };
    static const mp_cli cli = {
        .prog = "lesson-03",
        .summary = "gil: a simulated interpreter lock, and why CPU-bound threads do not speed up under it",
        .default_out = "plots/out/03-gil",
        .flags = flags,
        .nflags = 3,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    mp_say("switch interval %ld us, check interval %ld ticks", interval_flag, check_flag);

    exp1_result R;
    experiment_countdown(&L, &R);
    experiment_sweep(&L);
    convoy_setup conv[] = {
        {"alone", interval_flag, 0, 0, 0},      {"threads", 100, 1, 0, 0},  {"threads", 1000, 1, 0, 0},
        {"threads", interval_flag, 1, 0, 0},    {"threads", 100, 2, 0, 0},  {"threads", interval_flag, 2, 0, 0},
        {"process", interval_flag, 1, 0, 0},
    };
    experiment_convoy(&L, conv, 7);
    double io_speedup = experiment_io(&L);
    experiment_timelines(&L);
    cpython py = {0};
    experiment_cpython(&L, &py);

    /* ---- what the numbers show, computed from this run ---- */
    mp_section("what this machine shows (%d CPUs usable)", mp_cpus_usable());
    mp_say("2 threads, new lock: %.2fx the sequential time, CPU time %.2fx wall: one CPU busy at a time -- %s",
           R.ratio[R_NEW], R.cpu_per_wall[R_NEW],
           yes(R.ratio[R_NEW] >= 0.9 && R.ratio[R_NEW] <= 1.2 && R.cpu_per_wall[R_NEW] < 1.3));
    mp_say("2 processes: %.2fx, no lock: %.2fx -- parallel (at most 0.65x): %s", R.ratio[R_PROC], R.ratio[R_NONE],
           yes(R.ratio[R_PROC] <= 0.65 && R.ratio[R_NONE] <= 0.65));
    mp_say("old lock: %.2fx on 2 CPUs (new lock %.2fx), %.2fx pinned to 1 CPU; failed wake-ups %llu vs hand-overs "
           "%llu -- the GIL battle: %s",
           R.ratio[R_OLD], R.ratio[R_NEW], R.ratio[R_OLD_PINNED], (unsigned long long)R.k[R_OLD].failed_wakeups,
           (unsigned long long)R.k[R_OLD].handoffs,
           yes(R.ratio[R_OLD] > R.ratio[R_NEW] && R.k[R_OLD].failed_wakeups > 2 * R.k[R_OLD].handoffs));
    double alone = conv[0].median_us;
    mp_say("convoy: a request took %.0f us alone, %.0f us beside a CPU thread at %ld us (%.1fx, at least 5x: %s), "
           "%.0f us at 100 us (lower: %s), %.0f us with the CPU work in a process (close to alone: %s)",
           alone, conv[3].median_us, interval_flag, conv[3].median_us / alone, yes(conv[3].median_us >= 5 * alone),
           conv[1].median_us, yes(conv[1].median_us < conv[3].median_us), conv[6].median_us,
           yes(conv[6].median_us < 2 * alone));
    mp_say("I/O-bound: 4 threads under the lock were %.2fx faster than 1: they release it while they wait",
           io_speedup);
    if (py.ran) {
        double sim_t = R.ratio[R_NEW], py_t = py.threads / py.seq;
        double sim_p = R.ratio[R_PROC], py_p = py.procs / py.seq;
        double sim_c = conv[3].median_us / alone, py_c = py.conv5000 / py.alone;
        mp_say("simulation vs CPython: 2 threads %.2f vs %.2f (%+.0f%%), 2 processes %.2f vs %.2f (%+.0f%%), convoy "
               "at 5 ms %.1fx vs %.1fx alone (%+.0f%%)",
               sim_t, py_t, 100 * (sim_t / py_t - 1), sim_p, py_p, 100 * (sim_p / py_p - 1), sim_c, py_c,
               100 * (sim_c / py_c - 1));
        char dat[4200];
        snprintf(dat, sizeof dat, "%s/vs-cpython.dat", L.o.out);
        FILE *f = fopen(dat, "w");
        if (f) {
            fprintf(f, "measure simulation CPython\n\"2 threads / sequential\" %.3f %.3f\n"
                       "\"2 processes / sequential\" %.3f %.3f\n\"convoy 5 ms / alone, /10\" %.3f %.3f\n",
                    sim_t, py_t, sim_p, py_p, sim_c / 10, py_c / 10);
            fclose(f);
            mp_plot("bars.gp", dat, L.o.out, "vs-cpython", "lesson 03: the simulation next to CPython",
                    "ylabel='ratio'; ncols=3", L.o.no_plot);
        }
    }
    return mp_lesson_end(&L);
}
