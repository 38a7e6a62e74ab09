/* Lesson 02 -- threads vs processes: who gets faster, and by how much?
 *
 * The question: the same job split over 1, 2, ... workers -- as threads and
 * as processes -- how much faster does it get? Two kinds of job:
 *   - CPU-bound: counting primes. Only computation, so more workers help up
 *     to the number of CPUs, and no further. In C, threads and processes both
 *     get there: C threads have no GIL. (In CPython the thread curve would be
 *     flat at 1x: lesson 03 shows why.)
 *   - I/O-bound: many waits of ~50 ms, standing in for network calls. A
 *     waiting worker uses no CPU, so even 4x more workers than CPUs help.
 * Each point is the median of --repeat runs (bars: min..max). Speedup is the
 * serial median over the point's median; efficiency is speedup per worker.
 * The plot adds the ideal line and Amdahl's law fitted to the CPU curves: its
 * serial fraction says how much of the run did not parallelise (starting the
 * workers, the slowest worker finishing last).
 */
#include <errno.h>
#include <unistd.h>

#include "mp.h"

typedef enum { CPU, IO } workload;
static const char *const workload_names[] = {"cpu", "io"};
typedef enum { SERIAL, THREAD, PROCESS } kind;
static const char *const kind_names[] = {"serial", "thread", "process"};

/* One run of the experiment: what to do and with how many workers. */
typedef struct job {
    workload load;
    kind how;
    int workers;
    uint64_t bound;      /* CPU: count the primes below this */
    int waits, wait_ms;  /* I/O: this many waits of this long */
    uint64_t primes;     /* the answer, checked against the serial one */
} job;

/* What one worker needs. For a process it travels as bytes (a spawned child
 * shares no memory with us), so it holds values, never pointers. */
typedef struct share { job j; int index; } share;

/* What one worker does: its share of the primes, or of the waits. */
static uint64_t do_share(const job *j, int i)
{
    mp_trace_begin(j->load == CPU ? "count primes" : "wait");
    uint64_t r = 0;
    if (j->load == CPU) {
        r = mp_count_primes_share(0, j->bound, j->workers, i);
    } else {
        uint64_t lo, hi; /* waits dealt out as evenly as possible */
        mp_split_range(0, (uint64_t)j->waits, j->workers, i, &lo, &hi);
        mp_io_wait((int)(hi - lo), j->wait_ms);
    }
    mp_trace_end(j->load == CPU ? "count primes" : "wait");
    return r;
}

static void *thread_main(void *arg)
{
    share *s = arg;
    return (void *)(uintptr_t)do_share(&s->j, s->index);
}

/* A child's memory is its own: its count comes back through a pipe (the
 * descriptor it was handed), as one 8-byte write. */
static int process_main(void *arg)
{
    const share *s = arg;
    uint64_t r[2] = {(uint64_t)s->index, do_share(&s->j, s->index)};
    return write(mp_child_fd(0), r, sizeof r) == sizeof r ? 0 : 1;
}

