/* Lesson 12, part 2 -- uneven work: which schedule keeps every thread busy?
 *
 * Two loops whose iterations cost different amounts:
 *   growing  iteration i costs in proportion to i + 1 (like the primes job:
 *            larger numbers take longer);
 *   random   the iterations come in 16 runs, each run's cost drawn from 1x
 *            to 30x (log-uniform, from --seed): cheap and dear stretches,
 *            as the rows of a picture where the sky is cheap.
 * schedule(static) splits the range into equal contiguous blocks before the
 * loop starts, whatever they cost: with growing work the last thread gets
 * the dearest block and the others wait for it at the loop's barrier.
 * static,1 deals iterations round-robin (good for a smooth trend, no help
 * against runs). dynamic,1 hands the next iteration to whichever thread is
 * free; guided hands out big chunks first, smaller ones as the loop drains.
 *
 * Each iteration records which thread ran it, and in the first run of each
 * schedule a span on that thread's lane of the timeline
 * (schedules-growing.png, schedules-random.png: the four schedules one after
 * the other). The loops run in a thread of their own (omp-0, the team's
 * first thread), so that the main thread's lane holds only the lesson's
 * part. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "lesson12.h"

const char *const sched_names[NSCHED] = {"static", "static,1", "dynamic,1", "guided"};
static const char *const sched_csv[NSCHED] = {"static", "static", "dynamic", "guided"};
static const int sched_chunk[NSCHED] = {0, 1, 1, 0};
static const char *const kind_names[NKINDS] = {"growing", "random"};

#define RUNS 16 /* the random work's stretches */

typedef struct skewed {
    int threads, sched;
    long n;
    const uint64_t *steps; /* iteration i: mp_spin(steps[i]) */
    uint64_t *out;         /* the results, checked against the serial loop's */
    int *who;              /* which thread ran iteration i */
} skewed;

/* The OpenMP threads are named omp-N on the timeline (before their first span). */
static void name_this_thread(void)
{
    static _Thread_local int named = -1;
    int me = omp_get_thread_num();
    if (named != me) {
        char role[16];
        snprintf(role, sizeof role, "omp-%d", me);
        mp_set_role(role);
        named = me;
    }
}

static void iteration(const skewed *k, long i)
{
    name_this_thread();
    mp_trace_begin(sched_names[k->sched]); /* a no-op unless tracing is on */
    k->out[i] = mp_spin(k->steps[i], (uint64_t)i + 1);
    k->who[i] = omp_get_thread_num();
    mp_trace_end(sched_names[k->sched]);
}

static void run_schedule(const skewed *k)
{
    long n = k->n;
    switch (k->sched) {
    case S_STATIC:
#pragma omp parallel for schedule(static) num_threads(k->threads)
        for (long i = 0; i < n; i++)
            iteration(k, i);
        break;
    case S_STATIC1:
#pragma omp parallel for schedule(static, 1) num_threads(k->threads)
        for (long i = 0; i < n; i++)
            iteration(k, i);
        break;
    case S_DYNAMIC1:
#pragma omp parallel for schedule(dynamic, 1) num_threads(k->threads)
        for (long i = 0; i < n; i++)
            iteration(k, i);
        break;
    default:
#pragma omp parallel for schedule(guided) num_threads(k->threads)
        for (long i = 0; i < n; i++)
            iteration(k, i);
    }
}

/* splitmix64: the random costs from --seed */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The costs in ns of the n iterations, averaging mean_ns. */
static void costs(int kind, long n, double mean_ns, unsigned long seed, double *ns)
{
    double level[RUNS], sum = 0;
    uint64_t s = seed;
    for (int r = 0; r < RUNS; r++)
        level[r] = exp(log(30.0) * (double)(next_random(&s) >> 11) / 9007199254740992.0); /* 1..30 */
    for (long i = 0; i < n; i++)
        sum += ns[i] = kind == K_GROWING ? (double)(i + 1) : level[i * RUNS / n];
    for (long i = 0; i < n; i++)
        ns[i] *= mean_ns * (double)n / sum;
}

