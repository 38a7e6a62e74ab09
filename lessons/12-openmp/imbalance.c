/* Lesson 12, part 2 -- imbalanced work: static against dynamic and guided.
 *
 * When iteration i costs more as i grows (or at random), schedule(static)
 * gives the first thread the cheap iterations and the last the dear ones:
 * one thread finishes early and waits at the loop's barrier. dynamic hands
 * out iterations as threads free up; guided starts with big chunks and ends
 * with small ones. Each iteration is a span in its thread's lane
 * (schedules.png: the three runs, one after the other). */
#include <stdlib.h>

#include "lesson12.h"

static const char *const sched_names[NSCHED] = {"static", "dynamic", "guided"};

typedef struct skew { int sched, threads, n; uint64_t *steps; uint64_t sum; bool trace; } skew;

static uint64_t one(const skew *k, int i)
{
    if (k->trace)
        mp_trace_begin("iteration");
    uint64_t v = mp_spin(k->steps[i], (uint64_t)i);
    if (k->trace)
        mp_trace_end("iteration");
    return v;
}

static void run(void *arg)
{
    skew *k = arg;
    uint64_t sum = 0;
    if (k->sched == S_STATIC) {
#pragma omp parallel for schedule(static) reduction(+ : sum) num_threads(k->threads)
        for (int i = 0; i < k->n; i++)
            sum += one(k, i);
    } else if (k->sched == S_DYNAMIC) {
#pragma omp parallel for schedule(dynamic) reduction(+ : sum) num_threads(k->threads)
        for (int i = 0; i < k->n; i++)
            sum += one(k, i);
    } else {
#pragma omp parallel for schedule(guided) reduction(+ : sum) num_threads(k->threads)
        for (int i = 0; i < k->n; i++)
            sum += one(k, i);
    }
    k->sum = sum;
}

void part_imbalance(mp_lesson *L, imbalance_result *R)
{
    uint64_t t0 = mp_lesson_part(L, "2. Imbalanced work: static against dynamic against guided");
    *R = (imbalance_result){.right = true};
    int n = 200;
    double total_ns = L->o.quick ? 20e6 : 80e6;
    skew k = {.threads = L->o.workers, .n = n, .steps = malloc((size_t)n * sizeof(uint64_t))};
    if (!k.steps)
        mp_lesson_abort();
    uint64_t unit = mp_spin_steps_for_ns(total_ns / (n * (n + 1) / 2.0));
    unsigned long seed = L->o.seed;
    mp_table t;
    mp_table_header(&t, "work|static ms|dynamic ms|guided ms");
    for (int kind = 0; kind < 2; kind++) {
        for (int i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ul + 1442695040888963407ul;
            /* growing: cost ~ i; random: 0..2x the mean, from --seed */
            k.steps[i] = kind == 0 ? unit * (uint64_t)(i + 1) : unit * (uint64_t)((seed >> 33) % (uint64_t)(n + 1));
        }
        uint64_t want = 0;
        for (int s = 0; s < NSCHED; s++) {
            k.sched = s;
            CHECK(mp_measure(L->o.repeat, run, &k, &R->time[kind][s], NULL));
            if (s == 0)
                want = k.sum;
            R->right = R->right && k.sum == want;
            openmp_row("openmp-imbalanced", kind == 0 ? (s == 0 ? "static" : s == 1 ? "dynamic" : "guided")
                                                      : (s == 0 ? "static-random" : s == 1 ? "dynamic-random"
                                                                                           : "guided-random"),
                       s == S_DYNAMIC ? 1 : 0, k.threads, total_ns / n, &R->time[kind][s], R->time[kind][0].median /
                                                                                             R->time[kind][s].median);
        }
        mp_table_row(&t, "%s|%.1f|%.1f|%.1f", kind == 0 ? "growing with i" : "random (--seed)",
                     R->time[kind][0].median * 1e3, R->time[kind][1].median * 1e3, R->time[kind][2].median * 1e3);
    }
    /* the timeline: the growing work once per schedule, traced */
    k.trace = true;
    for (int i = 0; i < n; i++)
        k.steps[i] = unit * (uint64_t)(i + 1);
    mp_trace_enable(true);
    uint64_t from = mp_now_ns();
    for (int s = 0; s < NSCHED; s++) {
        k.sched = s;
        mp_trace_begin(sched_names[s]);
        run(&k);
        mp_trace_end(sched_names[s]);
    }
    mp_trace_enable(L->o.trace);
    mp_trace_write_window(L->o.out, "schedules",
                          "lesson 12: growing work under static, then dynamic, then guided (a span per iteration)", from,
                          mp_now_ns(), L->o.no_plot);
    (void)t0;
    free(k.steps);
}
