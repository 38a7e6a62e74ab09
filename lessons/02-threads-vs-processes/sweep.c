/* Lesson 02: how much faster does a job get with 1, 2, ... workers?
 *
 * A sweep measures the job serially, then with threads and with processes
 * at each worker count, up to twice the usable CPUs: far enough to see what
 * more workers than CPUs (oversubscription) do. Each point is --repeat
 * runs: the median wall time with its spread, the speedup over the serial
 * run, and what the kernel counted meanwhile (getrusage): CPU time in user
 * mode and in the kernel, voluntary and involuntary context switches.
 * Parts 1 (CPU-bound) and 2 (I/O-bound) are here; part 3 (memory-bound)
 * uses the same machinery from bandwidth.c.
 */
#include <math.h>

#include "lesson02.h"

int sweep_points(int cpus, int max, int *out)
{
    int n = 0, top = cpus < max ? cpus : max;
    for (int w = 1; w <= top; w = cpus <= 8 ? w + 1 : w * 2)
        out[n++] = w;
    if (out[n - 1] != top)
        out[n++] = top;
    for (int w = 2 * cpus; w < max && n < L02_MAX_POINTS - 1; w *= 2)
        out[n++] = w;
    if (out[n - 1] != max)
        out[n++] = max;
    return n;
}

void sweep_begin(sweep *s, const char *load, int cpus, int max, double gb)
{
    s->load = load;
    s->gb = gb;
    s->n = sweep_points(cpus, max, s->workers);
    mp_table_header(&s->table, gb > 0 ? "kind|workers|median s|spread|speedup|efficiency|cpu/wall|user s|sys s|"
                                        "vol cs|invol cs|GB/s"
                                      : "kind|workers|median s|spread|speedup|efficiency|cpu/wall|user s|sys s|"
                                        "vol cs|invol cs");
}

/* mp_measure times this: the run, with a snapshot of the kernel's counts
 * on each side of it (a few microseconds), and its result. */
typedef struct counted {
    void (*run)(void *);
    void *arg;
    uint64_t (*result)(void *);
    int n;
    mp_usage use[MP_MAX_REPEAT];
    uint64_t results[MP_MAX_REPEAT];
} counted;

static void run_counted(void *arg)
{
    counted *c = arg;
    mp_usage before, after;
    CHECK(mp_usage_get(MP_USAGE_BOTH, &before));
    c->run(c->arg);
    CHECK(mp_usage_get(MP_USAGE_BOTH, &after));
    c->use[c->n] = mp_usage_since(&before, &after);
    c->results[c->n++] = c->result(c->arg);
}

static double median_of(const double *v, int n)
{
    mp_stats st;
    CHECK(mp_stats_of(v, (size_t)n, &st));
    return st.median;
}

/* Per run, the median of each count. (The kernel splits CPU time into user
 * and system by sampling at its clock ticks, so for runs of a few
 * milliseconds the split is coarse; cpu/wall comes from the precise clock.) */
static void usage_medians(const counted *c, point *p)
{
    double user[MP_MAX_REPEAT], sys[MP_MAX_REPEAT], vol[MP_MAX_REPEAT], invol[MP_MAX_REPEAT];
    for (int i = 0; i < c->n; i++) {
        user[i] = c->use[i].user_s;
        sys[i] = c->use[i].sys_s;
        vol[i] = (double)c->use[i].voluntary;
        invol[i] = (double)c->use[i].involuntary;
    }
    p->use = (mp_usage){median_of(user, c->n), median_of(sys, c->n), lround(median_of(vol, c->n)),
                        lround(median_of(invol, c->n))};
}

static point *slot_for(sweep *s, kind how, int workers)
{
    if (how == SERIAL)
        return &s->serial;
    for (int i = 0; i < s->n; i++)
        if (s->workers[i] == workers)
            return how == THREAD ? &s->thread[i] : &s->process[i];
    mp_error("lesson 02: %d workers is not a point of the %s sweep", workers, s->load);
    mp_lesson_abort();
}

