/* pool: every call gives what a serial loop gives, on every backend and
 * start method (threads; processes under fork, spawn, forkserver); imap in
 * order, imap_unordered in completion order; Python's chunksize formula;
 * the initializer once per worker; maxtasksperchild replaces workers;
 * get(timeout) expires and the task goes on; callbacks once each; a failing
 * task fails alone; a worker SIGKILLed at random moments costs only the
 * chunks it had started (named by its PID and signal), never a hang, and is
 * replaced; close / terminate / join; nothing left running. No assertion is
 * on a time except lower bounds of waits and generous upper bounds (10 s)
 * on what must never hang. main() calls mp_spawn_main() first. */
#include "helpers.h"

#include <sys/mman.h>

static const mp_entry entries[] = {{0}};

/* ---- the tasks (registered: spawn and forkserver workers find them by name) ---- */

static int square(const void *arg, void *result)
{
    long x = *(const long *)arg;
    *(long *)result = x * x;
    return 0;
}
MP_TASK(square)

typedef struct pair {
    long a, b;
} pair;
/* starmap's f(a, b): the tuple is a struct */
static int add_pair(const void *arg, void *result)
{
    const pair *p = arg;
    *(long *)result = p->a * 1000 + p->b;
    return 0;
}
MP_TASK(add_pair)

static int fail_on_7(const void *arg, void *result)
{
    long x = *(const long *)arg;
    if (x == 7)
        return -EDOM;
    *(long *)result = x + 1;
    return 0;
}
MP_TASK(fail_on_7)

/* sleeps its argument in ms, returns it */
static int sleep_ms(const void *arg, void *result)
{
    long ms = *(const long *)arg;
    mp_sleep_ns((uint64_t)ms * 1000000);
    *(long *)result = ms;
    return 0;
}
MP_TASK(sleep_ms)

/* The initializer's value, in each worker (a thread-local: one per thread
 * for a thread pool, one per process for a process pool). */
static _Thread_local long init_value;
static atomic_int *init_calls; /* shared: fork and threads see the same counter */
static void set_init(const void *args, size_t len)
{
    if (len == sizeof(long))
        init_value += *(const long *)args; /* += : twice in one worker would show */
    if (init_calls)
        atomic_fetch_add(init_calls, 1);
}
MP_TASK(set_init)
static int get_init(const void *arg, void *result)
{
    (void)arg;
    *(long *)result = init_value;
    return 0;
}
MP_TASK(get_init)

/* ---- the configurations ---- */

typedef struct config {
    const char *name;
    int backend, start;
} config;
static const config configs[] = {
    {"threads", MP_POOL_THREADS, -1},
    {"fork", MP_POOL_PROCESSES, MP_START_FORK},
    {"spawn", MP_POOL_PROCESSES, MP_START_SPAWN},
    {"forkserver", MP_POOL_PROCESSES, MP_START_FORKSERVER},
};
#define NCONFIGS (sizeof configs / sizeof configs[0])

static mp_pool *make_pool(const config *c, int workers, mp_pool_opts *more)
{
    mp_pool_opts o = more ? *more : mp_pool_defaults(c->backend);
    o.backend = c->backend;
    o.start = c->start;
    o.workers = workers;
    mp_pool *p = NULL;
    int rc = mp_pool_create(&p, &o);
    if (rc != 0)
        fail_msg("%s: mp_pool_create: %d", c->name, rc);
    assert_int_equal(mp_pool_size(p), workers ? workers : mp_cpus_usable());
    return p;
}

static void close_join_free(mp_pool *p)
{
    mp_pool_close(p);
    assert_int_equal(mp_pool_join(p), 0);
    mp_pool_free(p);
}

static int teardown(void **state)
{
    mp_forkserver_stop();
    return teardown_children(state);
}

static void check_no_children(void)
{
    mp_forkserver_stop();
    pid_t kids[16];
    int n = mp_proc_children_of(getpid(), kids, 16, NULL);
    for (int i = 0; i < n && i < 16; i++)
        print_message("left: %d %c\n", (int)kids[i], mp_proc_state(kids[i]));
    assert_no_children();
}

/* ---- the formula ---- */

static void test_chunksize_formula(void **state)
{
    (void)state;
    /* Python: cs, extra = divmod(n, workers * 4); if extra: cs += 1 */
    assert_int_equal(mp_pool_chunksize(100000, 2), 12500);
    assert_int_equal(mp_pool_chunksize(10, 3), 1);
    assert_int_equal(mp_pool_chunksize(13, 1), 4);
    assert_int_equal(mp_pool_chunksize(0, 4), 0);
    assert_int_equal(mp_pool_chunksize(17, 2), 3);
    for (size_t n = 0; n < 3000; n += 7)
        for (int w = 1; w <= 64; w++) {
            size_t cs = n / ((size_t)w * 4), extra = n % ((size_t)w * 4);
            if (extra)
                cs++;
            if (mp_pool_chunksize(n, w) != cs)
                fail_msg("chunksize(%zu, %d) = %zu, Python's formula gives %zu", n, w, mp_pool_chunksize(n, w), cs);
        }
    /* and Python itself, when it is here: its own Pool._map_async arithmetic */
    char py[PATH_MAX];
    if (mp_find_program("python3", py, sizeof py) != 0)
        return;
    char *argv[] = {py, "-c",
                    "for n in (0, 1, 5, 99, 100, 101, 1000, 12345, 100000):\n"
                    "  for w in (1, 2, 3, 7, 16, 61):\n"
                    "    cs, extra = divmod(n, w * 4)\n"
                    "    print(n, w, cs + bool(extra))\n",
                    NULL};
    pid_t pid;
    int fd;
    assert_int_equal(mp_program_start(argv, &pid, &fd), 0);
    FILE *f = fdopen(fd, "r");
    assert_non_null(f);
    size_t n, cs;
    int w, lines = 0;
    while (fscanf(f, "%zu %d %zu", &n, &w, &cs) == 3) {
        if (mp_pool_chunksize(n, w) != cs)
            fail_msg("chunksize(%zu, %d) = %zu, CPython says %zu", n, w, mp_pool_chunksize(n, w), cs);
        lines++;
    }
    fclose(f);
    assert_int_equal(mp_program_wait(pid), 0);
    assert_int_equal(lines, 54);
}

/* ---- every API equals a serial loop, on every configuration ---- */

#define N 200

static void every_api(const config *c)
{
    mp_pool *p = make_pool(c, 2, NULL);
    long args[N], res[N], want[N];
    for (long i = 0; i < N; i++) {
        args[i] = i - 50;
        want[i] = args[i] * args[i];
    }
    /* map, default chunksize and chunksize 1 and 7; info filled */
    size_t chunks[] = {0, 1, 7};
    mp_task_info info[N];
    pid_t workers[8];
    int nworkers = mp_pool_workers(p, workers, 8);
    assert_int_equal(nworkers, 2);
    for (int k = 0; k < 3; k++) {
        memset(res, 0, sizeof res);
        mp_call_opts o = {.chunksize = chunks[k], .info = info};
        assert_int_equal(mp_pool_map(p, square, args, N, sizeof(long), res, sizeof(long), &o), 0);
        assert_memory_equal(res, want, sizeof res);
        for (int i = 0; i < N; i++) {
            assert_int_equal(info[i].err, 0);
            assert_true(info[i].start_ns > 0 && info[i].start_ns <= info[i].end_ns);
            pid_t who = c->backend == MP_POOL_THREADS ? info[i].tid : info[i].pid;
            bool known = false;
            for (int w = 0; w < nworkers; w++)
                known |= who == workers[w];
            if (!known)
                fail_msg("%s: task %d ran in %d, not a worker of the pool", c->name, i, (int)who);
            if (c->backend == MP_POOL_THREADS)
                assert_int_equal(info[i].pid, getpid());
            assert_true(info[i].worker >= 0 && info[i].worker < 2);
        }
    }
    /* starmap */
    pair pairs[N];
    for (long i = 0; i < N; i++)
        pairs[i] = (pair){i, 2 * i};
    assert_int_equal(mp_pool_starmap(p, add_pair, pairs, N, sizeof(pair), res, sizeof(long), NULL), 0);
    for (long i = 0; i < N; i++)
        assert_int_equal(res[i], i * 1000 + 2 * i);
    /* apply, apply_async */
    long x = 12, r = 0;
    assert_int_equal(mp_pool_apply(p, square, &x, sizeof x, &r, sizeof r), 0);
    assert_int_equal(r, 144);
    mp_async *h;
    assert_int_equal(mp_pool_apply_async(p, square, &x, sizeof x, sizeof r, NULL, &h), 0);
    r = 0;
    assert_int_equal(mp_async_get(h, 10, &r), 0);
    assert_int_equal(r, 144);
    assert_true(mp_async_ready(h));
    assert_int_equal(mp_async_successful(h), 1);
    mp_async_free(h);
    /* map_async */
    assert_int_equal(mp_pool_map_async(p, square, args, N, sizeof(long), sizeof(long), NULL, &h), 0);
    assert_int_equal(mp_async_wait(h, 10), 0);
    memset(res, 0, sizeof res);
    assert_int_equal(mp_async_get(h, 0, res), 0);
    assert_memory_equal(res, want, sizeof res);
    mp_async_free(h);
    /* imap: in order; imap_unordered: each item once */
    for (int unordered = 0; unordered < 2; unordered++) {
        mp_imap *it;
        mp_call_opts o = {.chunksize = unordered ? 3 : 0};
        assert_int_equal((unordered ? mp_pool_imap_unordered : mp_pool_imap)(p, square, args, N, sizeof(long),
                                                                             sizeof(long), &o, &it),
                         0);
        bool seen[N] = {0};
        size_t item;
        for (size_t k = 0; k < N; k++) {
            assert_int_equal(mp_imap_next(it, 10, &r, &item), 0);
            assert_true(item < N && !seen[item]);
            seen[item] = true;
            if (!unordered)
                assert_int_equal(item, k);
            assert_int_equal(r, want[item]);
        }
        assert_int_equal(mp_imap_next(it, 10, &r, &item), MP_POOL_END);
        mp_imap_free(it);
    }
    /* empty map */
    assert_int_equal(mp_pool_map(p, square, args, 0, sizeof(long), res, sizeof(long), NULL), 0);
    close_join_free(p);
}

