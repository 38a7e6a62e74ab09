/* Lesson 08, part 7 -- JoinableQueue: wait until every item is finished.
 *
 * Getting an item is not finishing it. A JoinableQueue counts items put and
 * not yet finished; each worker calls task_done() when it has finished one,
 * and join() waits until the count is back to zero. The producer learns
 * that the work is done, not just that the queue is empty (an empty queue
 * may still have items in the workers' hands). */
#include "lesson08.h"

#define WORKERS 2

int task_worker(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_queue q;
    child_queue(&q);
    uint32_t i;
    size_t len;
    int rc;
    while ((rc = mp_queue_get(&q, &i, sizeof i, &len, -1)) == 0) {
        mp_sleep_ns((uint64_t)a->work_us * 1000); /* the task */
        atomic_fetch_add(&me->done, 1);           /* counted before task_done: join may return right after it */
        CHECK(mp_queue_task_done(&q));
    }
    mp_say("finished %lu tasks", (unsigned long)atomic_load(&me->done));
    mp_queue_detach(&q);
    return rc == MP_QUEUE_END ? 0 : 1;
}

static long done_so_far(void)
{
    long done = 0;
    for (int k = 0; k < WORKERS; k++)
        done += (long)atomic_load(&B->s[k].done);
    return done;
}

void part_joinable(mp_lesson *L, joinable_result *R)
{
    long n = L->o.quick ? 20 : 60;
    mp_lesson_part(L, "7. JoinableQueue: join() returns once task_done() was called for every item");
    board_clear();
    *R = (joinable_result){.tasks = n};
    mp_queue q;
    CHECK(mp_queue_create(&q, 8, sizeof(uint32_t), true));
    mp_process w[WORKERS];
    start_children(w, WORKERS, "worker", task_worker, 5000, mp_queue_fd(&q));
    for (uint32_t i = 0; i < (uint32_t)n; i++)
        CHECK(mp_queue_put(&q, &i, sizeof i, -1));
    mp_say("main (pid %d) put %ld tasks of 5 ms for workers pid %d and %d; the queue holds %zu, %ld finished; "
           "join()...", (int)getpid(), n, w[0].pid, w[1].pid, mp_queue_qsize(&q), done_so_far());
    uint64_t t0 = mp_now_ns();
    R->join_rc = mp_queue_join(&q, 60);
    R->join_s = mp_ns_to_s(mp_now_ns() - t0);
    R->done_at_join = done_so_far();
    mp_say("join() returned %s after %.3f s: %ld of %ld tasks finished", R->join_rc ? strerror(-R->join_rc) : "0",
           R->join_s, R->done_at_join, n);
    R->extra_rc = mp_queue_task_done(&q);
    mp_say("one task_done() too many: %s (Python raises ValueError)",
           R->extra_rc == -EOVERFLOW ? "-EOVERFLOW" : R->extra_rc ? strerror(-R->extra_rc) : "accepted?!");
    mp_queue_close(&q);
    for (int k = 0; k < WORKERS; k++)
        CHECK(mp_lesson_join(&w[k], 60));
    mp_queue_detach(&q);
}
