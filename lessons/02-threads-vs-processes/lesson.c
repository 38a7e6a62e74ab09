/* Lesson 02 -- threads vs processes: who gets faster, and by how much?
 *
 * The question: split the same job over 1, 2, ... workers, as threads and as
 * processes. How much faster does it get, and why does the answer depend on
 * what the job spends its time on?
 *   1. CPU-bound (counting primes): more workers help up to the number of
 *      CPUs, and no further; C threads have no GIL, so threads get there as
 *      well as processes. The sweep goes on to twice the CPUs to show it.
 *   2. I/O-bound (waits standing in for network calls): a waiting worker
 *      needs no CPU, so more workers than CPUs keep helping.
 *   3. memory-bound (STREAM's triad): every core streams through the same
 *      memory; does it scale like the primes, or does the memory give out?
 *   4. load balance: the same primes cut into contiguous pieces, against
 *      small blocks dealt round-robin: who finishes last, and why.
 *   5. a timeline of one run with threads, then one with processes.
 * Every run also records what the kernel counted (getrusage): CPU time in
 * user mode and in the kernel, and context switches. The closing verdicts
 * check each claim against this run's numbers.
 *
 * Where each part lives: workers.c runs a job in threads or processes;
 * sweep.c measures and prints the points, parts 1 and 2; bandwidth.c part
 * 3; balance.c part 4; this file, part 5 and the verdicts.
 */
#include <math.h>

#include "lesson02.h"

/* The sizes: a CPU-bound run of about 0.2 s serially (0.06 s with --quick);
 * sweeps to twice the usable CPUs unless --max-workers says otherwise; the
 * timeline and the load balance with --workers, by default the usable CPUs
 * but at least 2 (one worker has nothing to share or balance). */
static void setup(mp_lesson *L, results *R)
{
    R->cpus = mp_cpus_usable();
    R->children_counted = L->o.start != MP_START_FORKSERVER;
    bool max_given = L->o.given & (1u << MP_OPT_MAX_WORKERS), workers_given = L->o.given & (1u << MP_OPT_WORKERS);
    R->max_workers = L->o.max_workers; /* default: twice the usable CPUs (the cli's max_workers_per_cpu) */
    R->workers = workers_given || L->o.workers >= 2 ? L->o.workers : 2;
    R->cpu_job = (job){.load = CPU, .bound = mp_primes_bound_for(L->o.quick ? 0.06 : 0.2)};
    mp_say("the sweeps go to %d workers (%s); the timeline and the load balance use %d (%s)", R->max_workers,
           max_given ? "--max-workers" : "twice the usable CPUs", R->workers,
           workers_given ? "--workers" : L->o.workers >= 2 ? "the usable CPUs" : "at least 2");
}

/* Part 5: one run with threads, then one with processes, on a timeline. */
static void part_timeline(mp_lesson *L, const results *R)
{
    int n = R->workers;
    uint64_t t0 = mp_lesson_part(L, "5. timeline: the primes with %d thread%s, then with %d process%s (--start %s)", n,
                                 plural(n), n, n == 1 ? "" : "es", mp_start_names[L->o.start]);
    job j = R->cpu_job;
    j.workers = n;
    double took[2];
    mp_trace_enable(true); /* this part is drawn whether or not --trace records the rest */
    for (int how = THREAD; how <= PROCESS; how++) {
        j.how = (kind)how;
        uint64_t t = mp_now_ns();
        run_job(&j);
        took[how - THREAD] = mp_ns_to_s(mp_now_ns() - t);
        if (j.result != R->cpu.serial.result) { /* the self-check */
            mp_error("the %s run with %d workers counted %llu primes, the serial run %llu", kind_names[how], n,
                     (unsigned long long)j.result, (unsigned long long)R->cpu.serial.result);
            mp_lesson_abort();
        }
    }
    mp_trace_enable(L->o.trace);
    mp_say("threads %.3f s, processes %.3f s, each counting %llu primes", took[0], took[1],
           (unsigned long long)j.result);
    mp_trace_write_window(L->o.out, "timeline", "lesson 02: CPU-bound, threads then processes", t0, 0, L->o.no_plot);
}