/* What one kind of work found, for the tables (the main thread prints them). */
typedef struct kind_run {
    skewed k;
    double *ns;                /* each iteration's cost */
    uint64_t *want;
    double samples[NSCHED][MP_MAX_REPEAT], serial[MP_MAX_REPEAT];
    double cpus[MP_MAX_REPEAT]; /* CPU time / wall time of each dynamic,1 run: the CPUs the team had */
    long iterations[NSCHED][MAX_THREAD_COUNTS];
    double work_ms[NSCHED][MAX_THREAD_COUNTS]; /* the cost of the iterations each thread ran */
    uint64_t from, to;         /* the traced first run */
    bool right;
} kind_run;

typedef struct part2 { const mp_lesson *L; kind_run run[NKINDS]; } part2;

static void measure_kind(const mp_lesson *L, kind_run *r)
{
    skewed *k = &r->k;
    r->right = true;
    for (int rep = 0; rep < L->o.repeat; rep++) {
        uint64_t t0 = mp_now_ns();
        for (long i = 0; i < k->n; i++)
            r->want[i] = mp_spin(k->steps[i], (uint64_t)i + 1);
        r->serial[rep] = mp_ns_to_s(mp_now_ns() - t0);
        if (rep == 0) { /* the first run of each schedule is drawn */
            mp_trace_enable(true);
            r->from = mp_now_ns();
        }
        for (int s = 0; s < NSCHED; s++) { /* interleaved: drift on the machine hits every schedule alike */
            k->sched = s;
            memset(k->out, 0, (size_t)k->n * sizeof *k->out);
            uint64_t c0 = mp_process_cpu_ns();
            t0 = mp_now_ns();
            run_schedule(k);
            r->samples[s][rep] = mp_ns_to_s(mp_now_ns() - t0);
            if (s == S_DYNAMIC1)
                r->cpus[rep] = mp_ns_to_s(mp_process_cpu_ns() - c0) / r->samples[s][rep];
            r->right = r->right && memcmp(k->out, r->want, (size_t)k->n * sizeof *k->out) == 0;
            if (rep > 0)
                continue;
            for (long i = 0; i < k->n; i++) {
                r->iterations[s][k->who[i]]++;
                r->work_ms[s][k->who[i]] += r->ns[i] / 1e6;
            }
        }
        if (rep == 0) {
            r->to = mp_now_ns();
            mp_trace_enable(L->o.trace);
        }
    }
}

static void *measure_kinds(void *arg)
{
    part2 *p = arg;
    for (int kind = 0; kind < NKINDS; kind++)
        measure_kind(p->L, &p->run[kind]);
    return NULL;
}

