/* The kit's queue (mp_queue) against the floor: a minimal lock-free
 * single-producer single-consumer ring of 64-byte items in shared memory,
 * both sides busy-polling (written here, 30 lines, no blocking, no close,
 * no crash safety: the fastest thing two processes can do).
 *  - 1 producer process, 1 consumer process, 64-byte items: kit and floor
 *    interleaved, medians compared. Target: the kit at >= 0.5 of the floor.
 *  - 4 producers x 4 consumers against 1 x 1, on the kit alone, all of them
 *    children, interleaved; both timed from a start line that every process
 *    has reached to the last consumer's end of stream (the queue's
 *    throughput, not the cost of starting 8 processes). Target: >= 1.0
 *    (contention must not make the queue slower than one pair).
 *  - CPython's multiprocessing.Queue, 200 000 items of 64 bytes from a child
 *    to the parent, when python3 is here. Target: the kit >= 20x.
 * Where the processes run: with two or more usable CPUs, the k-th process
 * of a run (producers first, then consumers) is pinned to usable CPU
 * k mod N, the floor's and the kit's alike. The floor needs its two sides
 * on two CPUs at once: left to the scheduler, it sometimes gets one CPU for
 * both and crawls (0.1 M items/s here), while the kit, which sleeps, then
 * runs in bursts faster than the floor ever does; either way the ratio
 * would say more about the scheduler than about the queue.
 * Results are items per second (M/s = millions). */
#define _GNU_SOURCE /* sched_setaffinity, cpu_set_t: Linux-specific */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define ITEM 64
#define RING 1024 /* slots, in the floor and the kit alike */
#define ITEMS 2000000

static void die(const char *what)
{
    fprintf(stderr, "bench_queue: %s failed\n", what);
    exit(1);
}

/* ---- placement: the k-th process of a run on usable CPU k mod N ---- */

static cpu_set_t usable; /* this process's CPUs at start */
static int nusable;

static void placement_init(void)
{
    if (sched_getaffinity(0, sizeof usable, &usable) != 0)
        die("sched_getaffinity");
    nusable = CPU_COUNT(&usable);
}

/* Run this process (and so the children it starts next) on the k-th usable
 * CPU; k < 0: on all of them again. With one CPU there is nothing to do. */
static void place(int k)
{
    if (nusable < 2)
        return;
    cpu_set_t one;
    if (k < 0) {
        one = usable;
    } else {
        CPU_ZERO(&one);
        for (int i = 0, seen = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &usable) && seen++ == k % nusable)
                CPU_SET(i, &one);
    }
    if (sched_setaffinity(0, sizeof one, &one) != 0)
        die("sched_setaffinity");
}

/* ---- the floor: an SPSC ring ---- */

typedef struct spsc {
    _Alignas(64) _Atomic uint64_t head; /* items written: the producer's */
    _Alignas(64) _Atomic uint64_t tail; /* items read: the consumer's */
    _Alignas(64) unsigned char slot[RING][ITEM];
} spsc;

static int spsc_producer(void *arg)
{
    spsc *r = arg;
    unsigned char item[ITEM] = {0};
    for (uint64_t i = 0; i < ITEMS; i++) {
        while (i - atomic_load_explicit(&r->tail, memory_order_acquire) >= RING)
            ; /* full */
        memcpy(item, &i, sizeof i);
        memcpy(r->slot[i % RING], item, ITEM);
        atomic_store_explicit(&r->head, i + 1, memory_order_release);
    }
    return 0;
}

static double floor_items_per_s(void)
{
    mp_shm shm;
    if (mp_shm_create(&shm, "bench-spsc", sizeof(spsc)) != 0)
        die("mp_shm_create");
    spsc *r = shm.p;
    mp_process p;
    mp_process_init(&p, "producer", spsc_producer, r);
    place(0);
    uint64_t t0 = mp_now_ns();
    if (mp_process_start(&p) != 0)
        die("start");
    place(1); /* the consumer */
    unsigned char item[ITEM];
    uint64_t sum = 0;
    for (uint64_t i = 0; i < ITEMS; i++) {
        while (atomic_load_explicit(&r->head, memory_order_acquire) == i)
            ; /* empty */
        memcpy(item, r->slot[i % RING], ITEM);
        atomic_store_explicit(&r->tail, i + 1, memory_order_release);
        uint64_t v;
        memcpy(&v, item, sizeof v);
        sum += v;
    }
    double s = mp_ns_to_s(mp_now_ns() - t0);
    if (mp_process_join(&p, MP_FOREVER) != 0 || p.exitcode != 0 || sum != (uint64_t)ITEMS * (ITEMS - 1) / 2)
        die("the floor's run");
    place(-1);
    mp_shm_close(&shm);
    return ITEMS / s;
}

