/* Lesson 03, part 1 -- the countdown: does splitting CPU-bound work over
 * threads make it faster under the lock?
 *
 * Beazley's experiment ("Inside the Python GIL", 2009): count down
 * `while n > 0: n -= 1` twice in a row in one thread, then the same work
 * split over 2 threads. Here under each lock (new, old, none), with the old
 * lock also pinned to one CPU, and in 2 processes, each with its own lock.
 * --workers N splits it over N threads (and N processes) instead of 2.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lesson03.h"

/* ---- CPU-bound threads under one lock: parts 1, 2 and 5 run this ---- */

typedef struct worker { mp_gil *gil; uint64_t ticks; } worker;

/* One "Python" thread: threading.Thread(target=countdown, args=(n,)).
 * Returns the time it spent waiting for the lock (ns). */
static void *countdown_thread(void *arg)
{
    worker *w = arg;
    mp_gil_thread t;
    mp_gil_thread_init(w->gil, &t);
    mp_gil_countdown(w->gil, &t, w->ticks);
    return (void *)(uintptr_t)t.wait_ns;
}

lock_job job_for(const settings *s, mp_gil_mode mode, int threads, uint64_t ticks)
{
    return (lock_job){mode, threads, ticks, s->interval_us, s->check};
}

void threads_under_lock(const lock_job *j, lock_result *out)
{
    mp_gil gil;
    CHECK(mp_gil_init(&gil, j->mode, (uint64_t)j->interval_us, (uint32_t)j->check));
    worker w = {&gil, j->ticks};
    mp_thread th[MAX_THREADS];
    uint64_t t0 = mp_now_ns();
    for (int i = 0; i < j->threads; i++) {
        char name[32];
        snprintf(name, sizeof name, "py-thread-%d", i + 1);
        mp_thread_init(&th[i], name, countdown_thread, &w);
        CHECK(mp_thread_start(&th[i]));
    }
    out->waited_ns = 0;
    for (int i = 0; i < j->threads; i++) {
        void *waited;
        CHECK(mp_thread_join(&th[i], &waited));
        out->waited_ns += (uintptr_t)waited;
    }
    out->wall_s = mp_ns_to_s(mp_now_ns() - t0);
    out->k = mp_gil_read_counters(&gil);
    mp_gil_destroy(&gil);
}

/* ---- the runs in child processes ---- */

/* `taskset -c 0`: pin this child to one CPU (its threads inherit it), run
 * the threads, send the result back through the pipe we were handed. */
int pinned_child(void *arg)
{
    const lock_job *j = arg;
    if (mp_pin_to_cpu(0) != 0)
        return 3;
    lock_result r;
    threads_under_lock(j, &r);
    return mp_write_full(mp_child_fd(0), &r, sizeof r) == 0 ? 0 : 4;
}

/* multiprocessing.Process(target=countdown, args=(n,)): a process has its
 * own interpreter, hence its own lock. */
int countdown_process(void *arg)
{
    lock_job j = *(const lock_job *)arg;
    j.threads = 1;
    lock_result r;
    threads_under_lock(&j, &r);
    return 0;
}

/* Start n children running target(job) and join them; a child that fails
 * stops the lesson, saying which one and how (mp_lesson_join). */
static void in_processes(mp_target target, const char *name, const lock_job *j, int n, int back_fd)
{
    mp_process p[MAX_THREADS];
    for (int i = 0; i < n; i++) {
        char role[32];
        snprintf(role, sizeof role, "%s-%d", name, i + 1);
        mp_process_init(&p[i], role, target, NULL);
        mp_process_set_args(&p[i], j, sizeof *j);
        if (back_fd >= 0)
            mp_process_pass_fd(&p[i], back_fd);
        CHECK(mp_process_start(&p[i]));
    }
    for (int i = 0; i < n; i++)
        mp_lesson_join(&p[i], MP_FOREVER);
}

/* ---- part 1 ---- */

typedef enum { SEQUENTIAL, THREADS, PINNED, PROCESSES } how;

typedef struct countdown_run {
    const char *label; /* gil.csv's mode column */
    how how;
    lock_job job;
    mp_gil_counters sum; /* over the repeats */
    uint64_t waited_ns;
} countdown_run;

