/* Lesson 04, part 4: fork in a program with threads.
 *
 * fork copies memory, locks included, but only the calling thread. A lock
 * another thread held at that moment is copied locked, and the thread that
 * would unlock it does not exist in the child: the child waits forever. */
#include <errno.h>
#include <pthread.h>

#include "lesson04.h"

/* Think of it as malloc's arena lock, a logging lock, a connection pool's. */
static pthread_mutex_t resource = PTHREAD_MUTEX_INITIALIZER;
static atomic_int holding;

static void *holder(void *arg)
{
    double seconds = *(double *)arg;
    pthread_mutex_lock(&resource);
    mp_trace_begin("holding the lock");
    atomic_store(&holding, 1);
    mp_sleep_ns((uint64_t)(seconds * 1e9));
    mp_trace_end("holding the lock");
    pthread_mutex_unlock(&resource);
    return NULL;
}

int use_resource(void *arg)
{
    (void)arg;
    mp_trace_begin("waiting for the lock"); /* with --trace: a forked child's span never ends */
    pthread_mutex_lock(&resource); /* forked: the copy is locked, and its owner does not exist here */
    mp_trace_end("waiting for the lock");
    pthread_mutex_unlock(&resource);
    return 0;
}

void experiment_hazard(mp_lesson *L, hazard_result *H)
{
    double hold = L->o.quick ? 1.0 : 2.0, patience = L->o.quick ? 0.5 : 1.0;
    mp_lesson_part(L, "4. fork while another thread holds a lock: the child takes the lock");
    mp_thread t;
    mp_thread_init(&t, "lock-holder", holder, &hold);
    CHECK(mp_thread_start(&t));
    while (!atomic_load(&holding))
        mp_sleep_ns(1000000);
    mp_say("a helper thread holds a mutex for %.1f s; now each start method starts a child that locks it", hold);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "hazard.csv", "method,outcome,exitcode,waited_s"));
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        mp_process p;
        mp_process_init(&p, "locker", use_resource, NULL);
        p.start = m;
        uint64_t t0 = mp_now_ns();
        CHECK(mp_process_start(&p));
        int rc = mp_process_join(&p, patience);
        bool hung = rc == -ETIMEDOUT;
        if (hung) {
            CHECK(mp_process_kill(&p));
            CHECK(mp_process_join(&p, MP_FOREVER));
        } else {
            CHECK(rc);
        }
        double waited = mp_ns_to_s(mp_now_ns() - t0);
        mp_say("%-10s child %s (exit code %d after %.2f s)%s", mp_start_names[m], hung ? "hung" : "finished",
               p.exitcode, waited,
               hung ? ": the lock was copied locked, and the thread that would unlock it was not copied; killed "
                      "after the timeout (-9: SIGKILL)" : "");
        CHECK(mp_csv_row(&csv, "%s,%s,%d,%.3f", mp_start_names[m], hung ? "hung" : "finished", p.exitcode, waited));
        if (m == MP_START_FORK)
            H->fork_hung = hung;
        else if (m == MP_START_SPAWN)
            H->spawn_finished = !hung && p.exitcode == 0;
        else
            H->forkserver_finished = !hung && p.exitcode == 0;
    }
    CHECK(mp_csv_close(&csv));
    CHECK(mp_thread_join(&t, NULL));
    mp_say("fork copies memory, locks included, but only the calling thread: a lock another thread held stays "
           "locked forever in the child. Python 3.12 warns \"This process is multi-threaded, use of fork() may "
           "lead to deadlocks in the child\", and 3.14 made forkserver the default on Linux.");
}
