/* Lesson 12, part 1a -- the primes job, six ways, against the thread count.
 *
 * The kit's CPU-bound job (lessons 02 and 05): count the primes below a
 * bound, here in blocks of MP_PRIME_BLOCK numbers, one task per block, so
 * that every way runs the same tasks:
 *
 *     #pragma omp parallel for schedule(dynamic, 1)
 *     for (long b = 0; b < blocks; b++)
 *         counts[b] = primes in block b;
 *
 * beside mp_pool_map(pool, primes_task, blocks, ...) on the kit's thread
 * and process pools. Trial division costs more for larger numbers, so the
 * blocks grow dearer with b: static, which gives each thread one contiguous
 * range, leaves the last thread the dearest blocks (part 2 looks closer).
 * From 1 thread to --max-workers; every count must be exactly the serial
 * loop's. */
#include <errno.h>
#include <stdlib.h>

#include "lesson12.h"

static const char *const labels[NWAYS] = {"static", "dynamic,1", "dynamic,16", "guided", "kit-thread", "kit-process"};

static uint64_t total_of(const uint64_t *counts, long n)
{
    uint64_t t = 0;
    for (long i = 0; i < n; i++)
        t += counts[i];
    return t;
}

/* What each way counted (its first run; the plain loop at [0]), for primes.csv. */
static void count_way(int way, const job *j, void *ctx)
{
    ((uint64_t *)ctx)[way + 1] = total_of(j->results, j->n);
}

void part_primes(mp_lesson *L, primes_result *R)
{
    *R = (primes_result){.bound = L->o.quick ? 200000 : 400000, .right = true};
    double task_ns = 0;
    int top = L->o.max_workers < MAX_THREAD_COUNTS ? L->o.max_workers : MAX_THREAD_COUNTS;
    R->counts = top;
    mp_lesson_part(L, "1a. The primes job: the primes below %llu in blocks of %d, six ways, 1 to %d thread%s",
                   (unsigned long long)R->bound, MP_PRIME_BLOCK, top, top == 1 ? "" : "s");
    if (L->o.trace)
        mp_say("--trace: part 1 is not recorded, only its parts' spans: a clock read per task would be part of the "
               "per-task cost it measures (part 2 draws its own timelines)");
    mp_trace_enable(false);
    long blocks = (long)((R->bound + MP_PRIME_BLOCK - 1) / MP_PRIME_BLOCK);
    block_arg *args = calloc((size_t)blocks, sizeof *args);
    uint64_t *counts = calloc((size_t)blocks, sizeof *counts);
    CHECK(args && counts ? 0 : -ENOMEM);
    for (long b = 0; b < blocks; b++) {
        uint64_t hi = (uint64_t)(b + 1) * MP_PRIME_BLOCK;
        args[b] = (block_arg){(uint64_t)b * MP_PRIME_BLOCK, hi < R->bound ? hi : R->bound};
    }
    job j = {.fn = primes_task, .args = args, .arg_size = sizeof *args, .results = counts,
             .result_size = sizeof *counts, .n = blocks};
    mp_series s[NWAYS];
    for (int w = 0; w < NWAYS; w++)
        s[w] = (mp_series){.label = labels[w], /* Amdahl fits for three: static's imbalance shows as a serial fraction */
                           .fit = w == W_STATIC || w == W_DYNAMIC1 || w == W_PROCESS, .fit_upto = mp_cpus_usable()};
    for (int t = 1; t <= top; t++) {
        j.threads = t;
        j.thread = mp_lesson_pool(MP_POOL_THREADS, -1, t, NULL);    /* made before the clock starts, */
        j.process = mp_lesson_pool(MP_POOL_PROCESSES, -1, t, NULL); /* as OpenMP keeps its team */
        mp_stats serial, time[NWAYS];
        uint64_t got[NWAYS + 1];
        R->right = measure_all(L->o.repeat, &j, &serial, time, count_way, got) && R->right;
        if (t == 1) {
            R->serial = serial;
            R->primes = got[0];
            task_ns = serial.median * 1e9 / (double)blocks;
            CHECK(mp_csv_row(&primes_csv, "serial,none,0,1,%.0f,%.6f,1,%llu", task_ns, serial.median,
                             (unsigned long long)R->primes));
            mp_say("serial: %llu primes in %.1f ms (%ld blocks, %.0f us each on average)",
                   (unsigned long long)R->primes, serial.median * 1e3, blocks, task_ns / 1e3);
        }
        for (int w = 0; w < NWAYS; w++) {
            R->right = R->right && got[w + 1] == R->primes;
            R->time[w][t - 1] = time[w];
            R->speedup[w][t - 1] = serial.median / time[w].median;
            mp_series_add(&s[w], t, serial.median, time[w].median, time[w].min, time[w].max);
            CHECK(mp_csv_row(&primes_csv, "%s,%s,%d,%d,%.0f,%.6f,%.4f,%llu", ways[w].method, ways[w].schedule,
                             ways[w].chunk, t, task_ns, time[w].median, R->speedup[w][t - 1],
                             (unsigned long long)got[w + 1]));
        }
        mp_lesson_pool_finish(j.thread);
        mp_lesson_pool_finish(j.process);
    }
    mp_table tb;
    char head[256] = "way|";
    for (int t = 1; t <= top && t <= 8; t++)
        snprintf(head + strlen(head), sizeof head - strlen(head), "%d thread%s%s", t, t == 1 ? "" : "s",
                 t < top && t < 8 ? "|" : "");
    mp_table_header(&tb, head);
    for (int w = 0; w < NWAYS; w++) {
        char row[256];
        snprintf(row, sizeof row, "%s", ways[w].name);
        for (int t = 1; t <= top && t <= 8; t++)
            snprintf(row + strlen(row), sizeof row - strlen(row), "|%.2fx", R->speedup[w][t - 1]);
        mp_table_row(&tb, "%s", row);
    }
    mp_say("(speedup against the serial loop; more thread counts, if any, are in primes.csv)");
    mp_say("every way counted exactly %llu primes: %s", (unsigned long long)R->primes, R->right ? "yes" : "NO");
    mp_speedup_plot(L->o.out, "primes", "lesson 12: the primes job, speedup against threads", s, NWAYS, L->o.no_plot);
    free(args);
    free(counts);
}
