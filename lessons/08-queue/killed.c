/* Lesson 08, part 6 -- a consumer killed in the middle of a run.
 *
 * Three consumers share a queue; one of them is killed with SIGKILL while
 * items are still flowing: no clean-up, no goodbye, perhaps in the middle
 * of a get. What do the others see? In CPython, a process killed while it
 * holds the queue's lock can leave everyone else waiting forever. The
 * kit's queue is built so that the others carry on (queue.h, "A dead
 * user"): here they must drain the queue, see its end, and every item put
 * must be accounted for -- got by someone, or at most the one item the
 * dead consumer had in its hands. */
#include <signal.h>
#include <stdlib.h>

#include "lesson08.h"

#define CONSUMERS 3
#define VICTIM 1       /* which consumer is killed */
#define PATIENCE_S 30  /* how long the survivors may take to finish: a hang is an error, not a wait */

int steady_consumer(void *arg)
{
    const child_args *a = arg;
    slot *me = child_slot(a);
    mp_queue q;
    child_queue(&q);
    uint32_t i;
    size_t len;
    int rc;
    while ((rc = timed_get(&q, me, &i, sizeof i, &len)) == 0) {
        me->order[me->norder % BOARD_ORDER] = i; /* noted first, then counted */
        me->norder++;
        atomic_fetch_add(&me->got, 1);
        mp_sleep_ns((uint64_t)a->work_us * 1000);
    }
    mp_queue_detach(&q);
    return rc == MP_QUEUE_END ? 0 : 1;
}

void part_killed(mp_lesson *L, killed_result *R)
{
    long n = L->o.quick ? 600 : 2000;
    mp_lesson_part(L, "6. a consumer killed with SIGKILL in the middle of a run");
    board_clear();
    *R = (killed_result){.items = n};
    mp_queue q;
    CHECK(mp_queue_create(&q, 16, sizeof(uint32_t), false));
    mp_process c[CONSUMERS];
    start_children(c, CONSUMERS, "consumer", steady_consumer, 200, mp_queue_fd(&q));
    mp_say("main (pid %d) puts %ld items; consumers pid %d, %d, %d take 200 us each; pid %d will be killed", (int)getpid(),
           n, c[0].pid, c[1].pid, c[2].pid, c[VICTIM].pid);
    bool killed = false;
    uint64_t kill_ns = 0;
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        int rc = mp_queue_put(&q, &i, sizeof i, PATIENCE_S);
        if (rc != 0) {
            mp_error("put of item %u: %s: the consumers stopped taking items", i, strerror(-rc));
            break;
        }
        if (!killed && atomic_load(&B->s[VICTIM].got) >= (uint64_t)n / (4 * CONSUMERS)) {
            CHECK(mp_process_kill(&c[VICTIM]));
            kill_ns = mp_now_ns();
            killed = true;
            mp_say("killed pid %d (SIGKILL) after it had got %lu items", c[VICTIM].pid,
                   (unsigned long)atomic_load(&B->s[VICTIM].got));
        }
    }
    if (!killed) { /* it never got its share: kill it now, the run must still end */
        CHECK(mp_process_kill(&c[VICTIM]));
        kill_ns = mp_now_ns();
    }
    mp_queue_close(&q);
    R->ended = true;
    for (int k = 0; k < CONSUMERS; k++) {
        double left = PATIENCE_S - mp_ns_to_s(mp_now_ns() - kill_ns);
        int rc = mp_process_join(&c[k], left > 0.1 ? left : 0.1);
        if (rc == -ETIMEDOUT) {
            mp_say("pid %d did not end within %d s of the kill: killed too", c[k].pid, PATIENCE_S);
            CHECK(mp_process_kill(&c[k]));
            CHECK(mp_process_join(&c[k], MP_FOREVER));
            R->ended = false;
        } else {
            CHECK(rc);
        }
    }
    R->end_s = mp_ns_to_s(mp_now_ns() - kill_ns);
    R->killed_exitcode = c[VICTIM].exitcode;
    R->lost = mp_queue_lost(&q);

    /* account for every item */
    unsigned char *seen = calloc((size_t)n, 1);
    if (!seen)
        mp_lesson_abort();
    for (int k = 0; k < CONSUMERS; k++) {
        const slot *s = &B->s[k];
        for (uint32_t j = 0; j < s->norder && j < BOARD_ORDER; j++) {
            uint32_t i = s->order[j];
            if (i < n && seen[i]++)
                R->duplicates++;
        }
        if (k == VICTIM)
            R->got_by_killed = s->norder;
        else
            R->got_by_survivors += s->norder;
        double longest = s->longest_wait_ns / 1e9;
        if (k != VICTIM && longest > R->longest_wait_s)
            R->longest_wait_s = longest;
        mp_say("pid %d: exit code %d, got %u items, longest wait in one get %.1f ms%s", c[k].pid, c[k].exitcode,
               s->norder, longest * 1e3,
               k == VICTIM ? " (until it was killed)" : c[k].exitcode == 0 ? "; its gets returned items, then "
                                                                              "MP_QUEUE_END: no error at all" : "");
    }
    for (long i = 0; i < n; i++)
        R->missing += !seen[i];
    free(seen);
    mp_say("the survivors ended %.3f s after the kill; %ld items got by the survivors, %ld by the killed one, %ld "
           "missing, %ld twice; mp_queue_lost() = %llu", R->end_s, R->got_by_survivors, R->got_by_killed, R->missing,
           R->duplicates, (unsigned long long)R->lost);
    mp_queue_detach(&q);
}
