/* Lesson 03, part 4 -- I/O-bound threads: do they speed up under the lock?
 *
 * Yes, because a thread that waits (on the network, a file, a sleep)
 * releases the lock first: Py_BEGIN_ALLOW_THREADS. The waits overlap.
 * A thread that waits while holding the lock -- a C extension that forgets
 * to release it -- stops every other thread for the whole wait.
 */
#include <stdio.h>

#include "lesson03.h"

#define IO_THREADS 4
#define IO_WAIT_MS 20

typedef struct io_job { mp_gil *gil; int waits; bool release; } io_job;

/* for each wait: a little Python work, then time.sleep(0.02) */
static void *io_thread(void *arg)
{
    io_job *j = arg;
    mp_gil_thread t;
    mp_gil_thread_init(j->gil, &t);
    mp_gil_acquire(j->gil, &t);
    for (int i = 0; i < j->waits; i++) {
        for (int k = 0; k < 100; k++)
            mp_gil_tick(j->gil, &t);
        if (j->release)
            mp_gil_begin_blocking(j->gil, &t);
        mp_sleep_ns((uint64_t)IO_WAIT_MS * 1000000u); /* the "network" */
        if (j->release)
            mp_gil_end_blocking(j->gil, &t);
    }
    mp_gil_release(j->gil, &t);
    return NULL;
}

typedef struct io_run { int threads, waits; bool release; long interval_us, check; } io_run;

static void run_io(void *arg)
{
    io_run *r = arg;
    mp_gil gil;
    CHECK(mp_gil_init(&gil, MP_GIL_NEW, (uint64_t)r->interval_us, (uint32_t)r->check));
    io_job j = {&gil, r->waits / r->threads, r->release};
    mp_thread th[IO_THREADS];
    for (int i = 0; i < r->threads; i++) {
        char name[32];
        snprintf(name, sizeof name, "io-thread-%d", i + 1);
        mp_thread_init(&th[i], name, io_thread, &j);
        CHECK(mp_thread_start(&th[i]));
    }
    for (int i = 0; i < r->threads; i++)
        CHECK(mp_thread_join(&th[i], NULL));
    mp_gil_destroy(&gil);
}

void part_io(mp_lesson *L, const settings *s, io_result *R)
{
    int waits = L->o.quick ? 4 : 8;
    mp_lesson_part(L, "4. I/O-bound threads under the new lock: %d waits of %d ms, 1 thread or %d", waits,
                   IO_WAIT_MS, IO_THREADS);
    io_run runs[3] = {{1, waits, true, s->interval_us, s->check},
                      {IO_THREADS, waits, true, s->interval_us, s->check},
                      {IO_THREADS, waits, false, s->interval_us, s->check}};
    const char *names[] = {"sequential", "released", "held"};
    char what[3][48];
    snprintf(what[0], sizeof what[0], "1 thread");
    snprintf(what[1], sizeof what[1], "%d threads, lock released while waiting", IO_THREADS);
    snprintf(what[2], sizeof what[2], "%d threads, lock held while waiting", IO_THREADS);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "io.csv", "setup,threads,median_s,speedup"));
    mp_table t;
    mp_table_header(&t, "run                                    |median s|min s|max s|speedup");
    R->threads = IO_THREADS;
    for (int i = 0; i < 3; i++) {
        CHECK(mp_measure(L->o.repeat, run_io, &runs[i], &R->wall[i], NULL));
        double speedup = R->wall[0].median / R->wall[i].median;
        mp_table_row(&t, "%s|%.3f|%.3f|%.3f|%.2fx", what[i], R->wall[i].median, R->wall[i].min, R->wall[i].max,
                     speedup);
        CHECK(mp_csv_row(&csv, "%s,%d,%.6f,%.4f", names[i], runs[i].threads, R->wall[i].median, speedup));
    }
    CHECK(mp_csv_close(&csv));
    R->released = R->wall[0].median / R->wall[1].median;
    R->held = R->wall[0].median / R->wall[2].median;
    mp_say("the ideal is %dx: %d waits of %d ms spread over %d threads; a thread that sleeps holding the lock "
           "makes the others wait too", IO_THREADS, waits, IO_WAIT_MS, IO_THREADS);
}