static void test_every_api_threads(void **s) { (void)s; every_api(&configs[0]); check_no_children(); }
static void test_every_api_fork(void **s) { (void)s; every_api(&configs[1]); check_no_children(); }
static void test_every_api_spawn(void **s) { (void)s; every_api(&configs[2]); check_no_children(); }
static void test_every_api_forkserver(void **s) { (void)s; every_api(&configs[3]); check_no_children(); }

/* imap_unordered hands results out as they complete: task 0 waits until
 * every other task is done (threads claim chunks one by one, so the other
 * worker takes them all), so it comes last; imap still gives it first. */
static atomic_int others_done;
static int wait_for_others(const void *arg, void *result)
{
    long i = *(const long *)arg;
    if (i == 0) {
        uint64_t deadline = mp_now_ns() + 10000000000ull;
        while (atomic_load(&others_done) < 19 && mp_now_ns() < deadline)
            mp_sleep_ns(1000000);
    } else {
        atomic_fetch_add(&others_done, 1);
    }
    *(long *)result = i;
    return 0;
}

static void test_unordered_is_completion_order(void **state)
{
    (void)state;
    mp_pool *p = make_pool(&configs[0], 2, NULL);
    long args[20];
    for (long i = 0; i < 20; i++)
        args[i] = i;
    for (int unordered = 0; unordered < 2; unordered++) {
        atomic_store(&others_done, 0);
        mp_imap *it;
        assert_int_equal((unordered ? mp_pool_imap_unordered : mp_pool_imap)(p, wait_for_others, args, 20,
                                                                             sizeof(long), sizeof(long), NULL, &it),
                         0);
        size_t order[20], item;
        long r;
        for (int k = 0; k < 20; k++) {
            assert_int_equal(mp_imap_next(it, 20, &r, &item), 0);
            order[k] = item;
        }
        mp_imap_free(it);
        if (unordered)
            assert_int_equal(order[19], 0); /* the last to complete */
        else
            for (int k = 0; k < 20; k++)
                assert_int_equal(order[k], k);
    }
    close_join_free(p);
}

/* Tasks with no argument and no result (a status only); bad sizes refused. */
static atomic_int side_effects;
static int count_call(const void *arg, void *result)
{
    (void)arg, (void)result;
    atomic_fetch_add(&side_effects, 1);
    return 0;
}

static void test_no_args_no_results(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        mp_pool *p = make_pool(&configs[k], 2, NULL);
        atomic_store(&side_effects, 0);
        assert_int_equal(mp_pool_apply(p, count_call, NULL, 0, NULL, 0), 0);
        assert_int_equal(mp_pool_map(p, count_call, NULL, 10, 0, NULL, 0, NULL), 0);
        if (k == 0)
            assert_int_equal(atomic_load(&side_effects), 11); /* threads share the counter */
        long x = 1;
        assert_int_equal(mp_pool_map(p, square, &x, 1, sizeof x, NULL, sizeof(long), NULL), -EINVAL);
        assert_int_equal(mp_pool_map(p, square, NULL, 1, sizeof x, &x, sizeof x, NULL), -EINVAL);
        close_join_free(p);
    }
    check_no_children();
}

/* ---- failures, timeouts, callbacks ---- */

static void failing_task(const config *c)
{
    mp_pool *p = make_pool(c, 2, NULL);
    long args[20], res[20];
    for (long i = 0; i < 20; i++)
        args[i] = i;
    mp_task_error e;
    mp_task_info info[20];
    mp_call_opts o = {.chunksize = 2, .error = &e, .info = info};
    assert_int_equal(mp_pool_map(p, fail_on_7, args, 20, sizeof(long), res, sizeof(long), &o), -EDOM);
    assert_int_equal(e.err, -EDOM);
    assert_int_equal(e.item, 7);
    assert_int_equal(e.failed, 1);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(info[i].err, i == 7 ? -EDOM : 0);
        if (i != 7)
            assert_int_equal(res[i], i + 1); /* the others went on */
    }
    char text[200];
    mp_task_error_text(&e, text, sizeof text);
    assert_non_null(strstr(text, "task 7"));
    /* imap: the failing item is reported, then the next ones come */
    mp_imap *it;
    assert_int_equal(mp_pool_imap(p, fail_on_7, args, 20, sizeof(long), sizeof(long), NULL, &it), 0);
    for (size_t k = 0; k < 20; k++) {
        size_t item;
        long r;
        assert_int_equal(mp_imap_next(it, 10, &r, &item), k == 7 ? -EDOM : 0);
        assert_int_equal(item, k);
    }
    mp_imap_free(it);
    /* Tasks that succeed after a failure in the same chunk, without info:
     * their statuses are sent too, as 0. A map with info first leaves
     * times where the next chunk's statuses go in each worker's buffer, so
     * a status not written would read as a failure. */
    long big_args[40], big_res[40];
    for (long i = 0; i < 40; i++)
        big_args[i] = i;
    mp_task_info big_info[40];
    mp_call_opts dirty = {.chunksize = 20, .info = big_info}, plain = {.chunksize = 20, .error = &e};
    assert_int_equal(mp_pool_map(p, square, big_args, 40, sizeof(long), big_res, sizeof(long), &dirty), 0);
    assert_int_equal(mp_pool_map(p, fail_on_7, big_args, 40, sizeof(long), big_res, sizeof(long), &plain), -EDOM);
    assert_int_equal(e.item, 7);
    assert_int_equal(e.failed, 1);
    for (int i = 0; i < 40; i++)
        if (i != 7)
            assert_int_equal(big_res[i], i + 1);
    close_join_free(p);
}
static void test_failing_task_threads(void **s) { (void)s; failing_task(&configs[0]); }
static void test_failing_task_fork(void **s) { (void)s; failing_task(&configs[1]); check_no_children(); }

static void timeout_goes_on(const config *c)
{
    mp_pool *p = make_pool(c, 1, NULL);
    long ms = 300, r = 0;
    mp_async *h;
    assert_int_equal(mp_pool_apply_async(p, sleep_ms, &ms, sizeof ms, sizeof r, NULL, &h), 0);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_async_get(h, 0.05, &r), -ETIMEDOUT);
    assert_true(mp_now_ns() - t0 >= 50000000ull); /* a lower bound: it did wait */
    assert_false(mp_async_ready(h));
    assert_int_equal(mp_async_successful(h), -EAGAIN);
    /* the task kept running: the next get has it */
    assert_int_equal(mp_async_get(h, 10, &r), 0);
    assert_int_equal(r, 300);
    mp_async_free(h);
    /* an iterator's next times out too */
    mp_imap *it;
    assert_int_equal(mp_pool_imap(p, sleep_ms, &ms, 1, sizeof ms, sizeof r, NULL, &it), 0);
    assert_int_equal(mp_imap_next(it, 0.02, &r, NULL), -ETIMEDOUT);
    assert_int_equal(mp_imap_next(it, 10, &r, NULL), 0);
    mp_imap_free(it);
    close_join_free(p);
}
static void test_timeout_threads(void **s) { (void)s; timeout_goes_on(&configs[0]); }
static void test_timeout_fork(void **s) { (void)s; timeout_goes_on(&configs[1]); check_no_children(); }