/* ---- the verdicts: each claim checked against this run's numbers ----
 * Each passes the widest spread of the runs it rests on through
 * mp_decisive: noise too small to flip the answer does not make it unsure. */

/* The widest spread among the points a claim rests on (NULL: skipped). */
static double spread_of(const point *a, const point *b, const point *c, const point *d)
{
    const point *ps[] = {a, b, c, d};
    double w = 0;
    for (int i = 0; i < 4; i++)
        if (ps[i] && mp_spread(&ps[i]->wall) > w)
            w = mp_spread(&ps[i]->wall);
    return w;
}

/* Workers that never wait keep as many CPUs busy as there are workers (up
 * to the CPUs): fewer (CPU time / wall time) means other programs had the
 * rest. Returns why (written into why), or NULL. */
static const char *starved(double cpu_wall, int n, const char *what, char *why, size_t len)
{
    if (cpu_wall >= 0.8 * n)
        return NULL;
    snprintf(why, len, "the %d %s kept only %.2f CPUs busy, not %d: other programs had the rest", n, what, cpu_wall, n);
    return why;
}

/* The worker count the claims "up to the CPUs" look at: the usable CPUs, or
 * the top of the sweep when --max-workers stops short of them. */
static int at_cpus(const results *R) { return R->max_workers < R->cpus ? R->max_workers : R->cpus; }

/* Why this run cannot show what CPU-bound workers gain from more CPUs, or
 * NULL: one CPU or one worker (unless one_cpu_ok: the claim holds there
 * too), or CPUs taken by other programs while the workers ran. */
static const char *cpu_limit(const results *R, bool one_cpu_ok, char *why, size_t len)
{
    int c = at_cpus(R);
    if (R->cpus == 1 && !one_cpu_ok)
        return "only 1 CPU is usable";
    if (c == 1 && !one_cpu_ok)
        return "--max-workers 1: the sweep has no second worker";
    const char *s = starved(point_at(&R->cpu, THREAD, c)->cpu_wall, c, "CPU-bound threads", why, len);
    if (!s && R->children_counted)
        s = starved(point_at(&R->cpu, PROCESS, c)->cpu_wall, c, "CPU-bound processes", why, len);
    return s;
}

/* "2.4%", or "none" when there was nothing to fit */
static const char *fraction(double s, char *buf, size_t len)
{
    if (s < 0)
        return "none";
    snprintf(buf, len, "%.1f%%", 100 * s);
    return buf;
}

