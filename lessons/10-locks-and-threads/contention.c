/* Lesson 10, part 5 -- contention: one lock, a lock per shard, atomics.
 *
 * N threads each add 1 to a total, as often as they can for a fixed time:
 *   one-lock  one lock around one counter: every add waits for every other
 *             thread's, and the lock moves from CPU to CPU;
 *   sharded   a counter and a lock per thread (a shard), added up at the
 *             end: nobody waits for anybody (each shard on its own cache
 *             line: lesson 09's false sharing);
 *   atomic    atomic_fetch_add on one counter: no lock, but the counter's
 *             cache line still moves between the CPUs.
 * The threads wait at a start line (an Event: part 6's first scene) and
 * add until a stop flag, so a run measures adding, not starting threads;
 * each thread also counts its adds by itself, and the shared total must
 * equal their sum. Operations per second against threads, 1 to
 * --max-workers. */
#include <stdlib.h>

#include "lesson10.h"

const char *const contention_kinds[NKINDS] = {"one-lock", "sharded", "atomic"};

typedef struct shard {
    _Alignas(64) mp_lock lock;
    long count;
} shard;

typedef struct bench {
    int kind, threads;
    atomic_int ready;          /* threads at the start line */
    mp_sync_event go;
    _Alignas(64) atomic_bool stop;
    _Alignas(64) mp_lock one;
    long total;
    _Alignas(64) atomic_long atom;
    shard shards[CONTENTION_MAX];
    _Alignas(64) long done[CONTENTION_MAX]; /* each thread's own count of its adds */
    uint64_t cpu_ns[CONTENTION_MAX];        /* and the CPU time its loop took */
} bench;

typedef struct worker_arg { bench *b; int id; } worker_arg;

static void *hammer(void *arg)
{
    worker_arg *w = arg;
    bench *b = w->b;
    shard *mine = &b->shards[w->id];
    long n = 0;
    atomic_fetch_add(&b->ready, 1);
    CHECK(mp_event_wait(&b->go, -1));
    uint64_t cpu0 = mp_thread_cpu_ns();
    while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
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
        n++;
    }
    b->done[w->id] = n;
    b->cpu_ns[w->id] = mp_thread_cpu_ns() - cpu0;
    return NULL;
}

/* One run of `ms` milliseconds: adds per second; *right: the total came
 * out exact; *cpus: the CPUs the threads had between them (their CPU time
 * over the wall time: on a busy machine, maybe one). */
static double run(bench *b, int ms, bool *right, double *cpus)
{
    b->total = 0;
    atomic_store(&b->atom, 0);
    atomic_store(&b->ready, 0);
    atomic_store(&b->stop, false);
    mp_event_clear(&b->go);
    for (int i = 0; i < b->threads; i++)
        b->shards[i].count = 0;
    mp_thread t[CONTENTION_MAX];
    worker_arg w[CONTENTION_MAX];
    for (int i = 0; i < b->threads; i++) {
        w[i] = (worker_arg){b, i};
        mp_thread_init(&t[i], "hammer", hammer, &w[i]);
        CHECK(mp_thread_start(&t[i]));
    }
    while (atomic_load(&b->ready) < b->threads)
        mp_sleep_ns(100000);
    uint64_t t0 = mp_now_ns();
    mp_event_set(&b->go);
    mp_sleep_ns((uint64_t)ms * 1000000);
    atomic_store(&b->stop, true);
    for (int i = 0; i < b->threads; i++)
        CHECK(mp_thread_join(&t[i], NULL));
    double s = mp_ns_to_s(mp_now_ns() - t0);
    long adds = 0, sum = b->kind == K_ONE_LOCK ? b->total : b->kind == K_ATOMIC ? atomic_load(&b->atom) : 0;
    uint64_t cpu = 0;
    for (int i = 0; i < b->threads; i++) {
        adds += b->done[i];
        cpu += b->cpu_ns[i];
        if (b->kind == K_SHARDED)
            sum += b->shards[i].count;
    }
    *right = sum == adds;
    *cpus = (double)cpu / 1e9 / s;
    return (double)adds / s;
}

void part_contention(mp_lesson *L, contention_result *R)
{
    int ms = L->o.quick ? 10 : 30;
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
    CHECK(mp_event_init(&b->go, NULL));
    CHECK(mp_lock_init(&b->one, MP_LOCK, NULL));
    for (int i = 0; i < CONTENTION_MAX; i++)
        CHECK(mp_lock_init(&b->shards[i].lock, MP_LOCK, NULL));
    double *s = calloc(2 * (size_t)L->o.repeat, sizeof *s), *c = s + L->o.repeat;
    if (!s)
        mp_lesson_abort();
    mp_table t;
    mp_table_header(&t, "threads|one-lock Mops/s|sharded Mops/s|atomic Mops/s|CPUs had (sharded)");
    for (int p = 0; p < R->points; p++) {
        b->threads = R->threads[p];
        for (int k = 0; k < NKINDS; k++) {
            b->kind = k;
            for (int r = 0; r < L->o.repeat; r++) {
                bool right;
                s[r] = run(b, ms, &right, &c[r]);
                R->exact = R->exact && right;
            }
            CHECK(mp_stats_of(s, (size_t)L->o.repeat, &R->ops[k][p]));
            if (k == K_SHARDED) { /* shards never wait: their threads use every CPU they are given */
                mp_stats cs;
                CHECK(mp_stats_of(c, (size_t)L->o.repeat, &cs));
                R->cpus[p] = cs.median;
            }
            CHECK(mp_csv_row(&contention_csv, "%s,%d,%.0f", contention_kinds[k], b->threads, R->ops[k][p].median));
        }
        mp_table_row(&t, "%d|%.1f|%.1f|%.1f|%.1f", b->threads, R->ops[K_ONE_LOCK][p].median / 1e6,
                     R->ops[K_SHARDED][p].median / 1e6, R->ops[K_ATOMIC][p].median / 1e6, R->cpus[p]);
    }
    free(s);
    mp_event_destroy(&b->go);
    free(b);
    mp_say("(each run: the threads add for %d ms; every total came out %s: the shared count equals the sum of "
           "the threads' own counts)", ms, R->exact ? "exact" : "WRONG");

    mp_series s3[NKINDS] = {{.label = "one-lock"}, {.label = "sharded"}, {.label = "atomic"}};
    for (int k = 0; k < NKINDS; k++)
        for (int p = 0; p < R->points; p++)
            mp_series_point(&s3[k], R->threads[p], R->ops[k][p].median / 1e6, R->ops[k][p].min / 1e6,
                            R->ops[k][p].max / 1e6);
    mp_lines_plot(L->o.out, "contention", "lesson 10: additions per second against threads", s3, NKINDS, "threads",
                  "million additions/s (log)", MP_PLOT_LOGY, L->o.no_plot);
}