typedef struct calls {
    atomic_int ok, err;
    long sum;
    size_t err_item;
} calls;
static void on_ok(const void *results, size_t n, void *ctx)
{
    calls *c = ctx;
    for (size_t i = 0; i < n; i++)
        c->sum += ((const long *)results)[i];
    atomic_fetch_add(&c->ok, 1);
}
static void on_err(const mp_task_error *e, void *ctx)
{
    calls *c = ctx;
    c->err_item = e->item;
    atomic_fetch_add(&c->err, 1);
}

static void callbacks_once(const config *c)
{
    mp_pool *p = make_pool(c, 2, NULL);
    long args[30];
    for (long i = 0; i < 30; i++)
        args[i] = i;
    calls good = {0}, bad = {0};
    mp_call_opts o = {.chunksize = 1, .callback = on_ok, .error_callback = on_err, .ctx = &good};
    mp_async *h1, *h2;
    assert_int_equal(mp_pool_map_async(p, square, args, 30, sizeof(long), sizeof(long), &o, &h1), 0);
    o.ctx = &bad;
    assert_int_equal(mp_pool_map_async(p, fail_on_7, args, 30, sizeof(long), sizeof(long), &o, &h2), 0);
    assert_int_equal(mp_async_get(h1, 10, NULL), 0);
    assert_int_equal(mp_async_get(h2, 10, NULL), -EDOM);
    /* a callback runs before the handle is ready: both have run by now */
    assert_int_equal(atomic_load(&good.ok), 1);
    assert_int_equal(atomic_load(&good.err), 0);
    long want = 0;
    for (long i = 0; i < 30; i++)
        want += i * i;
    assert_int_equal(good.sum, want);
    assert_int_equal(atomic_load(&bad.ok), 0);
    assert_int_equal(atomic_load(&bad.err), 1);
    assert_int_equal(bad.err_item, 7);
    assert_int_equal(mp_async_successful(h2), 0);
    mp_async_free(h1);
    mp_async_free(h2);
    close_join_free(p);
}
static void test_callbacks_threads(void **s) { (void)s; callbacks_once(&configs[0]); }
static void test_callbacks_fork(void **s) { (void)s; callbacks_once(&configs[1]); check_no_children(); }

/* A callback that terminates its own pool runs in one of the pool's
 * threads, the very ones terminate waits for (it used to wait for itself,
 * forever). Now it asks for the stop and returns, as Python's terminate
 * skips joining the thread it runs in: the other job fails
 * MP_POOL_TERMINATED with nobody calling join, and join from the callback
 * says -EDEADLK instead of waiting. */
typedef struct self_stop {
    mp_pool *p;
    atomic_int armed, returned;
    int join_rc;
} self_stop;
static void terminate_own_pool(const void *results, size_t n, void *ctx)
{
    (void)results;
    (void)n;
    self_stop *s = ctx;
    /* not before the slow job is in (new work on a terminated pool is refused) */
    for (int i = 0; i < 1000 && !atomic_load(&s->armed); i++)
        mp_sleep_ns(10000000);
    mp_pool_terminate(s->p);
    s->join_rc = mp_pool_join(s->p);
    atomic_store(&s->returned, 1);
}

static void callback_terminates(const config *c)
{
    mp_pool *p = make_pool(c, 2, NULL);
    self_stop s = {.p = p};
    long quick[4] = {1, 2, 3, 4}, slow[20], res[4] = {0};
    for (int i = 0; i < 20; i++)
        slow[i] = 500; /* 5 s of work per worker: still running when the quick job's callback comes */
    mp_call_opts o = {.chunksize = 4, .callback = terminate_own_pool, .ctx = &s}, one = {.chunksize = 1};
    mp_async *quick_h, *slow_h;
    assert_int_equal(mp_pool_map_async(p, square, quick, 4, sizeof(long), sizeof(long), &o, &quick_h), 0);
    assert_int_equal(mp_pool_map_async(p, sleep_ms, slow, 20, sizeof(long), sizeof(long), &one, &slow_h), 0);
    atomic_store(&s.armed, 1);
    /* ready once its callback returned */
    assert_int_equal(mp_async_get(quick_h, 10, res), 0);
    assert_int_equal(atomic_load(&s.returned), 1);
    assert_int_equal(s.join_rc, -EDEADLK);
    assert_int_equal(res[3], 16);
    assert_int_equal(mp_async_get(slow_h, 10, NULL), MP_POOL_TERMINATED);
    assert_int_equal(mp_pool_join(p), 0);
    mp_async_free(quick_h);
    mp_async_free(slow_h);
    mp_pool_free(p);
}
static void test_callback_terminates_threads(void **s) { (void)s; callback_terminates(&configs[0]); }
static void test_callback_terminates_fork(void **s) { (void)s; callback_terminates(&configs[1]); check_no_children(); }

/* ---- initializer, maxtasksperchild ---- */

static void initializer_once(const config *c)
{
    mp_shm counter;
    assert_int_equal(mp_shm_create(&counter, "test-pool-init", sizeof(atomic_int)), 0);
    init_calls = counter.p; /* a forked worker writes the parent's counter */
    long initarg = 42;
    mp_pool_opts o = mp_pool_defaults(c->backend);
    o.initializer = set_init;
    o.initargs = &initarg;
    o.initargs_len = sizeof initarg;
    mp_pool *p = make_pool(c, 3, &o);
    long args[60], res[60];
    for (int i = 0; i < 60; i++)
        args[i] = i;
    mp_call_opts co = {.chunksize = 1};
    assert_int_equal(mp_pool_map(p, get_init, args, 60, sizeof(long), res, sizeof(long), &co), 0);
    for (int i = 0; i < 60; i++)
        assert_int_equal(res[i], 42); /* ran, and once: += would show 84 */
    close_join_free(p);
    if (c->start != MP_START_SPAWN && c->start != MP_START_FORKSERVER)
        assert_int_equal(atomic_load(init_calls), 3);
    init_calls = NULL;
    mp_shm_close(&counter);
}
static void test_initializer_threads(void **s) { (void)s; initializer_once(&configs[0]); }
static void test_initializer_fork(void **s) { (void)s; initializer_once(&configs[1]); check_no_children(); }
static void test_initializer_spawn(void **s) { (void)s; initializer_once(&configs[2]); check_no_children(); }