static void add_counters(mp_gil_counters *to, const mp_gil_counters *k)
{
    to->acquisitions += k->acquisitions;
    to->handoffs += k->handoffs;
    to->drop_requests += k->drop_requests;
    to->forced_drops += k->forced_drops;
    to->failed_wakeups += k->failed_wakeups;
    to->wakeups += k->wakeups;
}

static void run_countdown(void *arg)
{
    countdown_run *c = arg;
    lock_result r = {0};
    switch (c->how) {
    case SEQUENTIAL:
    case THREADS:
        threads_under_lock(&c->job, &r);
        break;
    case PINNED: {
        int back[2];
        CHECK(pipe2(back, O_CLOEXEC) == 0 ? 0 : -errno);
        in_processes(pinned_child, "pinned", &c->job, 1, back[1]);
        close(back[1]);
        CHECK(mp_read_full(back[0], &r, sizeof r));
        close(back[0]);
        break;
    }
    case PROCESSES:
        in_processes(countdown_process, "py-process", &c->job, c->job.threads, -1);
        break;
    }
    add_counters(&c->sum, &r.k);
    c->waited_ns += r.waited_ns;
}

/* Round by round, each run in turn: a machine that gets slower or faster
 * meanwhile affects them all alike, not just the ones measured last. */
static void take_turns(mp_lesson *L, countdown_run *runs, countdown_result *R)
{
    int reps = L->o.repeat;
    double *samples = calloc((size_t)reps * R_COUNT * 2, sizeof *samples);
    CHECK(samples ? 0 : -ENOMEM);
    double *wall = samples, *cpu = samples + reps * R_COUNT;
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < R_COUNT; i++) {
            mp_stats w, c;
            CHECK(mp_measure(1, run_countdown, &runs[i], &w, &c));
            wall[i * reps + r] = w.median;
            cpu[i * reps + r] = c.median;
        }
    for (int i = 0; i < R_COUNT; i++) {
        CHECK(mp_stats_of(wall + i * reps, (size_t)reps, &R->wall[i]));
        CHECK(mp_stats_of(cpu + i * reps, (size_t)reps, &R->cpu[i]));
        R->ratio[i] = R->wall[i].median / R->wall[R_SEQ].median;
        R->k[i] = runs[i].sum;
    }
    free(samples);
}

/* The times: a table, gil.csv, and the bar chart's data in dat (true when
 * it was written). */
static bool report_times(mp_lesson *L, const countdown_run *runs, char what[][40], const countdown_result *R,
                         char *dat, size_t len)
{
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "gil.csv",
                      "mode,workers,pinned,median_s,min_s,max_s,cpu_s,ratio,handoffs,failed_wakeups,wakeups"));
    FILE *bars = bars_create(L->o.out, "gil-bars.dat", dat, len, "run \"time / sequential\" min max");
    mp_table t;
    mp_table_header(&t, "run                        |median s|min s|max s|CPU s|x seq|CPU/wall");
    double seq = R->wall[R_SEQ].median;
    for (int i = 0; i < R_COUNT; i++) {
        const mp_stats *w = &R->wall[i];
        const mp_gil_counters *k = &runs[i].sum;
        mp_table_row(&t, "%s|%.3f|%.3f|%.3f|%.3f|%.2f|%.2f", what[i], w->median, w->min, w->max,
                     R->cpu[i].median, R->ratio[i], R->cpu[i].median / w->median);
        CHECK(mp_csv_row(&csv, "%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.4f,%llu,%llu,%llu", runs[i].label,
                         runs[i].job.threads, runs[i].how == PINNED, w->median, w->min, w->max, R->cpu[i].median,
                         R->ratio[i], (unsigned long long)k->handoffs, (unsigned long long)k->failed_wakeups,
                         (unsigned long long)k->wakeups));
        if (bars)
            fprintf(bars, "\"%s\" %.4f %.4f %.4f\n", what[i], R->ratio[i], w->min / seq, w->max / seq);
    }
    CHECK(mp_csv_close(&csv));
    mp_say("%d run(s) each, taking turns; x seq = median time / the 1-thread median: 1.0 is no gain, 0.5 twice as "
           "fast; CPU/wall 2.0 is 2 CPUs busy the whole time", L->o.repeat);
    if (L->o.start == MP_START_FORKSERVER)
        mp_say("with --start forkserver the processes are the fork server's children: their CPU time is counted "
               "there, not here");
    return bars && mp_file_close(bars, dat) == 0;
}