/* ---- the kit ---- */

typedef struct share {
    mp_queue *q;
    uint64_t items;
    struct start_line *line; /* the many-process runs' (NULL in the 1x1 with the parent) */
} share;

/* The many-process runs are timed as perfbook's harness times them: from a
 * start line that every process has reached (so the 1x1 and the 4x4 pay no
 * process start-up in their time: 8 starts would be 1-6% of a run) to the
 * last consumer's end of stream. The last producer to finish closes the
 * queue, so no join of the parent's stands in the measured time either. */
struct start_line {
    _Atomic int ready, go, producers_left;
    _Atomic uint64_t end_ns; /* the latest consumer's end */
};

static void wait_at_line(struct start_line *l)
{
    atomic_fetch_add(&l->ready, 1);
    while (!atomic_load(&l->go))
        sched_yield(); /* 8 processes on 2 CPUs: let the others reach the line */
}

static int kit_producer(void *arg)
{
    share *s = arg;
    unsigned char item[ITEM] = {0};
    if (s->line)
        wait_at_line(s->line);
    for (uint64_t i = 0; i < s->items; i++) {
        memcpy(item, &i, sizeof i);
        if (mp_queue_put(s->q, item, ITEM, MP_FOREVER) != 0)
            return 2;
    }
    if (s->line && atomic_fetch_sub(&s->line->producers_left, 1) == 1)
        mp_queue_close(s->q);
    return 0;
}

static int kit_consumer(void *arg)
{
    share *s = arg;
    unsigned char item[ITEM];
    size_t len;
    int r;
    wait_at_line(s->line);
    while ((r = mp_queue_get(s->q, item, ITEM, &len, MP_FOREVER)) == 0)
        ;
    uint64_t now = mp_now_ns(), seen = atomic_load(&s->line->end_ns);
    while (now > seen && !atomic_compare_exchange_weak(&s->line->end_ns, &seen, now))
        ;
    return r == MP_QUEUE_END ? 0 : 2;
}

/* 1 x 1 with the parent as the consumer, timed as the floor is. */
static double kit_items_per_s(void)
{
    mp_queue q;
    if (mp_queue_create(&q, RING, ITEM, false) != 0)
        die("mp_queue_create");
    share s = {&q, ITEMS, NULL};
    mp_process p;
    mp_process_init(&p, "producer", kit_producer, &s);
    place(0);
    uint64_t t0 = mp_now_ns();
    if (mp_process_start(&p) != 0)
        die("start");
    place(1); /* the consumer */
    unsigned char item[ITEM];
    uint64_t sum = 0;
    for (uint64_t i = 0; i < ITEMS; i++) {
        size_t len;
        if (mp_queue_get(&q, item, ITEM, &len, MP_FOREVER) != 0)
            die("get");
        uint64_t v;
        memcpy(&v, item, sizeof v);
        sum += v;
    }
    double sec = mp_ns_to_s(mp_now_ns() - t0);
    if (mp_process_join(&p, MP_FOREVER) != 0 || p.exitcode != 0 || sum != (uint64_t)ITEMS * (ITEMS - 1) / 2)
        die("the kit's run");
    place(-1);
    mp_queue_detach(&q);
    return ITEMS / sec;
}

/* n producers and n consumers, all children; ITEMS in all, timed from the
 * start line to the last end of stream. */