static void maxtasks_replaces(const config *c)
{
    mp_pool_opts o = mp_pool_defaults(c->backend);
    o.maxtasksperchild = 2;
    long initarg = 42; /* every replacement runs the initializer too */
    o.initializer = set_init;
    o.initargs = &initarg;
    o.initargs_len = sizeof initarg;
    mp_pool *p = make_pool(c, 2, &o);
    long args[20], res[20];
    for (int i = 0; i < 20; i++)
        args[i] = i;
    mp_task_info info[20];
    mp_call_opts co = {.chunksize = 1, .info = info};
    assert_int_equal(mp_pool_map(p, get_init, args, 20, sizeof(long), res, sizeof(long), &co), 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(res[i], 42);
    /* no worker ran more than 2 chunks (of one task each) */
    for (int i = 0; i < 20; i++) {
        int same = 0;
        for (int k = 0; k < 20; k++)
            same += c->backend == MP_POOL_THREADS ? info[k].tid == info[i].tid : info[k].pid == info[i].pid;
        if (same > 2)
            fail_msg("%s: worker %d ran %d tasks, maxtasksperchild is 2", c->name, (int)info[i].pid, same);
    }
    assert_true(mp_pool_started(p) >= 10);
    close_join_free(p);
}
static void test_maxtasks_fork(void **s) { (void)s; maxtasks_replaces(&configs[1]); check_no_children(); }

/* Thread ids are reused once a thread is joined, so for threads the test
 * counts starts, not distinct ids. */
static void test_maxtasks_threads(void **s)
{
    (void)s;
    mp_pool_opts o = mp_pool_defaults(MP_POOL_THREADS);
    o.maxtasksperchild = 2;
    mp_pool *p = make_pool(&configs[0], 2, &o);
    long args[20], res[20];
    for (int i = 0; i < 20; i++)
        args[i] = i;
    mp_call_opts co = {.chunksize = 1};
    assert_int_equal(mp_pool_map(p, square, args, 20, sizeof(long), res, sizeof(long), &co), 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(res[i], (long)i * i);
    assert_true(mp_pool_started(p) >= 10);
    close_join_free(p);
}

/* ---- close, terminate, join ---- */

static void close_terminate_join(const config *c)
{
    mp_pool *p = make_pool(c, 2, NULL);
    assert_int_equal(mp_pool_join(p), -EINVAL); /* join before close: Python's ValueError */
    mp_pool_close(p);
    long x = 3, r;
    mp_async *h;
    assert_int_equal(mp_pool_apply(p, square, &x, sizeof x, &r, sizeof r), MP_POOL_CLOSED);
    assert_int_equal(mp_pool_apply_async(p, square, &x, sizeof x, sizeof r, NULL, &h), MP_POOL_CLOSED);
    assert_null(h);
    assert_int_equal(mp_pool_join(p), 0);
    mp_pool_free(p);

    /* close + join waits for the work given before */
    p = make_pool(c, 2, NULL);
    long ms[4] = {100, 100, 100, 100};
    assert_int_equal(mp_pool_map_async(p, sleep_ms, ms, 4, sizeof(long), sizeof(long), NULL, &h), 0);
    mp_pool_close(p);
    assert_int_equal(mp_pool_join(p), 0);
    assert_true(mp_async_ready(h));
    assert_int_equal(mp_async_get(h, 0, NULL), 0);
    mp_async_free(h);
    mp_pool_free(p);

    /* terminate stops work in progress; its results fail as terminated */
    p = make_pool(c, 2, NULL);
    long long_ms[6] = {50, 50, 50, 50, 50, 50};
    if (c->backend == MP_POOL_PROCESSES)
        long_ms[0] = long_ms[1] = 60000; /* killed, never waited for */
    assert_int_equal(mp_pool_map_async(p, sleep_ms, long_ms, 6, sizeof(long), sizeof(long),
                                       &(mp_call_opts){.chunksize = 1}, &h),
                     0);
    mp_sleep_ns(20000000);
    uint64_t t0 = mp_now_ns();
    mp_pool_terminate(p);
    assert_true(mp_now_ns() - t0 < 10000000000ull); /* never a hang */
    assert_int_equal(mp_async_get(h, 10, NULL), MP_POOL_TERMINATED);
    assert_int_equal(mp_pool_join(p), 0);
    mp_async_free(h);
    mp_pool_free(p);
    /* free alone terminates */
    p = make_pool(c, 2, NULL);
    mp_pool_free(p);
}
static void test_close_terminate_threads(void **s) { (void)s; close_terminate_join(&configs[0]); }
static void test_close_terminate_fork(void **s) { (void)s; close_terminate_join(&configs[1]); check_no_children(); }
static void test_close_terminate_forkserver(void **s)
{
    (void)s;
    close_terminate_join(&configs[3]);
    check_no_children();
}

static void test_unregistered_task(void **state)
{
    (void)state;
    mp_pool *p = make_pool(&configs[2], 1, NULL);
    long x = 1, r;
    mp_report_quiet(1);
    assert_int_equal(mp_pool_apply(p, wait_for_others, &x, sizeof x, &r, sizeof r), -ENOENT);
    mp_report_quiet(0);
    close_join_free(p);
    check_no_children();
}

/* imap with a progress bar, its output not a terminal: one summary line. */
static void test_imap_progress_summary(void **state)
{
    (void)state;
    mp_pool *p = make_pool(&configs[1], 2, NULL);
    long args[50], r;
    for (int i = 0; i < 50; i++)
        args[i] = i;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO); /* the bar is drawn on stderr */
    mp_imap *it;
    mp_call_opts o = {.progress = true, .label = "squares"};
    int rc = mp_pool_imap(p, square, args, 50, sizeof(long), sizeof(long), &o, &it);
    int got = 0;
    while (rc == 0 && mp_imap_next(it, 10, &r, NULL) == 0)
        got++;
    if (rc == 0)
        mp_imap_free(it);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fds[1]);
    char out[512];
    ssize_t n = read(fds[0], out, sizeof out - 1);
    close(fds[0]);
    assert_int_equal(rc, 0);
    assert_int_equal(got, 50);
    assert_true(n > 0);
    out[n] = '\0';
    assert_int_equal(count_lines(out), 1);
    assert_true(strncmp(out, "squares: 50/50 (100%) in ", 25) == 0);
    close_join_free(p);
    check_no_children();
}

/* Arguments go through each worker's ring in the shared arena (wrapping
 * round it), or as bytes in the messages when a chunk is bigger than the
 * ring: the same results either way. */
#define BIG 4096
/* n bytes' checksum (unsigned: it wraps, as a checksum should) */
static uint64_t sum31(const unsigned char *b, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = sum * 31 + b[i];
    return sum;
}
static int checksum(const void *arg, void *result)
{
    *(uint64_t *)result = sum31(arg, BIG);
    return 0;
}
MP_TASK(checksum)

static void big_chunks(size_t n, size_t chunksize)
{
    mp_pool *p = make_pool(&configs[1], 2, NULL);
    unsigned char *args = malloc(n * BIG);
    uint64_t *res = calloc(n, sizeof *res), want;
    assert_non_null(args);
    assert_non_null(res);
    for (size_t i = 0; i < n * BIG; i++)
        args[i] = (unsigned char)(i * 7 + i / 4096);
    for (int twice = 0; twice < 2; twice++) {
        memset(res, 0, n * sizeof *res);
        assert_int_equal(mp_pool_map(p, checksum, args, n, BIG, res, sizeof *res, &(mp_call_opts){.chunksize = chunksize}), 0);
        for (size_t i = 0; i < n; i++) {
            checksum(args + i * BIG, &want);
            if (res[i] != want)
                fail_msg("task %zu of %zu (chunks of %zu): wrong result", i, n, chunksize);
        }
    }
    free(args);
    free(res);
    close_join_free(p);
    check_no_children();
}
/* 5 MB chunks: a ring of 16 MiB wraps */
static void test_ring_wraps(void **s) { (void)s; big_chunks(12 * 1200, 1200); }
/* one chunk of 20 MB: over the ring, sent as bytes */
static void test_chunk_over_the_ring(void **s) { (void)s; big_chunks(5000, 5000); }

/* ---- the trace: a span per task in its worker's lane, an arrow from submit ---- */

/* late: tracing is turned on after the workers started (they record the
 * spans the job asks for all the same) */
static void traced(const config *c, bool late)
{
    mp_trace_close();
    assert_int_equal(mp_trace_init(16, 4096), 0);
    mp_trace_enable(!late);
    mp_pool *p = make_pool(c, 2, NULL);
    mp_trace_enable(true);
    pid_t workers[2];
    assert_int_equal(mp_pool_workers(p, workers, 2), 2);
    long args[10], res[10];
    for (int i = 0; i < 10; i++)
        args[i] = i;
    assert_int_equal(mp_pool_map(p, square, args, 10, sizeof(long), res, sizeof(long),
                                 &(mp_call_opts){.chunksize = 1}),
                     0);
    close_join_free(p);
    mp_trace_lane lanes[16];
    int n = mp_trace_lanes(lanes, 16);
    int tasks = 0, starts = 0, ends = 0;
    uint64_t started[64];
    for (int l = 0; l < n; l++) {
        pid_t who = c->backend == MP_POOL_THREADS ? lanes[l].tid : lanes[l].pid;
        bool worker = who == workers[0] || who == workers[1];
        for (uint32_t k = 0; k < lanes[l].count; k++) {
            const mp_event *e = &lanes[l].events[k];
            if (e->kind == MP_EV_BEGIN && strcmp(e->name, "task") == 0) {
                assert_true(worker); /* in a worker's lane */
                tasks++;
            } else if (e->kind == MP_EV_FLOW_START) {
                assert_int_equal(lanes[l].tid, gettid()); /* submitted here */
                uint64_t id = strtoull(e->name, NULL, 10);
                assert_int_equal(id >> 32, getpid()); /* unique across processes */
                assert_true(starts < 64);
                started[starts++] = id;
            }
        }
    }
    for (int l = 0; l < n; l++) { /* every arrow has its start, in any lane order */
        pid_t who = c->backend == MP_POOL_THREADS ? lanes[l].tid : lanes[l].pid;
        for (uint32_t k = 0; k < lanes[l].count; k++) {
            const mp_event *e = &lanes[l].events[k];
            if (e->kind != MP_EV_FLOW_END)
                continue;
            assert_true(who == workers[0] || who == workers[1]);
            uint64_t id = strtoull(e->name, NULL, 10);
            bool found = false;
            for (int k2 = 0; k2 < starts; k2++)
                found |= started[k2] == id;
            assert_true(found);
            ends++;
        }
    }
    assert_int_equal(tasks, 10);
    assert_int_equal(starts, 10); /* one chunk per task: one arrow each */
    assert_int_equal(ends, 10);
    mp_trace_close();
}
static void test_traced_threads(void **s) { (void)s; traced(&configs[0], false); }
static void test_traced_fork(void **s) { (void)s; traced(&configs[1], false); check_no_children(); }
static void test_traced_fork_late(void **s) { (void)s; traced(&configs[1], true); check_no_children(); }

/* ---- a worker killed ---- */

typedef struct killer {
    mp_pool *pool;
    uint64_t delay_ns;
    pid_t victim;
} killer;