static void verdicts_cpu(mp_lesson *L, const results *R)
{
    int C = R->cpus, M = R->max_workers, c = at_cpus(R);
    const sweep *s = &R->cpu;
    const point *t = point_at(s, THREAD, c), *p = point_at(s, PROCESS, c); /* both measured: c is a point */
    const point *tM = point_at(s, THREAD, M), *pM = point_at(s, PROCESS, M);
    char why[200], why_busy[200], past[120], f0[16], f1[16];
    const char *limit = cpu_limit(R, false, why, sizeof why);
    const char *busy = cpu_limit(R, true, why_busy, sizeof why_busy); /* for claims that hold on 1 CPU too */
    snprintf(past, sizeof past, "--max-workers %d does not go past the %d CPU%s", M, C, plural(C));

    double slowest = fmin(t->speedup, p->speedup);
    mp_verdict(L, slowest >= 0.8 * c, mp_decisive(slowest, 0.8 * c, spread_of(&s->serial, t, p, NULL)), limit,
               "CPU-bound: more workers help up to the CPUs: %d worker%s: threads %.2fx, processes %.2fx (at least 0.8 "
               "of the ideal %dx)", c, plural(c), t->speedup, p->speedup, c);
    /* more than one CPU busy at once on average, and faster for it: a GIL would allow neither */
    bool overlapped = t->cpu_wall >= 1.25 && t->speedup >= 1.25;
    mp_verdict(L, overlapped, mp_decisive(fmin(t->cpu_wall, t->speedup), 1.25, spread_of(&s->serial, t, NULL, NULL)),
               C == 1 ? "only 1 CPU is usable, so threads can only take turns" : overlapped ? NULL : limit,
               "C threads ran at the same time (no GIL): %d of them kept %.2f CPUs busy (CPU time / wall time) and "
               "finished %.2fx faster (both over 1.25; under a GIL at most 1.00: lesson 03)", c, t->cpu_wall,
               t->speedup);
    double widest = mp_spread(&s->serial.wall);
    for (int i = 0; i < s->n && s->workers[i] <= c; i++)
        widest = fmax(widest, spread_of(&s->thread[i], &s->process[i], NULL, NULL));
    mp_verdict(L, R->fit[0] >= 0 && fmax(R->fit[0], R->fit[1]) < 0.10, widest,
               limit ? limit : R->fit[0] < 0 ? "no point with 2 or more workers on as many CPUs to fit" : NULL,
               "Amdahl's law fitted up to the CPUs finds a serial fraction under 10%%: threads %s, processes %s",
               fraction(R->fit[0], f0, sizeof f0), fraction(R->fit[1], f1, sizeof f1));
    double gain = fmax(tM->speedup / t->speedup, pM->speedup / p->speedup); /* the most that going past gave */
    mp_verdict(L, gain <= 1.1, mp_decisive(gain, 1.1, spread_of(t, p, tM, pM)),
               M <= C ? past : busy,
               "past the CPUs, no further speedup: %d worker%s: threads %.2fx, processes %.2fx; %d: %.2fx, %.2fx "
               "(within 1.1x)", M, plural(M), tM->speedup, pM->speedup, c, t->speedup, p->speedup);
    mp_verdict(L, tM->use.involuntary > t->use.involuntary,
               mp_decisive((tM->use.involuntary + 1.0) / (t->use.involuntary + 1.0), 1, spread_of(t, tM, NULL, NULL)),
               M <= C ? past : busy,
               "and it costs context switches: %d thread%s were switched out %ld times per run, %d thread%s %ld", M,
               plural(M), tM->use.involuntary, c, plural(c), t->use.involuntary);
    double cost = fmax(p->wall.median / t->wall.median, t->wall.median / p->wall.median);
    mp_verdict(L, cost <= 1.10, mp_decisive(cost, 1.10, spread_of(t, p, NULL, NULL)), busy,
               "for a job this long, starting processes costs little: %d worker%s: processes %.3f s, threads %.3f s "
               "(within 10%%)", c, plural(c), p->wall.median, t->wall.median);
}

