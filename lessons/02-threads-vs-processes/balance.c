/* Lesson 02, part 4: does it matter how the work is split?
 *
 * Testing n for primality by trial division takes up to sqrt(n) divisions,
 * so the numbers near the top of [0, N) cost more than those near the
 * bottom. Cut the range into contiguous pieces (halves, with 2 workers) and
 * the worker holding the top piece has the most work: the others finish
 * early and sit idle while it works on. Dealing out blocks of 4096 numbers
 * round-robin (mp_count_primes_share, what parts 1 and 5 use) gives every
 * worker a fair mix of cheap and costly numbers.
 *
 * Measured per worker (threads, --workers of them): its busy time (the
 * thread's CPU time) and when it finished. The imbalance is the slowest
 * worker's busy time over the mean: 1.0 is perfectly fair; with 2 workers
 * and contiguous halves, the top half's share of the cost (over 60%, as
 * the cost of counting to N grows like N^1.5 / ln N) makes it near 1.25.
 */
#include <errno.h>
#include <stdlib.h>

#include "lesson02.h"

enum { CONTIGUOUS, ROUND_ROBIN };
static const char *const layout_names[] = {"contiguous", "round-robin"};

typedef struct worker {
    int layout, index, parts;
    uint64_t bound;
    uint64_t t0;       /* the run's start (mp_now_ns) */
    uint64_t numbers;  /* out: how many numbers it tested */
    uint64_t primes;   /* out */
    double busy_s;     /* out: its CPU time */
    double end_s;      /* out: when it finished, since the run's start */
} worker;

/* The numbers in worker i's round-robin blocks. */
static uint64_t share_size(uint64_t bound, int parts, int i)
{
    uint64_t n = 0;
    for (uint64_t b = (uint64_t)i * MP_PRIME_BLOCK; b < bound; b += (uint64_t)parts * MP_PRIME_BLOCK)
        n += bound - b < MP_PRIME_BLOCK ? bound - b : MP_PRIME_BLOCK;
    return n;
}

static void *count(void *arg)
{
    worker *w = arg;
    uint64_t c0 = mp_thread_cpu_ns();
    mp_trace_begin(w->layout == CONTIGUOUS ? "count (piece)" : "count (blocks)");
    if (w->layout == CONTIGUOUS) {
        uint64_t lo, hi;
        mp_split_range(0, w->bound, w->parts, w->index, &lo, &hi);
        w->numbers = hi - lo;
        w->primes = mp_count_primes(lo, hi);
    } else {
        w->numbers = share_size(w->bound, w->parts, w->index);
        w->primes = mp_count_primes_share(0, w->bound, w->parts, w->index);
    }
    mp_trace_end(w->layout == CONTIGUOUS ? "count (piece)" : "count (blocks)");
    w->busy_s = mp_ns_to_s(mp_thread_cpu_ns() - c0);
    w->end_s = mp_ns_to_s(mp_now_ns() - w->t0);
    return NULL;
}

/* One run of a layout with n threads; returns its wall time. */
static double run_layout(int layout, int n, uint64_t bound, worker *w)
{
    mp_thread *threads = calloc((size_t)n, sizeof *threads);
    CHECK(threads ? 0 : -ENOMEM);
    mp_trace_begin(layout_names[layout]); /* on the main thread's lane: which layout runs */
    uint64_t t0 = mp_now_ns();
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s-%d", layout == CONTIGUOUS ? "piece" : "blocks", i + 1);
        w[i] = (worker){.layout = layout, .index = i, .parts = n, .bound = bound, .t0 = t0};
        mp_thread_init(&threads[i], name, count, &w[i]);
        CHECK(mp_thread_start(&threads[i]));
    }
    for (int i = 0; i < n; i++)
        CHECK(mp_thread_join(&threads[i], NULL));
    double wall = mp_ns_to_s(mp_now_ns() - t0);
    mp_trace_end(layout_names[layout]);
    free(threads);
    return wall;
}

/* The slowest worker's busy time over the mean, and the CPUs kept busy. */
static double imbalance(const worker *w, int n, double wall, double *cpu_wall)
{
    double sum = 0, most = 0;
    for (int i = 0; i < n; i++) {
        sum += w[i].busy_s;
        most = w[i].busy_s > most ? w[i].busy_s : most;
    }
    *cpu_wall = sum / wall;
    return sum > 0 ? most / (sum / n) : 1;
}