static double kit_many_items_per_s(int n)
{
    mp_queue q;
    mp_shm shm;
    if (mp_queue_create(&q, RING, ITEM, false) != 0)
        die("mp_queue_create");
    if (mp_shm_create(&shm, "bench-start-line", sizeof(struct start_line)) != 0)
        die("mp_shm_create");
    struct start_line *line = shm.p;
    atomic_store(&line->producers_left, n);
    share s = {&q, ITEMS / (uint64_t)n, line};
    mp_process p[16];
    for (int i = 0; i < 2 * n; i++) {
        mp_process_init(&p[i], i < n ? "producer" : "consumer", i < n ? kit_producer : kit_consumer, &s);
        place(i);
        if (mp_process_start(&p[i]) != 0)
            die("start");
    }
    place(-1);
    while (atomic_load(&line->ready) < 2 * n)
        sched_yield();
    uint64_t t0 = mp_now_ns();
    atomic_store(&line->go, 1);
    for (int i = 0; i < 2 * n; i++)
        if (mp_process_join(&p[i], MP_FOREVER) != 0 || p[i].exitcode != 0)
            die(i < n ? "producer" : "consumer");
    double sec = mp_ns_to_s(atomic_load(&line->end_ns) - t0);
    mp_shm_close(&shm);
    mp_queue_detach(&q);
    return (double)(s.items * (uint64_t)n) / sec;
}

/* ---- CPython ---- */

static const char python_script[] =
    "import multiprocessing as mp, time\n"
    "def produce(q, n):\n"
    "    b = b'x' * 64\n"
    "    for i in range(n): q.put(b)\n"
    "if __name__ == '__main__':\n"
    "    ctx = mp.get_context('fork')\n"
    "    n = 200000; q = ctx.Queue(1024)\n"
    "    p = ctx.Process(target=produce, args=(q, n))\n"
    "    t = time.perf_counter(); p.start()\n"
    "    for i in range(n): q.get()\n"
    "    dt = time.perf_counter() - t; p.join()\n"
    "    print(n / dt)\n";

static void show(const char *what, const double *v, int n)
{
    mp_stats st;
    mp_stats_of(v, (size_t)n, &st);
    printf("%-34s median %6.2f M items/s  (min %.2f, max %.2f)\n", what, st.median / 1e6, st.min / 1e6,
           st.max / 1e6);
}

static double median(const double *v, int n)
{
    mp_stats st;
    mp_stats_of(v, (size_t)n, &st);
    return st.median;
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, NULL);
    placement_init();
    enum { REPEATS = 5 };
    printf("queue: %d items of %d bytes, ring of %d, %d repeats interleaved\n", ITEMS, ITEM, RING, REPEATS);
    if (nusable >= 2)
        printf("process k of each run pinned to usable CPU k mod %d (producers first)\n", nusable);
    else
        printf("one usable CPU: nothing pinned (the floor's two sides take turns on it)\n");

    double kit[REPEATS], flr[REPEATS];
    kit_items_per_s(), floor_items_per_s(); /* warm up */
    for (int i = 0; i < REPEATS; i++) {
        kit[i] = kit_items_per_s();
        flr[i] = floor_items_per_s();
    }
    show("SPSC ring (the floor), 1P1C", flr, REPEATS);
    show("mp_queue, 1P1C", kit, REPEATS);
    double ratio = median(kit, REPEATS) / median(flr, REPEATS);
    printf("%-34s %.2f  (target >= 0.5: %s)\n", "mp_queue / floor", ratio, ratio >= 0.5 ? "met" : "MISSED");

    double one[REPEATS], four[REPEATS];
    for (int i = 0; i < REPEATS; i++) {
        one[i] = kit_many_items_per_s(1);
        four[i] = kit_many_items_per_s(4);
    }
    show("mp_queue, 1P1C (from a start line)", one, REPEATS);
    show("mp_queue, 4P4C (from a start line)", four, REPEATS);
    double scale = median(four, REPEATS) / median(one, REPEATS);
    printf("%-34s %.2f  (target >= 1.0: %s)\n", "4P4C / 1P1C", scale, scale >= 1.0 ? "met" : "MISSED");

    double py = bench_python_number(python_script); /* items/s, or 0 */
    if (py > 0) {
        printf("%-34s %9.3f M items/s\n", "CPython multiprocessing.Queue", py / 1e6);
        double x = median(kit, REPEATS) / py;
        printf("%-34s %.1fx  (target >= 20: %s)\n", "mp_queue / CPython", x, x >= 20 ? "met" : "MISSED");
    } else {
        printf("CPython multiprocessing.Queue: not measured (no python3, or it failed)\n");
    }
    return 0;
}
