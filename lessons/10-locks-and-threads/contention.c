/* Lesson 10, part 5 -- contention: one lock, a lock per shard, atomics.
 *
 * N threads each add 1 to a total, many times:
 *   one-lock  one lock around one counter: every add waits for every other
 *             thread's, and the lock moves from CPU to CPU;
 *   sharded   a counter and a lock per thread (a shard), added up at the
 *             end: nobody waits for anybody (each shard on its own cache
 *             line: lesson 09's false sharing);
 *   atomic    atomic_fetch_add on one counter: no lock, but the counter's
 *             cache line still moves between the CPUs.
 * Operations per second against threads, 1 to --max-workers. */
#include <stdlib.h>

#include "lesson10.h"

const char *const contention_kinds[NKINDS] = {"one-lock", "sharded", "atomic"};

typedef struct shard {
    _Alignas(64) mp_lock lock;
    long count;
} shard;

typedef struct bench {
    int kind, threads;
    long ops;
    mp_lock one;
    long total;
    atomic_long atom;
    shard shards[CONTENTION_MAX];
} bench;

typedef struct worker_arg { bench *b; int id; } worker_arg;

static void *hammer(void *arg)
{
    worker_arg *w = arg;
    bench *b = w->b;
    shard *mine = &b->shards[w->id];
    for (long i = 0; i < b->ops; i++)
        switch (b->kind) {
        case K_ONE_LOCK:
            CHECK(mp_lock_acquire(&b->one, -1));
            b->total++;
            CHECK(mp_lock_release(&b->one));
            break;
        case K_SHARDED:
            CHECK(mp_lock_acquire(&mine->lock, -1));
            mine->count++;
            CHECK(mp_lock_release(&mine->lock));
            break;
        default:
            atomic_fetch_add_explicit(&b->atom, 1, memory_order_relaxed);
        }
    return NULL;
}

/* One run: ops per second; *right: the total came out exact. */
static double run(bench *b, bool *right)
{
    b->total = 0;
    atomic_store(&b->atom, 0);
    for (int i = 0; i < b->threads; i++)
        b->shards[i].count = 0;
    mp_thread t[CONTENTION_MAX];
    worker_arg w[CONTENTION_MAX];
    uint64_t t0 = mp_now_ns();
    for (int i = 0; i < b->threads; i++) {
        w[i] = (worker_arg){b, i};
        mp_thread_init(&t[i], "hammer", hammer, &w[i]);
        CHECK(mp_thread_start(&t[i]));
    }
    for (int i = 0; i < b->threads; i++)
        CHECK(mp_thread_join(&t[i], NULL));
    double s = mp_ns_to_s(mp_now_ns() - t0);
    long sum = b->kind == K_ONE_LOCK ? b->total : b->kind == K_ATOMIC ? atomic_load(&b->atom) : 0;
    for (int i = 0; b->kind == K_SHARDED && i < b->threads; i++)
        sum += b->shards[i].count;
    *right = sum == b->ops * b->threads;
    return (double)(b->ops * b->threads) / s;
}

void part_contention(mp_lesson *L, contention_result *R)
{
    mp_lesson_part(L, "5. Contention: N threads on one lock, on a lock each, on one atomic counter");
    *R = (contention_result){.exact = true};
    int top = L->o.max_workers < CONTENTION_MAX ? L->o.max_workers : CONTENTION_MAX;
    if (top < 2)
        top = 2;
    for (int n = 1; n <= top && R->points < CONTENTION_MAX; n = n < 4 ? n + 1 : n * 2)
        R->threads[R->points++] = n;
    bench *b = aligned_alloc(64, sizeof(bench));
    if (!b)
        mp_lesson_abort();
    memset(b, 0, sizeof *b);
    CHECK(mp_lock_init(&b->one, MP_LOCK, NULL));
    for (int i = 0; i < CONTENTION_MAX; i++)
        CHECK(mp_lock_init(&b->shards[i].lock, MP_LOCK, NULL));
    b->ops = L->o.quick ? 100000 : 400000;
    double *s = calloc((size_t)L->o.repeat, sizeof *s);
    if (!s)
        mp_lesson_abort();
    mp_table t;
    mp_table_header(&t, "threads|one-lock Mops/s|sharded Mops/s|atomic Mops/s");
    for (int p = 0; p < R->points; p++) {
        b->threads = R->threads[p];
        for (int k = 0; k < NKINDS; k++) {
            b->kind = k;
            for (int r = 0; r < L->o.repeat; r++) {
                bool right;
                s[r] = run(b, &right);
                R->exact = R->exact && right;
            }
            CHECK(mp_stats_of(s, (size_t)L->o.repeat, &R->ops[k][p]));
            CHECK(mp_csv_row(&contention_csv, "%s,%d,%.0f", contention_kinds[k], b->threads, R->ops[k][p].median));
        }
        mp_table_row(&t, "%d|%.1f|%.1f|%.1f", b->threads, R->ops[K_ONE_LOCK][p].median / 1e6,
                     R->ops[K_SHARDED][p].median / 1e6, R->ops[K_ATOMIC][p].median / 1e6);
    }
    free(s);
    free(b);
    mp_say("(%ld additions per thread; every total came out %s)", L->o.quick ? 100000L : 400000L,
           R->exact ? "exact" : "WRONG");

    mp_series s3[NKINDS] = {{.label = "one-lock"}, {.label = "sharded"}, {.label = "atomic"}};
    for (int k = 0; k < NKINDS; k++)
        for (int p = 0; p < R->points; p++)
            mp_series_point(&s3[k], R->threads[p], R->ops[k][p].median / 1e6, R->ops[k][p].min / 1e6,
                            R->ops[k][p].max / 1e6);
    mp_lines_plot(L->o.out, "contention", "lesson 10: additions per second against threads", s3, NKINDS, "threads",
                  "million additions/s (log)", MP_PLOT_LOGY, L->o.no_plot);
}