static void run_job(void *arg)
{
    job *j = arg;
    share shares[MP_MAX_WORKERS * 4];
    mp_thread threads[MP_MAX_WORKERS * 4];
    mp_process procs[MP_MAX_WORKERS * 4];
    j->primes = 0;
    if (j->how == SERIAL) {
        j->workers = 1;
        j->primes = do_share(j, 0);
        return;
    }
    int results[2] = {-1, -1};
    if (j->how == PROCESS)
        CHECK(pipe(results) == 0 ? 0 : -errno);
    mp_trace_begin(j->how == THREAD ? "start+join threads" : "start+join procs");
    for (int i = 0; i < j->workers; i++) {
        char name[24];
        snprintf(name, sizeof name, "%s-%d", kind_names[j->how], i + 1);
        shares[i] = (share){*j, i};
        if (j->how == THREAD) {
            mp_thread_init(&threads[i], name, thread_main, &shares[i]);
            CHECK(mp_thread_start(&threads[i]));
        } else {
            mp_process_init(&procs[i], name, process_main, NULL);
            mp_process_set_args(&procs[i], &shares[i], sizeof shares[i]);
            mp_process_pass_fd(&procs[i], results[1]);
            CHECK(mp_process_start(&procs[i]));
        }
    }
    for (int i = 0; i < j->workers; i++) {
        if (j->how == THREAD) {
            void *r;
            CHECK(mp_thread_join(&threads[i], &r));
            j->primes += (uint64_t)(uintptr_t)r;
        } else {
            CHECK(mp_process_join(&procs[i], MP_FOREVER));
            if (procs[i].exitcode != 0) {
                mp_say("error: worker %d exited with %d", i, procs[i].exitcode);
                exit(1);
            }
        }
    }
    if (j->how == PROCESS) {
        close(results[1]);
        uint64_t r[2];
        for (int i = 0; i < j->workers; i++) { /* 16-byte writes to a pipe never interleave */
            CHECK(mp_read_full(results[0], r, sizeof r));
            j->primes += r[1];
        }
        close(results[0]);
    }
    mp_trace_end(j->how == THREAD ? "start+join threads" : "start+join procs");
}

typedef struct results {
    mp_csv csv;
    mp_table table;
    mp_series series[4]; /* thread-cpu, process-cpu, thread-io, process-io */
    double serial[2];    /* serial median per workload */
} results;

/* Measure one configuration, print and record it. */
static void measure(mp_lesson *L, results *R, job *j)
{
    mp_stats wall, cpu;
    CHECK(mp_measure(L->o.repeat, run_job, j, &wall, &cpu));
    if (j->how == SERIAL)
        R->serial[j->load] = wall.median;
    double base = R->serial[j->load];
    double speedup = base / wall.median;
    mp_table_row(&R->table, "%s|%s|%d|%.3f|%.3f|%.3f|%.2fx|%.0f%%|%.2f", kind_names[j->how],
                 workload_names[j->load], j->workers, wall.median, wall.min, wall.max, speedup,
                 100.0 * speedup / j->workers, cpu.median / wall.median);
    CHECK(mp_csv_row(&R->csv, "%s,%s,%d,%.6f,%.6f,%.6f,%.4f", kind_names[j->how], workload_names[j->load],
                     j->workers, wall.median, wall.min, wall.max, speedup));
    if (j->how != SERIAL)
        mp_series_add(&R->series[(j->load == IO ? 2 : 0) + (j->how == PROCESS)], j->workers, base,
                      wall.median, wall.min, wall.max);
}

/* Speedup of `how` at `workers` on `load`, from the series (0 if not measured). */
static double speedup_at(const results *R, workload load, kind how, int workers)
{
    const mp_series *s = &R->series[(load == IO ? 2 : 0) + (how == PROCESS)];
    for (int i = 0; i < s->n; i++)
        if ((int)s->x[i] == workers)
            return s->y[i];
    return 0;
}

