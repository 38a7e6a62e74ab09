/* Lesson 06, part 4 -- data size: shipping bytes moves the break-even.
 *
 * T0's rule: "send as little data as possible". A process pool copies each
 * argument into the pool's shared ring and out again in the worker, and the
 * result back the same way (Python pickles, writes to a pipe and unpickles:
 * more copies still). So a task with a big argument and result carries a
 * bigger per-task overhead, and must compute longer before it pays off.
 *
 * The same sweep twice on one running process pool (chunksize 1): each task
 * with 16 bytes each way, then with 64 KiB each way. The task reads every
 * byte of its argument and writes every byte of its result, serially too,
 * so a 64 KiB task has more work in it: the curves are drawn against each
 * task's whole work as the serial loop measured it, and only the shipping
 * differs. */
#include <math.h>
#include <stdlib.h>

#include "lesson06.h"

typedef struct data_batch {
    size_t n, bytes, arg_size, result_size;
    unsigned char *args, *results;
    mp_pool *pool;
} data_batch;

static int data_init(data_batch *d, size_t n, size_t bytes, uint64_t steps, mp_pool *pool)
{
    *d = (data_batch){.n = n, .bytes = bytes, .pool = pool};
    d->arg_size = sizeof(data_head) + bytes;
    d->result_size = sizeof(uint64_t) + bytes;
    d->args = malloc(n * d->arg_size);
    d->results = malloc(n * d->result_size);
    if (!d->args || !d->results) {
        free(d->args);
        free(d->results);
        return -ENOMEM;
    }
    /* touched now, so that no run pays the first touch of its pages (not
     * with 0: gcc would turn malloc + memset 0 into calloc, which touches
     * nothing) */
    memset(d->results, 0xff, n * d->result_size);
    for (size_t i = 0; i < n; i++) {
        unsigned char *a = d->args + i * d->arg_size;
        data_head h = {.steps = steps, .seed = i + 1, .bytes = bytes};
        memcpy(a, &h, sizeof h);
        for (size_t k = 0; k < bytes; k++)
            a[sizeof h + k] = (unsigned char)(i * 31 + k);
    }
    return 0;
}

static void data_free(data_batch *d)
{
    free(d->args);
    free(d->results);
}

static void data_serial(void *arg)
{
    data_batch *d = arg;
    for (size_t i = 0; i < d->n; i++)
        data_task(d->args + i * d->arg_size, d->results + i * d->result_size);
}

static void data_pool(void *arg)
{
    data_batch *d = arg;
    mp_call_opts o = {.chunksize = 1};
    CHECK(mp_pool_map(d->pool, data_task, d->args, d->n, d->arg_size, d->results, d->result_size, &o));
}

static bool data_right(const data_batch *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const unsigned char *a = d->args + i * d->arg_size, *r = d->results + i * d->result_size;
        uint64_t got;
        memcpy(&got, r, sizeof got);
        if (got != data_expected(a) || memcmp(r + sizeof got, a + sizeof(data_head), d->bytes) != 0)
            return false;
    }
    return true;
}

void part_data(mp_lesson *L, data_result *R)
{
    mp_lesson_part(L, "4. Data size: the same work with 16 B and with 64 KiB going each way");
    int w = L->o.workers, usable = mp_cpus_usable() < w ? mp_cpus_usable() : w;
    *R = (data_result){.bytes = {16, 64 * 1024}, .points = L->o.quick ? 4 : DATA_POINTS, .all_right = true};
    mp_log_steps(1e3, L->o.quick ? 1e6 : 3e6, R->points, R->cost_ns);
    double work_ns = L->o.quick ? 2e6 : 8e6;
    mp_pool *pool = way_pool(W_FORK, w);
    mp_table t;
    mp_table_header(&t, "bytes each way|spin|compute per task|tasks|serial ms|pool ms|speedup|overhead per task");
    for (int s = 0; s < DATA_SIZES; s++) {
        for (int i = 0; i < R->points; i++) {
            size_t n = tasks_for(R->cost_ns[i], work_ns, (size_t)(8 * w), 400);
            data_batch d;
            CHECK(data_init(&d, n, R->bytes[s], mp_spin_steps_for_ns(R->cost_ns[i]), pool));
            mp_stats serial, par;
            CHECK(mp_measure(L->o.repeat, data_serial, &d, &serial, NULL));
            CHECK(mp_measure(L->o.repeat, data_pool, &d, &par, NULL));
            R->all_right = R->all_right && data_right(&d);
            /* the task's whole compute, its pass over the bytes included */
            double compute_ns = serial.median * 1e9 / (double)n;
            R->compute_ns[s][i] = compute_ns;
            R->speedup[s][i] = serial.median / par.median;
            R->spread[s][i] = fmax(mp_spread(&serial), mp_spread(&par));
            R->overhead_ns[s][i] = mp_overhead_per_task(par.median * 1e9, 0, compute_ns, n, usable);
            char sp[32], c[32], o[32];
            mp_table_row(&t, "%zu|%s|%s|%zu|%.2f|%.2f|%.3f|%s", R->bytes[s], mp_ns_text(R->cost_ns[i], sp, sizeof sp),
                         mp_ns_text(compute_ns, c, sizeof c), n,
                         serial.median * 1e3, par.median * 1e3, R->speedup[s][i],
                         mp_ns_text(R->overhead_ns[s][i], o, sizeof o));
            CHECK(mp_csv_row(&data_csv, "%zu,%.0f,%zu,%.6f,%.4f,%.0f", R->bytes[s], compute_ns, n, par.median,
                             R->speedup[s][i], R->overhead_ns[s][i]));
            data_free(&d);
        }
        R->breakeven_ns[s] = mp_breakeven(R->compute_ns[s], R->speedup[s], R->points);
        /* the noise that matters: at the two points either side of the crossing */
        int below = -1;
        for (int i = 0; i < R->points; i++)
            if (R->speedup[s][i] < 1)
                below = i;
        for (int i = below < 0 ? 0 : below; i <= below + 1 && i < R->points; i++)
            R->crossing_spread = fmax(R->crossing_spread, R->spread[s][i]);
    }
    mp_lesson_pool_finish(pool);
    char a[32], b[32];
    mp_say("break-even (by a task's whole work): %s with 16 B each way, %s with 64 KiB each way",
           mp_ns_text(R->breakeven_ns[0], a, sizeof a), mp_ns_text(R->breakeven_ns[1], b, sizeof b));
    mp_cost_series s[] = {{"16 B each way", R->points, R->compute_ns[0], R->speedup[0], false},
                       {"64 KiB each way", R->points, R->compute_ns[1], R->speedup[1], false}};
    mp_cost_plot(L->o.out, "data", "lesson 06: process pool (fork, chunksize 1), small and large arguments and results",
                 "work of one task, its pass over the bytes included (ns)", s, 2, 0, NULL, L->o.no_plot);
}
