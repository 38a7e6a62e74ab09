/* Lesson 05, part 3 -- T1's tour of the API.
 *
 * T1 shows Pool's calls one by one: map (one argument), starmap (tuples
 * unpacked into f(a, b)), imap (lazy, in order), map_async and
 * apply_async (return at once; get() later), callbacks, and
 * get(timeout=2) raising TimeoutError. The same calls here, on a process
 * pool of --workers workers:
 *  - imap hands results out in argument order; imap_unordered as they
 *    complete. To make the difference visible (and not an accident of
 *    timing), the tasks sleep decreasing times: the first sleeps longest,
 *    so it cannot come first;
 *  - a callback runs once per job, in a thread of the pool, before get()
 *    returns; a failed job calls error_callback instead;
 *  - get(timeout) that expires returns -ETIMEDOUT (Python raises
 *    multiprocessing.TimeoutError) and the task is NOT cancelled: it runs
 *    to its end, and a later get() has its result. */
#include <stdatomic.h>

#include "lesson05.h"

#define TOUR_N 10
#define NAPS 4

static atomic_int callbacks, error_callbacks;
static atomic_long callback_sum;

static void on_result(const void *results, size_t n, void *ctx)
{
    (void)ctx;
    const long *r = results;
    for (size_t i = 0; i < n; i++)
        atomic_fetch_add(&callback_sum, r[i]);
    atomic_fetch_add(&callbacks, 1);
}

static void on_error(const mp_task_error *e, void *ctx)
{
    (void)ctx;
    char text[160];
    mp_task_error_text(e, text, sizeof text);
    mp_say("error_callback (in the pool's thread): %s", text);
    atomic_fetch_add(&error_callbacks, 1);
}

static const char *list(char *buf, size_t len, const long *v, size_t n)
{
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%ld", i ? ", " : "", v[i]);
    }
    return buf;
}