/* Each worker of the first run of each layout (its numbers are also in balance.csv). */
static void print_workers(worker *const first[2], int n)
{
    if (n > 8) {
        mp_say("%d workers: each one's numbers are in balance.csv", n);
        return;
    }
    mp_table t;
    mp_table_header(&t, "how it is split|worker|numbers|primes|busy s|done at s");
    for (int layout = CONTIGUOUS; layout <= ROUND_ROBIN; layout++)
        for (int i = 0; i < n; i++) {
            const worker *w = &first[layout][i];
            mp_table_row(&t, "%s|%d|%llu|%llu|%.3f|%.3f", layout_names[layout], i + 1,
                         (unsigned long long)w->numbers, (unsigned long long)w->primes, w->busy_s, w->end_s);
        }
}

void part_balance(mp_lesson *L, results *R)
{
    balance *b = &R->bal;
    int n = b->workers = R->workers;
    uint64_t bound = R->cpu_job.bound;
    uint64_t t0 = mp_lesson_part(L, "4. load balance: the primes below %llu in %d contiguous piece%s, then in blocks "
                                    "of %d dealt round-robin (%d thread%s)",
                                 (unsigned long long)bound, n, plural(n), MP_PRIME_BLOCK, n, plural(n));
    worker *first[2] = {calloc((size_t)n, sizeof(worker)), calloc((size_t)n, sizeof(worker))};
    worker *w = calloc((size_t)n, sizeof *w);
    CHECK(w && first[0] && first[1] ? 0 : -ENOMEM);
    double walls[2][MP_MAX_REPEAT], imbs[2][MP_MAX_REPEAT], cw[2][MP_MAX_REPEAT]; /* [layout][run] */
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "balance.csv", "layout,run,worker,numbers,primes,busy_s,end_s"));
    for (int run = 0; run < L->o.repeat; run++)
        for (int layout = CONTIGUOUS; layout <= ROUND_ROBIN; layout++) {
            if (run == 0)
                mp_trace_enable(true); /* the timeline shows the first run of each */
            double wall = run_layout(layout, n, bound, w);
            mp_trace_enable(L->o.trace);
            uint64_t primes = 0;
            for (int i = 0; i < n; i++) {
                primes += w[i].primes;
                CHECK(mp_csv_row(&csv, "%s,%d,%d,%llu,%llu,%.6f,%.6f", layout_names[layout], run + 1, i + 1,
                                 (unsigned long long)w[i].numbers, (unsigned long long)w[i].primes, w[i].busy_s,
                                 w[i].end_s));
            }
            if (primes != R->cpu.serial.result) { /* the self-check */
                mp_error("%s with %d workers counted %llu primes, the serial run %llu", layout_names[layout], n,
                         (unsigned long long)primes, (unsigned long long)R->cpu.serial.result);
                mp_lesson_abort();
            }
            walls[layout][run] = wall;
            imbs[layout][run] = imbalance(w, n, wall, &cw[layout][run]);
            if (run == 0)
                memcpy(first[layout], w, (size_t)n * sizeof *w);
        }
    CHECK(mp_csv_close(&csv));
    print_workers(first, n);
    mp_trace_write_window(L->o.out, "balance", "lesson 02: contiguous pieces (piece-N), then round-robin blocks (blocks-N)", t0, 0,
                          L->o.no_plot);
    mp_table t;
    mp_table_header(&t, "how it is split|median s|spread|imbalance|cpu/wall");
    for (int layout = CONTIGUOUS; layout <= ROUND_ROBIN; layout++) {
        mp_stats cws;
        CHECK(mp_stats_of(walls[layout], (size_t)L->o.repeat, &b->wall[layout]));
        CHECK(mp_stats_of(imbs[layout], (size_t)L->o.repeat, &b->imbalance[layout]));
        CHECK(mp_stats_of(cw[layout], (size_t)L->o.repeat, &cws));
        b->cpu_wall[layout] = cws.median;
        mp_table_row(&t, "%s|%.3f|%.0f%%|%.2f|%.2f", layout_names[layout], b->wall[layout].median,
                     100 * mp_spread(&b->wall[layout]), b->imbalance[layout].median, b->cpu_wall[layout]);
    }
    mp_say("imbalance = the slowest worker's busy (CPU) time over the mean: 1.00 is fair; medians of %d runs",
           L->o.repeat);
    free(w);
    free(first[0]);
    free(first[1]);
}