static const mp_entry entries[] = {MP_ENTRY(process_main), {0}}; /* what a spawned child may run */

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the `if __name__ == '__main__'` guard: see lesson 04 */
    static const mp_cli cli = {
        .prog = "lesson-02",
        .summary = "threads vs processes: speedup of CPU-bound and I/O-bound work against workers",
        .default_out = "plots/out/02-threads-vs-processes",
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    int maxw = L.o.max_workers;

    results R = {0};
    R.series[0] = (mp_series){.label = "thread-cpu", .fit = true};
    R.series[1] = (mp_series){.label = "process-cpu", .fit = true};
    R.series[2] = (mp_series){.label = "thread-io"};
    R.series[3] = (mp_series){.label = "process-io"};
    CHECK(mp_csv_open(&R.csv, L.o.out, "speedup.csv", "kind,workload,workers,median_s,min_s,max_s,speedup"));

    /* ---- CPU-bound ---- */
    job cpu = {.load = CPU, .bound = mp_primes_bound_for(L.o.quick ? 0.08 : 0.35)};
    mp_section("1. CPU-bound: count the primes below %llu, split over 1..%d workers",
               (unsigned long long)cpu.bound, maxw);
    mp_say("median of %d runs; speedup = serial / this; cpu/wall = CPU seconds per wall second", L.o.repeat);
    mp_table_header(&R.table, "kind|load|workers|median s|min s|max s|speedup|efficiency|cpu/wall");
    cpu.how = SERIAL;
    measure(&L, &R, &cpu);
    uint64_t expected = cpu.primes;
    for (int how = THREAD; how <= PROCESS; how++)
        for (int w = 1; w <= maxw; w++) {
            cpu.how = (kind)how;
            cpu.workers = w;
            measure(&L, &R, &cpu);
            if (cpu.primes != expected) { /* the self-check: parallel must not change the answer */
                mp_say("error: %s with %d workers counted %llu primes, serial counted %llu", kind_names[how], w,
                       (unsigned long long)cpu.primes, (unsigned long long)expected);
                return 1;
            }
        }
    mp_say("every run counted the same %llu primes", (unsigned long long)expected);

    /* ---- I/O-bound ---- */
    job io = {.load = IO, .waits = L.o.quick ? 8 : 16, .wait_ms = L.o.quick ? 20 : 50};
    int wlist[16], nw = 0;
    for (int w = 1; w < 4 * maxw && nw < 15; w *= 2)
        wlist[nw++] = w;
    wlist[nw++] = 4 * maxw;
    mp_section("2. I/O-bound: %d waits of %d ms, split over 1..%d workers (4x the CPUs)", io.waits, io.wait_ms,
               4 * maxw);
    mp_table_header(&R.table, "kind|load|workers|median s|min s|max s|speedup|efficiency|cpu/wall");
    io.how = SERIAL;
    measure(&L, &R, &io);
    for (int how = THREAD; how <= PROCESS; how++)
        for (int i = 0; i < nw; i++) {
            io.how = (kind)how;
            io.workers = wlist[i];
            measure(&L, &R, &io);
        }
    CHECK(mp_csv_close(&R.csv));

    /* ---- a timeline of one parallel run of each kind ---- */
    mp_section("3. timeline: one CPU-bound run with %d threads, then one with %d processes", maxw, maxw);
    mp_trace_reset();
    mp_trace_enable(true);
    cpu.workers = maxw;
    cpu.how = THREAD;
    run_job(&cpu);
    cpu.how = PROCESS;
    run_job(&cpu);
    mp_trace_enable(L.o.trace);
    mp_trace_write(L.o.out, "timeline", "lesson 02: CPU-bound, threads then processes", L.o.no_plot);
    mp_trace_reset();

    mp_section("4. the speedup plots: CPU-bound, then I/O-bound");
    mp_speedup_plot(L.o.out, "speedup-cpu", "lesson 02: CPU-bound speedup against workers", R.series, 2,
                    L.o.no_plot);
    mp_speedup_plot(L.o.out, "speedup-io", "lesson 02: I/O-bound speedup against workers", R.series + 2, 2,
                    L.o.no_plot);

    /* ---- what the numbers say, computed from this run ---- */
    mp_section("what this machine shows");
    mp_say("CPU-bound, %d workers: threads %.2fx, processes %.2fx (ideal %dx); Amdahl serial fraction: threads "
           "%.1f%%, processes %.1f%%",
           maxw, speedup_at(&R, CPU, THREAD, maxw), speedup_at(&R, CPU, PROCESS, maxw), maxw,
           100 * R.series[0].s, 100 * R.series[1].s);
    mp_say("C threads ran in parallel (no GIL): CPython's threads would stay near 1.00x here (lesson 03)");
    mp_say("I/O-bound, %d workers on %d CPUs: threads %.2fx, processes %.2fx: waiting needs no CPU",
           4 * maxw, mp_cpus_usable(), speedup_at(&R, IO, THREAD, 4 * maxw), speedup_at(&R, IO, PROCESS, 4 * maxw));
    return mp_lesson_end(&L);
}