static void verdicts_memory_io(mp_lesson *L, const results *R)
{
    int C = R->cpus, M = R->max_workers, c = at_cpus(R);
    const point *tri = point_at(&R->mem, THREAD, c), *pri = point_at(&R->cpu, THREAD, c);
    char why[200], past[120];
    const char *limit = cpu_limit(R, false, why, sizeof why);
    if (!limit)
        limit = starved(tri->cpu_wall, c, "triad threads", why, sizeof why);
    double gb1 = R->mem.gb / R->mem.serial.wall.median, gbc = R->mem.gb / tri->wall.median;
    double ratio = tri->speedup / pri->speedup;
    mp_outcome o = mp_verdict(L, ratio < 0.9,
                              mp_decisive(ratio, 0.9, spread_of(&R->mem.serial, tri, &R->cpu.serial, pri)), limit,
                              "memory-bound work gains less than CPU-bound: %d thread%s: the triad %.2fx, the primes "
                              "%.2fx (under 0.9 of it)", c, plural(c), tri->speedup, pri->speedup);
    if (o == MP_HOLDS)
        mp_say("  the memory all cores share set the pace: %d threads moved %.1f GB/s, one thread %.1f", c, gbc, gb1);
    else if (o == MP_FAILS)
        mp_say("  %d cores did not fill this machine's memory bandwidth: %d threads moved %.1f GB/s, one thread %.1f",
               c, c, gbc, gb1);

    /* I/O: more than C CPUs could give CPU-bound work, a quarter of the way to what the waits allow */
    const point *t = point_at(&R->io, THREAD, M), *p = point_at(&R->io, PROCESS, M);
    double bar = C + (R->io_ideal - C) / 4;
    snprintf(past, sizeof past, "--max-workers %d does not go past the %d CPU%s", M, C, plural(C));
    double least = fmin(t->speedup, p->speedup);
    mp_verdict(L, M > C && least > bar, mp_decisive(least, bar, spread_of(&R->io.serial, t, p, NULL)),
               M <= C ? past : NULL,
               "I/O-bound work gains past the CPUs: %d worker%s on %d CPU%s: threads %.2fx, processes %.2fx (over "
               "%.2fx), keeping %.2f CPUs busy", M, plural(M), C, plural(C), t->speedup, p->speedup, bar, t->cpu_wall);
}

static void verdicts_balance(mp_lesson *L, const results *R)
{
    const balance *b = &R->bal;
    int n = b->workers, C = R->cpus;
    char why[200];
    const char *one = n == 1 ? "--workers 1: one worker has nothing to balance" : NULL;
    double more = b->imbalance[0].median / (b->imbalance[1].median + 0.05);
    mp_verdict(L, more > 1, mp_decisive(more, 1, fmax(mp_spread(&b->imbalance[0]), mp_spread(&b->imbalance[1]))), one,
               "contiguous pieces give unequal work: the slowest worker was busy %.2fx the mean, %.2fx with "
               "round-robin blocks (more by 0.05)", b->imbalance[0].median, b->imbalance[1].median);
    const char *limit = one;
    if (!limit && C == 1)
        limit = "only 1 CPU is usable: the workers take turns on it, so it is never left idle either way";
    else if (!limit)
        limit = starved(b->cpu_wall[1], n < C ? n : C, "round-robin threads", why, sizeof why);
    double longer = b->wall[0].median / b->wall[1].median;
    mp_verdict(L, longer > 1.1, mp_decisive(longer, 1.1, fmax(mp_spread(&b->wall[0]), mp_spread(&b->wall[1]))), limit, "so they take longer, the others idle at the end: contiguous %.3f s, round-robin %.3f s (%.2fx; "
               "over 1.1x)", b->wall[0].median, b->wall[1].median, longer);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, lesson02_entries); /* the `if __name__ == '__main__'` guard: see lesson 04 */
    static const mp_unused unused[] = {{"seed", "nothing in this lesson is random"}, {0}};
    static const mp_cli cli = {
        .prog = "lesson-02",
        .summary = "threads vs processes: speedup of CPU-, memory- and I/O-bound work against workers",
        .default_out = "plots/out/02-threads-vs-processes",
        .unused = unused,
        .workers_limit = L02_MAX_WORKERS,
        .max_workers_per_cpu = 2, /* sweeps go past the CPUs, to show where more workers stop helping */
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    static results R; /* the sweeps' points: too big for the stack */
    setup(&L, &R);

    part_cpu(&L, &R);      /* sweep.c */
    part_io(&L, &R);       /* sweep.c */
    part_memory(&L, &R);   /* bandwidth.c */
    part_balance(&L, &R);  /* balance.c */
    part_timeline(&L, &R); /* above */

    mp_lesson_verdicts(&L);
    verdicts_cpu(&L, &R);
    verdicts_memory_io(&L, &R);
    verdicts_balance(&L, &R);
    return mp_lesson_end(&L);
}