static void *kill_one(void *arg)
{
    killer *k = arg;
    mp_sleep_ns(k->delay_ns);
    pid_t ids[8];
    int n = mp_pool_workers(k->pool, ids, 8);
    if (n > 0) {
        k->victim = ids[(size_t)k->delay_ns % (size_t)n];
        kill(k->victim, SIGKILL);
    }
    return NULL;
}

/* A map to run while a worker is killed: n tasks of fn over args (each
 * arg_size bytes, a long result each), in chunks of chunksize; want(arg)
 * is a task's right result. */
typedef struct kill_map {
    mp_task_fn fn;
    const unsigned char *args;
    size_t arg_size, chunksize;
    int n;
    long (*want)(const void *arg);
} kill_map;

/* The map with a worker killed after delay: the map returns (bounded), the
 * tasks that failed are exactly those reported by the dead worker's PID
 * with -9, every other result is right, a replacement was started.
 * Returns how many tasks failed. */
static int map_with_a_kill_of(const config *c, mp_pool *p, const kill_map *m, uint64_t delay_ns)
{
    long *res = calloc((size_t)m->n, sizeof *res);
    mp_task_info *info = calloc((size_t)m->n, sizeof *info);
    assert_non_null(res);
    assert_non_null(info);
    int started = mp_pool_started(p);
    killer k = {p, delay_ns, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, kill_one, &k), 0);
    mp_task_error e;
    mp_call_opts o = {.chunksize = m->chunksize, .info = info, .error = &e};
    uint64_t t0 = mp_now_ns();
    int rc = mp_pool_map(p, m->fn, m->args, (size_t)m->n, m->arg_size, res, sizeof(long), &o);
    uint64_t took = mp_now_ns() - t0;
    pthread_join(t, NULL);
    if (took > 10000000000ull)
        fail_msg("%s: map with a killed worker took %.1f s", c->name, (double)took / 1e9);
    int failed = 0;
    for (int i = 0; i < m->n; i++) {
        if (info[i].err == 0) {
            if (res[i] != m->want(m->args + (size_t)i * m->arg_size))
                fail_msg("%s: task %d of %d came back %ld, not %ld", c->name, i, m->n, res[i],
                         m->want(m->args + (size_t)i * m->arg_size));
            continue;
        }
        failed++;
        assert_int_equal(info[i].err, MP_POOL_WORKER_DIED);
        assert_int_equal(info[i].pid, k.victim);
        assert_int_equal(info[i].exitcode, -SIGKILL);
    }
    if (failed) {
        assert_int_equal(rc, MP_POOL_WORKER_DIED);
        assert_int_equal(e.pid, k.victim);
        assert_int_equal(e.exitcode, -SIGKILL);
        assert_int_equal(e.failed, failed);
    } else {
        assert_int_equal(rc, 0); /* killed between chunks: its unstarted ones ran elsewhere */
    }
    free(res);
    free(info);
    /* the victim is gone and replaced */
    assert_true(pid_gone(k.victim, 10));
    uint64_t deadline = mp_now_ns() + 10000000000ull;
    while (mp_pool_started(p) == started && mp_now_ns() < deadline)
        mp_sleep_ns(1000000);
    assert_true(mp_pool_started(p) > started);
    return failed;
}

static long slept_ms(const void *arg) { return *(const long *)arg; }

/* n tasks of `ms` each, one a chunk. */
static int map_with_a_kill(const config *c, mp_pool *p, int n, long ms, uint64_t delay_ns)
{
    long args[64];
    for (int i = 0; i < n; i++)
        args[i] = ms;
    kill_map m = {sleep_ms, (const unsigned char *)args, sizeof(long), 1, n, slept_ms};
    return map_with_a_kill_of(c, p, &m, delay_ns);
}

static void dead_worker(const config *c, int runs, double budget_s)
{
    mp_pool *p = make_pool(c, 2, NULL);
    mp_report_quiet(1);
    uint64_t end = mp_now_ns() + (uint64_t)(budget_s * 1e9);
    int total_failed = 0, done = 0;
    srand(12345);
    for (int r = 0; r < runs && (r < 2 || mp_now_ns() < end); r++, done++)
        total_failed += map_with_a_kill(c, p, 24, 10, (uint64_t)(rand() % 100 + 1) * 1000000);
    /* the pool still works */
    long args[8] = {1, 2, 3, 4, 5, 6, 7, 8}, res[8];
    assert_int_equal(mp_pool_map(p, square, args, 8, sizeof(long), res, sizeof(long), NULL), 0);
    assert_int_equal(res[7], 64);
    close_join_free(p);
    mp_report_quiet(0); /* once the manager, which reports deaths, is gone */
    print_message("%s: %d runs with a worker killed, %d tasks failed in all\n", c->name, done, total_failed);
}
/* A worker killed in the middle of a long task: the task fails as soon as
 * the worker is gone, not when the task would have ended (60 s). */
static void test_dead_worker_long_task(void **state)
{
    (void)state;
    mp_pool *p = make_pool(&configs[1], 1, NULL);
    long ms = 60000, r;
    mp_async *h;
    assert_int_equal(mp_pool_apply_async(p, sleep_ms, &ms, sizeof ms, sizeof r, NULL, &h), 0);
    pid_t victim;
    assert_int_equal(mp_pool_workers(p, &victim, 1), 1);
    assert_int_equal(mp_async_get(h, 0.1, &r), -ETIMEDOUT); /* it is running */
    mp_report_quiet(1);
    kill(victim, SIGKILL);
    uint64_t t0 = mp_now_ns();
    assert_int_equal(mp_async_get(h, 30, &r), MP_POOL_WORKER_DIED);
    uint64_t took = mp_now_ns() - t0;
    assert_true(took < 10000000000ull); /* the promise is 1 s; 10 s: load cannot fail it */
    print_message("a worker killed in a 60 s task: the task failed %.1f ms later\n", (double)took / 1e6);
    mp_task_error e = mp_async_error(h);
    assert_int_equal(e.pid, victim);
    assert_int_equal(e.exitcode, -SIGKILL);
    char text[200];
    mp_task_error_text(&e, text, sizeof text);
    assert_non_null(strstr(text, "killed by signal 9"));
    mp_async_free(h);
    /* the replacement works */
    long x = 5;
    assert_int_equal(mp_pool_apply(p, square, &x, sizeof x, &r, sizeof r), 0);
    assert_int_equal(r, 25);
    close_join_free(p);
    mp_report_quiet(0); /* once the manager, which reports the death, is gone */
    check_no_children();
}

/* Big chunks (over 64 KiB of arguments and results: the manager sends a
 * worker its next chunk before it copies the results out) with a worker
 * killed at random moments: the same promises, and every result that
 * came back is its own task's (a ring region given back too early, or
 * reused before its results were out, would show as a wrong result). */
typedef struct kilo_arg {
    long x;
    unsigned char bytes[1016];
} kilo_arg;
static long kilo_want(const void *arg)
{
    const kilo_arg *a = arg;
    return (long)((uint64_t)(3 * a->x + 1) + sum31(a->bytes, sizeof a->bytes));
}
static int kilo_task(const void *arg, void *result)
{
    uint64_t until = mp_now_ns() + 20000; /* 20 us: a chunk of 100, 2 ms */
    long r = kilo_want(arg);
    while (mp_now_ns() < until)
        ;
    *(long *)result = r;
    return 0;
}

static void test_dead_worker_big_chunks(void **state)
{
    (void)state;
    enum { KILO_N = 1600, KILO_CHUNK = 100 }; /* 16 chunks of 100 KiB */
    kilo_arg *args = malloc(KILO_N * sizeof *args);
    assert_non_null(args);
    for (int i = 0; i < KILO_N; i++) {
        args[i].x = i;
        for (size_t b = 0; b < sizeof args[i].bytes; b++)
            args[i].bytes[b] = (unsigned char)(i * 7 + b);
    }
    kill_map m = {kilo_task, (const unsigned char *)args, sizeof *args, KILO_CHUNK, KILO_N, kilo_want};
    mp_pool *p = make_pool(&configs[1], 2, NULL);
    mp_report_quiet(1);
    uint64_t end = mp_now_ns() + 2000000000ull;
    int done = 0, total_failed = 0;
    srand(54321);
    for (; done < 200 && (done < 5 || mp_now_ns() < end); done++)
        total_failed += map_with_a_kill_of(&configs[1], p, &m, (uint64_t)(rand() % 16 + 1) * 1000000);
    close_join_free(p);
    mp_report_quiet(0);
    free(args);
    print_message("big chunks: %d runs with a worker killed, %d tasks failed in all\n", done, total_failed);
    check_no_children();
}

static void test_dead_worker_fork(void **s) { (void)s; dead_worker(&configs[1], 1000, 2.0); check_no_children(); }
static void test_dead_worker_spawn(void **s) { (void)s; dead_worker(&configs[2], 2, 0); check_no_children(); }
static void test_dead_worker_forkserver(void **s)
{
    (void)s;
    dead_worker(&configs[3], 2, 0);
    check_no_children();
}