static void report_kind(const mp_lesson *L, int kind, kind_run *r, imbalance_result *R)
{
    const skewed *k = &r->k;
    CHECK(mp_stats_of(r->serial, (size_t)L->o.repeat, &R->serial[kind]));
    double mean_ns = R->serial[kind].median * 1e9 / (double)k->n;
    mp_say("%s work%s: serial %.1f ms", kind_names[kind],
           kind == K_RANDOM ? " (16 runs of 1x to 30x each, from --seed)" : " (iteration i costs in proportion to i + 1)",
           R->serial[kind].median * 1e3);
    CHECK(mp_csv_row(&imbalance_csv, "%s,none,0,1,%.0f,%.6f,1,1", kind_names[kind], mean_ns, R->serial[kind].median));
    mp_table t;
    mp_table_header(&t, "schedule|median ms|speedup|busiest thread / fair share|iterations per thread|work per "
                        "thread (ms)");
    for (int s = 0; s < NSCHED; s++) {
        mp_stats *st = &R->time[kind][s];
        CHECK(mp_stats_of(r->samples[s], (size_t)L->o.repeat, st));
        double most = 0, sum = 0;
        char its[160] = "", work[160] = "";
        for (int th = 0; th < k->threads; th++) {
            most = fmax(most, r->work_ms[s][th]);
            sum += r->work_ms[s][th];
            if (th < 8) {
                snprintf(its + strlen(its), sizeof its - strlen(its), "%s%ld", th ? " " : "", r->iterations[s][th]);
                snprintf(work + strlen(work), sizeof work - strlen(work), "%s%.1f", th ? " " : "",
                         r->work_ms[s][th]);
            }
        }
        R->imbalance[kind][s] = sum > 0 ? most / (sum / k->threads) : 1;
        double speedup = R->serial[kind].median / st->median;
        mp_table_row(&t, "%s|%.1f|%.2f|%.2f|%s|%s", sched_names[s], st->median * 1e3, speedup,
                     R->imbalance[kind][s], its, work);
        CHECK(mp_csv_row(&imbalance_csv, "%s,%s,%d,%d,%.0f,%.6f,%.4f,%.3f", kind_names[kind], sched_csv[s],
                         sched_chunk[s], k->threads, mean_ns, st->median, speedup, R->imbalance[kind][s]));
    }
    R->right = R->right && r->right;
    mp_stats had;
    CHECK(mp_stats_of(r->cpus, (size_t)L->o.repeat, &had));
    R->cpus_had[kind] = had.median;
    mp_say("(dynamic,1 kept %.2f CPUs busy on average: the CPUs the team had)", had.median);
    char stem[40], title[200];
    snprintf(stem, sizeof stem, "schedules-%s", kind_names[kind]);
    snprintf(title, sizeof title,
             "lesson 12: %s work under static, static,1, dynamic,1 and guided, one after the other (a span per "
             "iteration)", kind_names[kind]);
    mp_trace_write_window(L->o.out, stem, title, r->from, r->to, L->o.no_plot);
}

void part_imbalance(mp_lesson *L, imbalance_result *R)
{
    *R = (imbalance_result){.threads = L->o.workers < MAX_THREAD_COUNTS ? L->o.workers : MAX_THREAD_COUNTS,
                            .right = true};
    long n = L->o.quick ? 200 : 400;
    double mean_ns = L->o.quick ? 40e3 : 100e3;
    mp_lesson_part(L, "2. Uneven work: %ld iterations of %.0f us on average, growing with i, then random in runs; "
                      "static, static,1, dynamic,1 and guided on %d threads", n, mean_ns / 1e3, R->threads);
    static part2 p;
    p = (part2){.L = L};
    for (int kind = 0; kind < NKINDS; kind++) {
        kind_run *r = &p.run[kind];
        r->ns = calloc((size_t)n, sizeof *r->ns);
        r->want = calloc((size_t)n, sizeof *r->want);
        uint64_t *steps = calloc((size_t)n, sizeof *steps);
        r->k = (skewed){.threads = R->threads, .n = n, .steps = steps, .out = calloc((size_t)n, sizeof(uint64_t)),
                        .who = calloc((size_t)n, sizeof(int))};
        CHECK(r->ns && r->want && steps && r->k.out && r->k.who ? 0 : -ENOMEM);
        costs(kind, n, mean_ns, L->o.seed, r->ns);
        for (long i = 0; i < n; i++)
            steps[i] = mp_spin_steps_for_ns(r->ns[i]);
    }
    mp_thread runner;
    mp_thread_init(&runner, "omp-0", measure_kinds, &p);
    CHECK(mp_thread_start(&runner));
    CHECK(mp_thread_join(&runner, NULL));
    for (int kind = 0; kind < NKINDS; kind++)
        report_kind(L, kind, &p.run[kind], R);
    mp_say("(busiest thread / fair share: the work of the thread that had the most, over the total / threads, from "
           "the first run; 1.00 is even)");
    for (int kind = 0; kind < NKINDS; kind++) {
        kind_run *r = &p.run[kind];
        free(r->ns);
        free(r->want);
        free((void *)r->k.steps);
        free(r->k.out);
        free(r->k.who);
    }
}