const point *measure_point(mp_lesson *L, sweep *s, kind how, int workers, void (*run)(void *), void *arg,
                           uint64_t (*result)(void *))
{
    static counted c; /* MP_MAX_REPEAT runs' counts: too big for the stack */
    c = (counted){.run = run, .arg = arg, .result = result};
    point *p = slot_for(s, how, workers);
    *p = (point){.how = how, .workers = how == SERIAL ? 1 : workers};
    mp_stats cpu;
    CHECK(mp_measure(L->o.repeat, run_counted, &c, &p->wall, &cpu));
    p->cpu_wall = cpu.median / p->wall.median;
    usage_medians(&c, p);
    p->result = c.results[0];
    for (int i = 0; i < c.n; i++) /* the self-check: parallel must not change the answer */
        if (c.results[i] != (how == SERIAL ? p->result : s->serial.result)) {
            mp_error("%s with %d workers computed %llu, the serial run %llu (%s)", kind_names[how], workers,
                     (unsigned long long)c.results[i], (unsigned long long)s->serial.result, s->load);
            mp_lesson_abort();
        }
    p->speedup = how == SERIAL ? 1.0 : s->serial.wall.median / p->wall.median;
    char gbs[32] = "";
    if (s->gb > 0)
        snprintf(gbs, sizeof gbs, "|%.1f", s->gb / p->wall.median);
    mp_table_row(&s->table, "%s|%d|%.3f|%.0f%%|%.2fx|%.0f%%|%.2f|%.3f|%.3f|%ld|%ld%s", kind_names[how], p->workers,
                 p->wall.median, 100 * mp_spread(&p->wall), p->speedup, 100 * p->speedup / p->workers, p->cpu_wall,
                 p->use.user_s, p->use.sys_s, p->use.voluntary, p->use.involuntary, gbs);
    return p;
}

const point *point_at(const sweep *s, kind how, int workers)
{
    if (how == SERIAL)
        return &s->serial;
    for (int i = 0; i < s->n; i++)
        if (s->workers[i] == workers) {
            const point *p = how == THREAD ? &s->thread[i] : &s->process[i];
            return p->wall.n ? p : NULL;
        }
    return NULL;
}

void note_superlinear(const sweep *s)
{
    char list[256] = "";
    for (int i = 0; i < s->n; i++)
        for (int k = THREAD; k <= PROCESS; k++) {
            const point *p = point_at(s, (kind)k, s->workers[i]);
            size_t len = strlen(list);
            if (p && lround(100 * p->speedup / p->workers) > 100 && len < sizeof list - 40)
                snprintf(list + len, sizeof list - len, "%s%s x%d: %.0f%%", len ? ", " : "", kind_names[k],
                         p->workers, 100 * p->speedup / p->workers);
        }
    if (list[0])
        mp_say("efficiency over 100%% (%s) means noise, not magic: the serial time it divides spread %.0f%% over its "
               "runs, and each worker brings its own CPU's caches",
               list, 100 * mp_spread(&s->serial.wall));
}

static void csv_row(mp_csv *csv, const sweep *s, const point *p, bool gb)
{
    char extra[32] = "";
    if (gb)
        snprintf(extra, sizeof extra, ",%.3f", s->gb / p->wall.median);
    CHECK(mp_csv_row(csv, "%s,%s,%d,%.6f,%.6f,%.6f,%.4f,%llu,%.3f,%.6f,%.6f,%ld,%ld%s", kind_names[p->how], s->load,
                     p->workers, p->wall.median, p->wall.min, p->wall.max, p->speedup, (unsigned long long)p->result,
                     p->cpu_wall, p->use.user_s, p->use.sys_s, p->use.voluntary, p->use.involuntary, extra));
}

void write_sweeps_csv(mp_lesson *L, const char *name, const sweep *const *sweeps, int n, bool gb)
{
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, name,
                      gb ? "kind,workload,workers,median_s,min_s,max_s,speedup,result,cpu_per_wall,user_s,sys_s,"
                           "voluntary_cs,involuntary_cs,gb_per_s"
                         : "kind,workload,workers,median_s,min_s,max_s,speedup,result,cpu_per_wall,user_s,sys_s,"
                           "voluntary_cs,involuntary_cs"));
    for (int k = 0; k < n; k++) {
        const sweep *s = sweeps[k];
        csv_row(&csv, s, &s->serial, gb);
        for (int i = 0; i < s->n; i++)
            for (int how = THREAD; how <= PROCESS; how++) {
                const point *p = point_at(s, (kind)how, s->workers[i]);
                if (p)
                    csv_row(&csv, s, p, gb);
            }
    }
    CHECK(mp_csv_close(&csv));
}

mp_series sweep_series(const sweep *s, kind how, const char *label)
{
    mp_series out = {.label = label};
    double base = s->serial.wall.median;
    for (int i = 0; i < s->n; i++) {
        const point *p = point_at(s, how, s->workers[i]);
        if (p)
            mp_series_add(&out, p->workers, base, p->wall.median, p->wall.min, p->wall.max);
    }
    return out;
}