/* Ctrl-C to a program with a process pool leaves no worker running: the
 * workers are registered children, killed and reaped before it dies. */
static void test_sigint_leaves_no_worker(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t helper = fork();
    assert_true(helper >= 0);
    if (helper == 0) {
        close(fds[0]);
        mp_children_forget();
        signal(SIGINT, SIG_DFL); /* cmocka's handlers are not the program's */
        mp_pool *p = NULL;
        mp_pool_opts o = mp_pool_defaults(MP_POOL_PROCESSES);
        o.start = MP_START_FORK;
        o.workers = 2;
        if (mp_pool_create(&p, &o) != 0)
            _exit(3);
        pid_t ids[2];
        if (mp_pool_workers(p, ids, 2) != 2 || mp_write_full(fds[1], ids, sizeof ids) != 0)
            _exit(4);
        for (;;)
            pause();
    }
    close(fds[1]);
    pid_t ids[2];
    assert_int_equal(mp_read_full(fds[0], ids, sizeof ids), 0);
    close(fds[0]);
    kill(helper, SIGINT);
    int st;
    assert_int_equal(waitpid(helper, &st, 0), helper);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
    assert_true(pid_gone(ids[0], 10));
    assert_true(pid_gone(ids[1], 10));
}

/* A program that returns from main() with a process pool still running
 * (no close, no free) ends at once, quietly, its workers stopped: the pool
 * is terminated at exit, as Python's finalizers do. This binary, run with
 * --pool-exit-without-free, is that program (main() below). */
static char self_path[PATH_MAX];

static int exit_without_free(int method)
{
    mp_pool *p;
    mp_pool_opts o = mp_pool_defaults(MP_POOL_PROCESSES);
    o.start = method;
    o.workers = 2;
    if (mp_pool_create(&p, &o) != 0)
        return 2;
    long a[50], r[50];
    for (int i = 0; i < 50; i++)
        a[i] = i;
    if (mp_pool_map(p, square, a, 50, sizeof(long), r, sizeof(long), NULL) != 0)
        return 3;
    pid_t ids[2];
    if (mp_pool_workers(p, ids, 2) != 2)
        return 4;
    printf("%d %d\n", (int)ids[0], (int)ids[1]);
    return 0;
}

static void test_exit_without_free(void **state)
{
    (void)state;
    for (int method = MP_START_FORK; method <= MP_START_FORKSERVER; method++) {
        char *dir = make_tmpdir(), m[16];
        snprintf(m, sizeof m, "%d", method);
        char *argv[] = {self_path, "--pool-exit-without-free", m, NULL};
        assert_int_equal(run_program(argv, dir, 20), 0);
        char *out = read_output(dir, "out.txt"), *err = read_output(dir, "err.txt");
        assert_non_null(out);
        int a = 0, b = 0;
        assert_int_equal(sscanf(out, "%d %d", &a, &b), 2);
        if (err && *err)
            fail_msg("%s: it said on stderr: %s", mp_start_names[method], err);
        assert_true(pid_gone(a, 10));
        assert_true(pid_gone(b, 10));
        free(out);
        free(err);
        rm_tree(dir);
    }
}

/* A task that crashes its worker (SIGSEGV) is the same kind of death. */
static int crash_on_3(const void *arg, void *result)
{
    long x = *(const long *)arg;
    if (x == 3) {
        signal(SIGSEGV, SIG_DFL); /* cmocka's handler came with the fork */
        raise(SIGSEGV);
    }
    *(long *)result = x;
    return 0;
}

static void test_crashing_task(void **state)
{
    (void)state;
    mp_pool *p = make_pool(&configs[1], 2, NULL);
    long args[10], res[10];
    for (int i = 0; i < 10; i++)
        args[i] = i;
    mp_task_error e;
    mp_report_quiet(1);
    mp_task_info info[10];
    int rc = mp_pool_map(p, crash_on_3, args, 10, sizeof(long), res, sizeof(long),
                         &(mp_call_opts){.chunksize = 1, .error = &e, .info = info});
    assert_int_equal(rc, MP_POOL_WORKER_DIED);
    /* task 3 failed, and any other that its worker had started and not
     * reported (a finished result not yet sent is lost with it) */
    assert_true(e.item <= 3);
    assert_int_equal(e.exitcode, -SIGSEGV);
    assert_int_equal(info[3].err, MP_POOL_WORKER_DIED);
    for (int i = 0; i < 10; i++) {
        if (info[i].err == 0)
            assert_int_equal(res[i], i);
        else
            assert_int_equal(info[i].pid, info[3].pid);
    }
    char text[200];
    mp_task_error_text(&e, text, sizeof text);
    assert_non_null(strstr(text, "signal 11"));
    close_join_free(p);
    mp_report_quiet(0); /* once the manager, which reports the death, is gone */
    check_no_children();
}

/* A worker whose initializer dies is replaced, but not in a loop: the
 * replacement waits (0.1 s, then twice as long each time in a row), so a
 * broken initializer costs a few starts a second, not a core. */
static void die_in_init(const void *args, size_t len)
{
    (void)args;
    (void)len;
    _exit(9);
}

static void test_initializer_dies_no_spin(void **state)
{
    (void)state;
    mp_report_quiet(1);
    mp_pool_opts o = mp_pool_defaults(MP_POOL_PROCESSES);
    o.initializer = die_in_init;
    mp_pool *p = make_pool(&configs[1], 1, &o);
    mp_sleep_ns(500000000);
    int started = mp_pool_started(p); /* at 0, 0.1 and 0.3 s: 3 (it was hundreds) */
    mp_pool_free(p);
    mp_report_quiet(0);
    if (started > 10)
        fail_msg("%d workers started in 0.5 s: the manager replaces a dying initializer in a loop", started);
    check_no_children();
}

/* A chunksize bigger than the map is the whole map in one chunk (it made
 * no chunk at all: n + chunksize - 1 wrapped, and the map never ended). */
static void test_chunksize_over_n(void **state)
{
    (void)state;
    for (size_t k = 0; k < 2; k++) {
        const config *c = &configs[k];
        mp_pool *p = make_pool(c, 2, NULL);
        long args[16], res[16];
        for (int i = 0; i < 16; i++)
            args[i] = i;
        mp_async *h;
        mp_call_opts co = {.chunksize = SIZE_MAX};
        assert_int_equal(mp_pool_map_async(p, square, args, 16, sizeof(long), sizeof(long), &co, &h), 0);
        int rc = mp_async_get(h, 20, res);
        mp_async_free(h);
        if (rc != 0) {
            mp_pool_free(p); /* (terminates it) */
            fail_msg("%s: chunksize SIZE_MAX: get = %d", c->name, rc);
        }
        for (int i = 0; i < 16; i++)
            assert_int_equal(res[i], (long)i * i);
        close_join_free(p);
    }
    check_no_children();
}

/* A forked child of a program holding a process pool has a copy of the
 * pool but none of its workers or its manager: using it is an error, not a
 * wait forever; freeing it, or exit() (whose handler terminates the
 * program's pools), leaves the parent's pool alone. */
/* LeakSanitizer's hook: a forked child's exit() finds the buffers the
 * parent's pool threads held at the fork, with no thread left to free
 * them; not leaks of the child's own (read only under ASan). */
static volatile int lsan_off;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) { return lsan_off; }

/* The status of a child that must end within bound_s, or -1 (killed: it hung). */
static int child_status_within(pid_t child, double bound_s)
{
    int st = 0;
    pid_t r = 0;
    for (int i = 0; i < (int)(bound_s * 20) && (r = waitpid(child, &st, WNOHANG)) == 0; i++)
        mp_sleep_ns(50000000);
    if (r != 0)
        return st;
    kill(child, SIGKILL);
    waitpid(child, &st, 0);
    return -1;
}

static void test_forked_child_and_pool(void **state)
{
    (void)state;
    mp_pool *p = make_pool(&configs[1], 2, NULL);
    long args[16], res[16];
    for (int i = 0; i < 16; i++)
        args[i] = i;
    assert_int_equal(mp_pool_map(p, square, args, 16, sizeof(long), res, sizeof(long), NULL), 0);
    int started = mp_pool_started(p);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        mp_children_forget(); /* the registry's own exit handler is not the pool's business */
        lsan_off = 1;
        mp_report_quiet(1);
        int rc = mp_pool_map(p, square, args, 16, sizeof(long), res, sizeof(long), NULL);
        mp_pool_free(p);
        exit(rc == -ECHILD ? 0 : 1); /* exit(): the at-exit handlers run */
    }
    int st = child_status_within(child, 10);
    if (st == -1) {
        mp_pool_free(p);
        fail_msg("the forked child hung in its copy of the pool");
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        mp_pool_free(p);
        fail_msg("the forked child ended with status 0x%x", st);
    }
    /* the parent's pool goes on, with the same workers */
    assert_int_equal(mp_pool_map(p, square, args, 16, sizeof(long), res, sizeof(long), NULL), 0);
    assert_int_equal(res[15], 225);
    assert_int_equal(mp_pool_started(p), started);
    close_join_free(p);
    check_no_children();
}

