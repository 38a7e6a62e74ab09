/* Lesson 05, part 7 -- copy or share: a pool's arguments and results.
 *
 * A process pool's workers do not see the caller's memory. Python's
 * Pool.map pickles every argument and every result and sends them through
 * a pipe; a program that wants to avoid that puts its data in a
 * multiprocessing.shared_memory.SharedMemory block (or a NumPy array over
 * its buffer), and hands the workers only the block's name and which
 * indices to work on: they read and write the data in place.
 *
 * The kit's process pool copies too: the manager copies every chunk's
 * arguments into the pool's shared arena and every result out of it. A
 * pool made with opts.shared_bytes has a buffer its workers map as well
 * (mp_pool_shared); a map whose arguments and results lie in it copies
 * nothing, the messages carry offsets only.
 *
 * The same map of many tiny tasks (2x + 1: moving its 16 bytes is most of
 * the work), at the default chunksize, three ways, taking turns map by map
 * (so that a burst of load hits all three alike), --repeat runs of many
 * maps (pool.csv):
 *   thread     a thread pool, the arrays in the caller's memory (threads
 *              share everything: nothing to copy);
 *   copied     a fork process pool, the arrays in the caller's memory;
 *   in place   the same process pool, the arrays in mp_pool_shared().
 * Every result of every map is checked against the serial answer. */
#include <stdlib.h>

#include "lesson05.h"

static const char *const share_ways[NSHARE] = {"thread", "copied", "in place"};
static const char *const experiments[NSHARE] = {"share", "share-copied", "share-in-place"};
static const char *const backends[NSHARE] = {"thread", "process-fork", "process-fork"};

/* The three ways: which pool, which arrays. */
typedef struct ways {
    mp_pool *pool[NSHARE];
    const long *args[NSHARE];
    long *res[NSHARE];
    const long *want; /* the serial answer */
    long n;
} ways;

/* One map the way k, its seconds added to *s. The results are zeroed
 * before and checked after, both outside the timing (they cost as much as
 * the map itself), so a stale result from an earlier map cannot pass. */
static void timed_map(const ways *W, int k, bool *right, double *s)
{
    size_t bytes = (size_t)W->n * sizeof(long);
    memset(W->res[k], 0, bytes);
    uint64_t t0 = mp_now_ns();
    CHECK(mp_pool_map(W->pool[k], twice_plus_one_task, W->args[k], (size_t)W->n, sizeof(long), W->res[k],
                      sizeof(long), NULL));
    *s += mp_ns_to_s(mp_now_ns() - t0);
    *right = *right && memcmp(W->res[k], W->want, bytes) == 0;
}

/* share.png: ns per task of each way (plots/bars.gp; bars from the
 * fastest to the slowest run). */
static void share_bars(mp_lesson *L, const share_result *R)
{
    char dat[PATH_MAX];
    FILE *f = bars_open(L, "share", dat, "way \"ns per task\" min max");
    if (!f)
        return;
    double per = 1e9 / (double)R->tasks;
    for (int k = 0; k < NSHARE; k++)
        fprintf(f, "\"%s\" %.2f %.2f %.2f\n", share_ways[k], R->run[k].median * per, R->run[k].min * per,
                R->run[k].max * per);
    char vars[64];
    snprintf(vars, sizeof vars, "ylabel='ns per task, %d workers'; nseries=1", R->workers);
    bars_draw(L, f, dat, "share", "lesson 05: copy or share a pool's arguments and results", vars);
}

void part_share(mp_lesson *L, share_result *R)
{
    int w = L->o.workers;
    /* A map of 1 M such tasks takes a ms or two: a run is `maps` of them, so
     * that a run is long enough for the clock and a scheduler's hiccup. */
    long n = L->o.quick ? 500000 : 1000000;
    int maps = L->o.quick ? 10 : 80;
    mp_lesson_part(L, "7. copy or share: %ld tasks of 2x + 1, on a thread pool and a fork process pool, the arrays "
                      "copied or in a shared buffer", n);
    *R = (share_result){.workers = w, .tasks = n, .chunksize = mp_pool_chunksize((size_t)n, w), .all_right = true};
    size_t bytes = (size_t)n * sizeof(long);
    long *args = malloc(bytes), *res = malloc(bytes), *want = malloc(bytes);
    if (!args || !res || !want)
        mp_lesson_abort();
    for (long i = 0; i < n; i++) {
        args[i] = i;
        twice_plus_one_task(&args[i], &want[i]); /* the serial answer */
    }
    mp_pool_opts o = mp_pool_defaults(MP_POOL_PROCESSES);
    o.shared_bytes = 2 * bytes; /* the arguments, then the results */
    mp_pool *procs = mp_lesson_pool(MP_POOL_PROCESSES, MP_START_FORK, w, &o);
    long *shared = mp_pool_shared(procs, NULL);
    memcpy(shared, args, bytes); /* once: from here on the workers read them in place */
    ways W = {.pool = {mp_lesson_pool(MP_POOL_THREADS, -1, w, NULL), procs, procs},
              .args = {args, args, shared},
              .res = {res, res, shared + n},
              .want = want,
              .n = n};
    mp_say("%d worker%s in each pool, chunksize %zu; a run is %d maps (times are per map); in place: %zu KiB of "
           "arguments and results in mp_pool_shared()", w, w == 1 ? "" : "s", R->chunksize, maps, 2 * bytes / 1024);

    int rep = L->o.repeat;
    double *s = calloc((size_t)(NSHARE * rep), sizeof *s), warm = 0;
    if (!s)
        mp_lesson_abort();
    for (int k = 0; k < NSHARE; k++)
        timed_map(&W, k, &R->all_right, &warm); /* first touches of the arena's pages: checked, not timed */
    /* The three ways take turns map by map, so that load hits all alike. */
    for (int r = 0; r < rep; r++)
        for (int m = 0; m < maps; m++)
            for (int k = 0; k < NSHARE; k++)
                timed_map(&W, k, &R->all_right, &s[k * rep + r]);
    for (int i = 0; i < NSHARE * rep; i++)
        s[i] /= maps;
    mp_lesson_pool_finish(W.pool[SH_THREAD]);
    mp_lesson_pool_finish(procs);
    free(args);
    free(res);
    free(want);

    mp_table t;
    mp_table_header(&t, "way      |ms per map|min|max|ns per task|/ thread pool");
    for (int k = 0; k < NSHARE; k++) {
        CHECK(mp_stats_of(&s[k * rep], (size_t)rep, &R->run[k]));
        pool_row(experiments[k], backends[k], w, (size_t)n, R->chunksize, &R->run[k]);
        mp_table_row(&t, "%s|%.1f|%.1f|%.1f|%.1f|%.2f", share_ways[k], R->run[k].median * 1e3, R->run[k].min * 1e3,
                     R->run[k].max * 1e3, R->run[k].median * 1e9 / (double)n,
                     R->run[k].median / R->run[SH_THREAD].median);
    }
    free(s);
    mp_say("every result of every run 2x + 1: %s", R->all_right ? "yes" : "NO");
    mp_say("beside the thread pool (no copies, no other process): copied %.2fx its time, in place %.2fx",
           R->run[SH_COPIED].median / R->run[SH_THREAD].median, R->run[SH_IN_PLACE].median / R->run[SH_THREAD].median);
    share_bars(L, R);
}