static uint64_t job_result(void *arg) { return ((job *)arg)->result; }

/* Serial, then threads and processes side by side at each worker count, so
 * that a machine growing busier during the sweep hurts both alike. */
static void run_sweep(mp_lesson *L, sweep *s, job *j)
{
    j->how = SERIAL;
    measure_point(L, s, SERIAL, 1, run_job, j, job_result);
    for (int i = 0; i < s->n; i++)
        for (int how = THREAD; how <= PROCESS; how++) {
            j->how = (kind)how;
            j->workers = s->workers[i];
            measure_point(L, s, (kind)how, s->workers[i], run_job, j, job_result);
        }
}

static void say_columns(const mp_lesson *L)
{
    mp_say("median of %d runs; spread = (max - min) / median; speedup = serial median / this median; efficiency = "
           "speedup / workers",
           L->o.repeat);
    mp_say("per run (medians): cpu/wall = CPU seconds per wall second (how many CPUs were busy); user s, sys s = CPU "
           "time in our code and in the kernel; vol cs / invol cs = context switches, to wait / taken away");
    if (L->o.start == MP_START_FORKSERVER)
        mp_say("--start forkserver: the worker processes are the fork server's children, so their CPU time and "
               "switches count there, not here (the process rows show only this process's share)");
}

void part_cpu(mp_lesson *L, results *R)
{
    sweep *s = &R->cpu;
    job *j = &R->cpu_job;
    mp_lesson_part(L, "1. CPU-bound: count the primes below %llu with 1..%d workers (%d CPU%s usable)",
                   (unsigned long long)j->bound, R->max_workers, R->cpus, plural(R->cpus));
    say_columns(L);
    sweep_begin(s, "cpu", R->cpus, R->max_workers, 0);
    run_sweep(L, s, j);
    mp_say("every run counted the same %llu primes", (unsigned long long)s->serial.result);
    note_superlinear(s);
    mp_series series[2] = {sweep_series(s, THREAD, "thread-cpu"), sweep_series(s, PROCESS, "process-cpu")};
    for (int i = 0; i < 2; i++) { /* Amdahl's law is about serial work: more workers than CPUs is not */
        series[i].fit = true;
        series[i].fit_upto = R->cpus;
    }
    mp_speedup_plot(L->o.out, "speedup-cpu", "lesson 02: CPU-bound speedup against workers", series, 2,
                    L->o.no_plot);
    R->fit[0] = series[0].s;
    R->fit[1] = series[1].s;
    if (R->fit[0] >= 0)
        mp_say("Amdahl's law fitted to the points up to %d workers (the usable CPUs): serial fraction threads "
               "%.1f%%, processes %.1f%%",
               R->cpus, 100 * R->fit[0], 100 * R->fit[1]);
    else
        mp_say("no Amdahl fit: it needs a point with 2 or more workers on as many CPUs, and %d CPU%s usable",
               R->cpus, R->cpus == 1 ? " is" : "s are");
}

void part_io(mp_lesson *L, results *R)
{
    sweep *s = &R->io;
    /* at least one wait per worker; about 0.16 s of waiting in all (0.08 s with --quick) */
    int least = L->o.quick ? 8 : 16;
    job j = {.load = IO, .waits = R->max_workers > least ? R->max_workers : least};
    j.wait_ms = (int)lround((L->o.quick ? 80.0 : 160.0) / j.waits);
    j.wait_ms = j.wait_ms < 1 ? 1 : j.wait_ms > 10 ? 10 : j.wait_ms;
    mp_lesson_part(L, "2. I/O-bound: %d waits of %d ms (standing in for network calls) with 1..%d workers",
                   j.waits, j.wait_ms, R->max_workers);
    sweep_begin(s, "io", R->cpus, R->max_workers, 0);
    R->io_ideal = (double)j.waits / ((j.waits + R->max_workers - 1) / R->max_workers); /* the busiest worker's share */
    run_sweep(L, s, &j);
    note_superlinear(s);
    const sweep *both[] = {&R->cpu, &R->io};
    write_sweeps_csv(L, "speedup.csv", both, 2, false);
    mp_series series[2] = {sweep_series(s, THREAD, "thread-io"), sweep_series(s, PROCESS, "process-io")};
    mp_speedup_plot(L->o.out, "speedup-io", "lesson 02: I/O-bound speedup against workers", series, 2,
                    L->o.no_plot);
}