/* A job the program started before it forked: in the child, get, wait and
 * next say -ECHILD (the job's workers are the parent's: nothing in the child
 * would ever finish it; they used to wait forever), and in the parent the
 * job completes as if nothing happened. */
static void inherited_job(const config *c)
{
    mp_pool *p = make_pool(c, 2, NULL);
    long slow[4] = {300, 300, 300, 300}, res[4] = {0};
    mp_call_opts one = {.chunksize = 1};
    mp_async *h;
    mp_imap *it;
    assert_int_equal(mp_pool_map_async(p, sleep_ms, slow, 4, sizeof(long), sizeof(long), &one, &h), 0);
    assert_int_equal(mp_pool_imap(p, sleep_ms, slow, 4, sizeof(long), sizeof(long), NULL, &it), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        mp_children_forget();
        lsan_off = 1;
        mp_report_quiet(1);
        long r;
        size_t item;
        bool ok = mp_async_get(h, -1, res) == -ECHILD && mp_async_wait(h, -1) == -ECHILD &&
                  mp_imap_next(it, -1, &r, &item) == -ECHILD;
        exit(ok ? 0 : 1);
    }
    int st = child_status_within(child, 10);
    assert_int_equal(mp_async_get(h, 10, res), 0);
    assert_int_equal(res[3], 300);
    for (size_t i = 0; i < 4; i++) {
        long r = 0;
        size_t item = 99;
        assert_int_equal(mp_imap_next(it, 10, &r, &item), 0);
        assert_int_equal(item, i);
        assert_int_equal(r, 300);
    }
    mp_async_free(h);
    mp_imap_free(it);
    close_join_free(p);
    if (st == -1)
        fail_msg("%s: the forked child waited for its copy of the job", c->name);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("%s: the forked child's get / wait / next did not say -ECHILD (status 0x%x)", c->name, st);
}
static void test_inherited_job_threads(void **s) { (void)s; inherited_job(&configs[0]); }
static void test_inherited_job_fork(void **s) { (void)s; inherited_job(&configs[1]); check_no_children(); }

/* A chunk too big for the ring goes as bytes in the message, more than
 * the socket holds: it waits for its worker to be free. Sent to a worker
 * busy with a task that never returns, the manager's send waited for it,
 * and so did terminate, forever. */
static int ignore_arg(const void *arg, void *result)
{
    (void)arg;
    (void)result;
    return 0;
}

typedef struct term_ctx {
    mp_pool *p;
    atomic_bool done;
} term_ctx;
static void *terminate_in_thread(void *arg)
{
    term_ctx *t = arg;
    mp_pool_terminate(t->p);
    atomic_store(&t->done, true);
    return NULL;
}

static void test_terminate_with_big_chunk_waiting(void **state)
{
    (void)state;
    mp_pool *p = make_pool(&configs[1], 1, NULL);
    long ms = 60000; /* "forever": until terminate kills it */
    mp_async *stuck, *big;
    assert_int_equal(mp_pool_apply_async(p, sleep_ms, &ms, sizeof ms, sizeof(long), NULL, &stuck), 0);
    size_t n = 17, size = (size_t)1 << 20; /* 17 MiB in one chunk: over the 16 MiB ring */
    unsigned char *args = calloc(n, size);
    assert_non_null(args);
    assert_int_equal(mp_pool_map_async(p, ignore_arg, args, n, size, 0, &(mp_call_opts){.chunksize = n}, &big), 0);
    free(args); /* copied */
    mp_sleep_ns(300000000); /* the manager hands both out */
    term_ctx t = {.p = p};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, terminate_in_thread, &t), 0);
    for (int i = 0; i < 200 && !atomic_load(&t.done); i++)
        mp_sleep_ns(50000000);
    bool hung = !atomic_load(&t.done);
    if (hung) { /* unblock the manager: its send fails once the worker is gone */
        pid_t id;
        if (mp_pool_workers(p, &id, 1) == 1)
            kill(id, SIGKILL);
    }
    pthread_join(th, NULL);
    if (hung) {
        mp_pool_free(p);
        fail_msg("terminate waited for a worker busy with a task that never returns");
    }
    assert_int_equal(mp_async_get(stuck, 0, NULL), MP_POOL_TERMINATED);
    assert_int_equal(mp_async_get(big, 0, NULL), MP_POOL_TERMINATED);
    mp_async_free(stuck);
    mp_async_free(big);
    mp_pool_free(p);
    check_no_children();
}

/* The manager reads a worker's results until none are left, and for a big
 * chunk (64 KiB or more) it sends that worker its next chunk from inside
 * that read. The read must end with the results of the chunks sent before
 * it began: else it never ends while there is work (the worker answers as
 * fast as it is fed), and the manager sees nothing else -- not the other
 * workers, not a terminate. Chunks of 64 KiB that each take 1.5 ms (over
 * 1 ms: once one came back, none is sent ahead, so the one worker holds
 * a single chunk), one job each; the third job's callback terminates the
 * pool, and from then on each callback takes 3 ms (time for the worker to
 * answer the chunk it was just sent). The terminate is seen once that read
 * is done: no job after the third succeeds, under any load. (The read
 * that went on did all twelve.) */
typedef struct spin_arg {
    long x;
    unsigned char bytes[64 * 1024];
} spin_arg;
static int spin_1500us(const void *arg, void *result)
{
    uint64_t until = mp_now_ns() + 1500000;
    while (mp_now_ns() < until)
        ;
    *(long *)result = ((const spin_arg *)arg)->x;
    return 0;
}
MP_TASK(spin_1500us)

typedef struct stop_at {
    mp_pool *p;
    atomic_int succeeded; /* callbacks so far (the manager's thread) */
} stop_at;
static void terminate_at_third(const void *results, size_t n, void *ctx)
{
    (void)results;
    (void)n;
    stop_at *s = ctx;
    int k = atomic_fetch_add(&s->succeeded, 1) + 1;
    if (k == 3)
        mp_pool_terminate(s->p); /* from a callback: it only asks */
    if (k >= 3)
        mp_sleep_ns(3000000);
}

static void test_terminate_seen_amid_big_chunks(void **state)
{
    (void)state;
    enum { JOBS = 12 };
    mp_pool *p = make_pool(&configs[1], 1, NULL);
    stop_at s = {.p = p};
    spin_arg *arg = calloc(1, sizeof *arg);
    assert_non_null(arg);
    mp_call_opts o = {.callback = terminate_at_third, .ctx = &s};
    mp_async *h[JOBS];
    int submitted = 0;
    for (; submitted < JOBS; submitted++) { /* (a submit after the terminate is refused) */
        arg->x = submitted;
        if (mp_pool_apply_async(p, spin_1500us, arg, sizeof *arg, sizeof(long), &o, &h[submitted]) != 0)
            break;
    }
    free(arg); /* copied */
    assert_true(submitted >= 3); /* (3 only if this thread was held up through 3 chunks of 1.5 ms) */
    int succeeded = 0;
    for (int i = 0; i < submitted; i++) {
        long r = -1;
        int rc = mp_async_get(h[i], 30, &r);
        if (rc == 0) {
            assert_int_equal(r, i);
            succeeded++;
        } else {
            assert_int_equal(rc, MP_POOL_TERMINATED);
        }
        mp_async_free(h[i]);
    }
    assert_int_equal(mp_pool_join(p), 0);
    mp_pool_free(p);
    assert_int_equal(atomic_load(&s.succeeded), succeeded);
    if (succeeded != 3)
        fail_msg("%d jobs of %d succeeded, not 3: the manager went on past the terminate", succeeded, submitted);
    check_no_children();
}

/* ---- tasks sent one at a time go to idle workers ---- */

/* A task that says it started, then holds its worker until the test lets
 * every task go (in shared memory: fork children inherit the mapping), at
 * most 10 s. */
static atomic_int *gate; /* [0]: tasks started, [1]: let them go */
static int held_task(const void *arg, void *result)
{
    (void)arg;
    atomic_fetch_add(&gate[0], 1);
    for (int i = 0; i < 10000 && !atomic_load(&gate[1]); i++)
        mp_sleep_ns(1000000);
    *(long *)result = (long)getpid();
    return 0;
}
MP_TASK(held_task)