/* What the locks did: hand-overs, drops, wake-ups (threaded runs only). */
static void report_locks(mp_lesson *L, const countdown_run *runs, char what[][40])
{
    mp_say("the lock, added up over the %d run(s) of each (the 1-CPU run's threads ran in a child):", L->o.repeat);
    mp_table t;
    mp_table_header(&t, "run                        |hand-overs|forced drops|wake-ups|failed|waited s");
    for (int i = R_NEW; i <= R_NONE; i++) {
        const mp_gil_counters *k = &runs[i].sum;
        mp_table_row(&t, "%s|%llu|%llu|%llu|%llu|%.3f", what[i], (unsigned long long)k->handoffs,
                     (unsigned long long)k->forced_drops, (unsigned long long)k->wakeups,
                     (unsigned long long)k->failed_wakeups, (double)runs[i].waited_ns / 1e9);
    }
    mp_say("wake-ups: a waiting thread slept and was woken; failed: it woke to find the lock taken again and slept "
           "once more (old lock: counted by the kernel, the thread's voluntary context switches)");
}

void part_countdown(mp_lesson *L, const settings *s, countdown_result *R)
{
    int n = s->threads;
    uint64_t each = mp_gil_ticks_for(L->o.quick ? 0.1 : 0.2) / (uint64_t)n, total = each * (uint64_t)n;
    mp_lesson_part(L, "1. the countdown: %llu ticks in 1 thread, then split over %d threads or processes",
                   (unsigned long long)total, n);
    mp_say("a tick is one `n -= 1` (about 20 ns of arithmetic) and the lock's check; the old lock releases and "
           "re-takes every %ld ticks, the new one switches when a waiter has waited %ld us", s->check,
           s->interval_us);
    countdown_run runs[R_COUNT] = {
        [R_SEQ] = {"sequential", SEQUENTIAL, job_for(s, MP_GIL_NEW, 1, total), {0}, 0},
        [R_NEW] = {"new", THREADS, job_for(s, MP_GIL_NEW, n, each), {0}, 0},
        [R_OLD] = {"old", THREADS, job_for(s, MP_GIL_OLD, n, each), {0}, 0},
        [R_OLD_PINNED] = {"old", PINNED, job_for(s, MP_GIL_OLD, n, each), {0}, 0},
        [R_NONE] = {"none", THREADS, job_for(s, MP_GIL_NONE, n, each), {0}, 0},
        [R_PROC] = {"process", PROCESSES, job_for(s, MP_GIL_NEW, n, each), {0}, 0},
    };
    char what[R_COUNT][40];
    snprintf(what[R_SEQ], sizeof what[R_SEQ], "1 thread, all the work");
    snprintf(what[R_NEW], sizeof what[R_NEW], "%d threads, new lock", n);
    snprintf(what[R_OLD], sizeof what[R_OLD], "%d threads, old lock", n);
    snprintf(what[R_OLD_PINNED], sizeof what[R_OLD_PINNED], "%d threads, old lock, 1 CPU", n);
    snprintf(what[R_NONE], sizeof what[R_NONE], "%d threads, no lock", n);
    snprintf(what[R_PROC], sizeof what[R_PROC], "%d processes, a lock each", n);

    /* one process first, untimed: with --start forkserver it starts the
     * fork server, which no timed run should pay for */
    lock_job warm_up = job_for(s, MP_GIL_NEW, 1, 1000);
    in_processes(countdown_process, "warm-up", &warm_up, 1, -1);
    R->threads = n;
    take_turns(L, runs, R);
    char dat[PATH_MAX];
    bool plot = report_times(L, runs, what, R, dat, sizeof dat);
    report_locks(L, runs, what);
    if (plot)
        mp_plot_png("bars.gp", dat, L->o.out, "gil-bars", "lesson 03: the countdown, time relative to 1 thread",
                    "ylabel='time / sequential (lower is faster; bars: min to max)'; nseries=1; ref=1", L->o.no_plot);
}