void part_tour(mp_lesson *L, tour_result *R)
{
    mp_lesson_part(L, "3. T1's tour: map, starmap, imap, imap_unordered, map_async, apply_async, callbacks, get(timeout)");
    *R = (tour_result){0};
    mp_pool *p = mp_lesson_pool(MP_POOL_PROCESSES, -1, L->o.workers, NULL);
    char text[512];
    long args[TOUR_N], res[TOUR_N], want[TOUR_N];
    for (long i = 0; i < TOUR_N; i++) {
        args[i] = i;
        want[i] = i * i;
    }

    /* map: f(x) for each x */
    CHECK(mp_pool_map(p, square_task, args, TOUR_N, sizeof(long), res, sizeof(long), NULL));
    R->map_right = memcmp(res, want, sizeof res) == 0;
    mp_say("map(square, range(10))          -> [%s]", list(text, sizeof text, res, TOUR_N));

    /* starmap: f(*t) for each tuple t; in C the tuple is a struct */
    pair pairs[TOUR_N];
    for (long i = 0; i < TOUR_N; i++)
        pairs[i] = (pair){i, i + 1};
    CHECK(mp_pool_starmap(p, multiply_task, pairs, TOUR_N, sizeof(pair), res, sizeof(long), NULL));
    R->starmap_right = true;
    for (long i = 0; i < TOUR_N; i++)
        R->starmap_right = R->starmap_right && res[i] == i * (i + 1);
    mp_say("starmap(mul, [(0,1), (1,2)...]) -> [%s]", list(text, sizeof text, res, TOUR_N));

    /* imap: an iterator, results in argument order */
    mp_imap *it;
    CHECK(mp_pool_imap(p, square_task, args, TOUR_N, sizeof(long), sizeof(long), NULL, &it));
    long items[TOUR_N];
    size_t got = 0, item;
    long r;
    int rc;
    while (got < TOUR_N && (rc = mp_imap_next(it, 30, &r, &item)) == 0)
        items[got++] = (long)item;
    mp_imap_free(it);
    R->imap_in_order = got == TOUR_N;
    for (size_t i = 0; i < got; i++)
        R->imap_in_order = R->imap_in_order && items[i] == (long)i;
    mp_say("imap: items handed out in the order %s", list(text, sizeof text, items, got));

    /* imap_unordered: as they complete. Task 0 sleeps longest. */
    long naps[NAPS] = {200, 100, 20, 20};
    if (!L->o.quick)
        for (int i = 0; i < NAPS; i++)
            naps[i] *= 2;
    mp_task_info info[NAPS];
    mp_call_opts io = {.info = info};
    CHECK(mp_pool_imap_unordered(p, nap_task, naps, NAPS, sizeof(long), sizeof(long), &io, &it));
    long order[NAPS];
    got = 0;
    while (got < NAPS && (rc = mp_imap_next(it, 30, &r, &item)) == 0)
        order[got++] = (long)item;
    CHECK(mp_async_wait(it, 30)); /* every info filled */
    mp_imap_free(it);
    bool seen[NAPS] = {false};
    R->unordered_permutation = got == NAPS;
    for (size_t i = 0; i < got; i++) {
        R->unordered_permutation = R->unordered_permutation && order[i] >= 0 && order[i] < NAPS && !seen[order[i]];
        if (order[i] >= 0 && order[i] < NAPS)
            seen[order[i]] = true;
        R->unordered_differs = R->unordered_differs || order[i] != (long)i;
    }
    /* the same order, from the end times mp_task_info recorded */
    long by_end[NAPS];
    for (int i = 0; i < NAPS; i++) {
        int rank = 0;
        for (int k = 0; k < NAPS; k++)
            rank += info[k].end_ns < info[i].end_ns || (info[k].end_ns == info[i].end_ns && k < i);
        by_end[rank] = i;
    }
    R->unordered_by_end = R->unordered_permutation && memcmp(by_end, order, sizeof order) == 0;
    mp_say("imap_unordered(nap, [%ld, %ld, %ld, %ld] ms): items handed out in the order %s", naps[0], naps[1], naps[2],
           naps[3], list(text, sizeof text, order, got));
    for (int i = 0; i < NAPS; i++)
        mp_say("  task %d (%3ld ms) ran in pid %d, ended at %6.1f ms", i, naps[i], (int)info[i].pid,
               (double)(info[i].end_ns - info[0].start_ns) / 1e6);
    mp_say("  by their end times the order is %s: %s", list(text, sizeof text, by_end, NAPS),
           R->unordered_by_end ? "the same" : "not quite (two ended close together)");

    /* map_async, then get; apply_async with callbacks; a failing task */
    atomic_store(&callbacks, 0);
    atomic_store(&error_callbacks, 0);
    atomic_store(&callback_sum, 0);
    mp_call_opts cb = {.callback = on_result, .error_callback = on_error};
    mp_async *m, *a[TOUR_N], *bad;
    CHECK(mp_pool_map_async(p, square_task, args, TOUR_N, sizeof(long), sizeof(long), &cb, &m));
    for (int i = 0; i < TOUR_N; i++)
        CHECK(mp_pool_apply_async(p, square_task, &args[i], sizeof(long), sizeof(long), &cb, &a[i]));
    long minus = -1;
    CHECK(mp_pool_apply_async(p, nap_task, &minus, sizeof(long), sizeof(long), &cb, &bad));
    CHECK(mp_async_get(m, 30, res));
    long sum = 0;
    for (int i = 0; i < TOUR_N; i++) {
        CHECK(mp_async_get(a[i], 30, &r));
        sum += r;
        mp_async_free(a[i]);
    }
    int bad_rc = mp_async_get(bad, 30, &r);
    mp_async_free(m);
    mp_async_free(bad);
    R->callbacks = atomic_load(&callbacks);
    R->callback_jobs = TOUR_N + 1;
    R->error_callbacks = atomic_load(&error_callbacks);
    mp_say("map_async + get: [%s]", list(text, sizeof text, res, TOUR_N));
    mp_say("11 jobs with a callback (1 map_async, 10 apply_async): %d callbacks ran (they summed %ld, the gets %ld), "
           "and 1 failing apply_async (get: %s) called error_callback %d time%s", R->callbacks,
           atomic_load(&callback_sum), 2 * sum, strerror(-bad_rc), R->error_callbacks,
           R->error_callbacks == 1 ? "" : "s");

    /* get(timeout) expires; the task goes on */
    long nap = L->o.quick ? 150 : 300;
    mp_task_info ti;
    mp_call_opts to = {.info = &ti};
    mp_async *h;
    CHECK(mp_pool_apply_async(p, nap_task, &nap, sizeof(long), sizeof(long), &to, &h));
    rc = mp_async_get(h, 0.05, &r);
    uint64_t expired = mp_now_ns();
    R->timed_out = rc == -ETIMEDOUT;
    mp_say("apply_async(nap, %ld ms).get(timeout=0.05) -> %s (Python: multiprocessing.TimeoutError)", nap,
           rc == -ETIMEDOUT ? "-ETIMEDOUT" : strerror(-rc));
    rc = mp_async_get(h, 30, &r);
    mp_async_free(h);
    R->finished_after = rc == 0 && r == nap && ti.end_ns > expired;
    R->after_ms = (double)(int64_t)(ti.end_ns - expired) / 1e6;
    mp_say("the task was not cancelled: it ended %.0f ms after the timeout, and get() then returned %ld", R->after_ms,
           r);
    mp_lesson_pool_finish(p);
}