/* Python's workers pull tasks from one queue, so a task never waits behind
 * another while a worker is idle. apply_async four times on four workers,
 * each sent once the one before has started and held until all four have:
 * all four start, each in its own worker (the first worker used to be sent
 * the second task too, queued behind the first, which never ended). No
 * timing in it: each wait for a start is bounded by 10 s, and any load
 * passes it. */
static void test_apply_async_spreads_to_idle_workers(void **state)
{
    (void)state;
    mp_shm g;
    assert_int_equal(mp_shm_create(&g, "gate", 2 * sizeof(atomic_int)), 0);
    gate = g.p;
    mp_pool *p = make_pool(&configs[1], 4, NULL);
    mp_async *h[4];
    long arg = 0, pid[4];
    int started = 0;
    for (int i = 0; i < 4 && started == i; i++) {
        /* the next task is sent once the one before has started */
        assert_int_equal(mp_pool_apply_async(p, held_task, &arg, sizeof arg, sizeof(long), NULL, &h[i]), 0);
        for (int t = 0; t < 10000 && atomic_load(&gate[0]) <= i; t++)
            mp_sleep_ns(1000000);
        started = atomic_load(&gate[0]);
    }
    atomic_store(&gate[1], 1);
    for (int i = 0; i < 4 && i < started + 1; i++) {
        assert_int_equal(mp_async_get(h[i], 30, &pid[i]), 0);
        mp_async_free(h[i]);
    }
    close_join_free(p);
    if (started != 4)
        fail_msg("only %d of 4 tasks started on 4 workers: one waited behind another while a worker was idle",
                 started);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < i; k++)
            if (pid[i] == pid[k])
                fail_msg("tasks %d and %d both ran in pid %ld", k, i, pid[i]);
    mp_shm_close(&g);
    check_no_children();
}

/* ---- the shared buffer: a map that copies nothing ---- */

/* result = what the result slot held before + the argument: where results
 * are written in place, the task sees what the caller left there; where
 * they are copied through a ring, it sees the ring's bytes instead (zeros,
 * or an earlier chunk's results: never the caller's 1000000). */
static int add_to_result(const void *arg, void *result)
{
    *(long *)result += *(const long *)arg;
    return 0;
}
MP_TASK(add_to_result)

/* In a pool with a shared buffer, a map whose arguments and results lie in
 * it works in place, on every backend and start method: every result is
 * what the caller left in its slot plus the argument, and the arguments are
 * the caller's own. The same map from private memory is copied, as before:
 * its results are right (the map writes them), and the task saw fresh
 * slots, not the caller's. A pool without the option has no buffer. */
static void shared_in_place(const config *c)
{
    enum { NS = 10000 };
    mp_pool_opts o = mp_pool_defaults(c->backend);
    o.shared_bytes = 2 * NS * sizeof(long);
    mp_pool *p = make_pool(c, 2, &o);
    size_t bytes = 0;
    long *buf = mp_pool_shared(p, &bytes);
    assert_non_null(buf);
    assert_int_equal(bytes, 2 * NS * sizeof(long));
    long *args = buf, *res = buf + NS;
    for (long i = 0; i < NS; i++) {
        assert_int_equal(res[i], 0); /* zeroed at create */
        args[i] = i;
        res[i] = 1000000;
    }
    mp_call_opts co = {.chunksize = 0}; /* the default chunksize */
    assert_int_equal(mp_pool_map(p, add_to_result, args, NS, sizeof(long), res, sizeof(long), &co), 0);
    co.chunksize = 7; /* many small chunks, sent ahead */
    assert_int_equal(mp_pool_map(p, add_to_result, args, NS, sizeof(long), res, sizeof(long), &co), 0);
    for (long i = 0; i < NS; i++) {
        assert_int_equal(args[i], i);
        if (res[i] != 1000000 + 2 * i)
            fail_msg("%s: in place, result %ld is %ld, not %ld", c->name, i, res[i], 1000000 + 2 * i);
    }
    /* arguments in the buffer, results outside: copied, and right */
    long *mine = malloc(NS * sizeof *mine);
    assert_non_null(mine);
    for (long i = 0; i < NS; i++)
        mine[i] = 5;
    assert_int_equal(mp_pool_map(p, square, args, NS, sizeof(long), mine, sizeof(long), NULL), 0);
    for (long i = 0; i < NS; i++)
        assert_int_equal(mine[i], i * i);
    free(mine);
    close_join_free(p);

    p = make_pool(c, 1, NULL);
    assert_null(mp_pool_shared(p, &bytes));
    assert_int_equal(bytes, 0);
    close_join_free(p);
}

static void test_shared_threads(void **s) { (void)s; shared_in_place(&configs[0]); }
static void test_shared_fork(void **s) { (void)s; shared_in_place(&configs[1]); check_no_children(); }
static void test_shared_spawn(void **s) { (void)s; shared_in_place(&configs[2]); check_no_children(); }
static void test_shared_forkserver(void **s) { (void)s; shared_in_place(&configs[3]); check_no_children(); }

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    if (argc == 3 && strcmp(argv[1], "--pool-exit-without-free") == 0)
        return exit_without_free(atoi(argv[2]));
    if (!realpath("/proc/self/exe", self_path))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_apply_async_spreads_to_idle_workers, teardown),
        cmocka_unit_test(test_chunksize_formula),
        cmocka_unit_test_teardown(test_every_api_threads, teardown),
        cmocka_unit_test_teardown(test_every_api_fork, teardown),
        cmocka_unit_test_teardown(test_every_api_spawn, teardown),
        cmocka_unit_test_teardown(test_every_api_forkserver, teardown),
        cmocka_unit_test(test_unordered_is_completion_order),
        cmocka_unit_test_teardown(test_no_args_no_results, teardown),
        cmocka_unit_test(test_failing_task_threads),
        cmocka_unit_test_teardown(test_failing_task_fork, teardown),
        cmocka_unit_test(test_timeout_threads),
        cmocka_unit_test_teardown(test_timeout_fork, teardown),
        cmocka_unit_test(test_callbacks_threads),
        cmocka_unit_test_teardown(test_callbacks_fork, teardown),
        cmocka_unit_test(test_callback_terminates_threads),
        cmocka_unit_test_teardown(test_callback_terminates_fork, teardown),
        cmocka_unit_test(test_initializer_threads),
        cmocka_unit_test_teardown(test_initializer_fork, teardown),
        cmocka_unit_test_teardown(test_initializer_spawn, teardown),
        cmocka_unit_test(test_maxtasks_threads),
        cmocka_unit_test_teardown(test_maxtasks_fork, teardown),
        cmocka_unit_test(test_close_terminate_threads),
        cmocka_unit_test_teardown(test_close_terminate_fork, teardown),
        cmocka_unit_test_teardown(test_close_terminate_forkserver, teardown),
        cmocka_unit_test_teardown(test_unregistered_task, teardown),
        cmocka_unit_test_teardown(test_crashing_task, teardown),
        cmocka_unit_test_teardown(test_initializer_dies_no_spin, teardown),
        cmocka_unit_test_teardown(test_chunksize_over_n, teardown),
        cmocka_unit_test_teardown(test_forked_child_and_pool, teardown),
        cmocka_unit_test(test_inherited_job_threads),
        cmocka_unit_test_teardown(test_inherited_job_fork, teardown),
        cmocka_unit_test_teardown(test_terminate_with_big_chunk_waiting, teardown),
        cmocka_unit_test_teardown(test_terminate_seen_amid_big_chunks, teardown),
        cmocka_unit_test_teardown(test_sigint_leaves_no_worker, teardown),
        cmocka_unit_test_teardown(test_exit_without_free, teardown),
        cmocka_unit_test_teardown(test_imap_progress_summary, teardown),
        cmocka_unit_test_teardown(test_ring_wraps, teardown),
        cmocka_unit_test_teardown(test_chunk_over_the_ring, teardown),
        cmocka_unit_test(test_traced_threads),
        cmocka_unit_test_teardown(test_traced_fork, teardown),
        cmocka_unit_test_teardown(test_traced_fork_late, teardown),
        cmocka_unit_test_teardown(test_dead_worker_long_task, teardown),
        cmocka_unit_test_teardown(test_dead_worker_fork, teardown),
        cmocka_unit_test_teardown(test_dead_worker_big_chunks, teardown),
        cmocka_unit_test_teardown(test_dead_worker_spawn, teardown),
        cmocka_unit_test_teardown(test_dead_worker_forkserver, teardown),
        cmocka_unit_test(test_shared_threads),
        cmocka_unit_test_teardown(test_shared_fork, teardown),
        cmocka_unit_test_teardown(test_shared_spawn, teardown),
        cmocka_unit_test_teardown(test_shared_forkserver, teardown),
    };
    int rc = cmocka_run_group_tests_name("pool", tests, NULL, NULL);
    mp_forkserver_stop();
    return rc;
}
