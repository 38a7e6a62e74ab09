/* Lesson 05, part 5 -- a worker killed in the middle of a map.
 *
 * A worker process can die under a pool: the OOM killer, a segfault in a
 * C extension, someone's kill -9. What happens to the map it was part of?
 *  - Python's Pool never notices that the task is lost: it starts a
 *    replacement worker, but map() waits forever for the dead worker's
 *    task (gh-66587, open since 2014).
 *  - concurrent.futures.ProcessPoolExecutor notices, and gives up on
 *    everything: every pending future raises BrokenProcessPool, and the
 *    executor cannot be used again.
 *  - The kit's pool (pool.h) fails exactly the tasks the dead worker had
 *    started, each with MP_POOL_WORKER_DIED naming its PID and signal,
 *    hands its unstarted chunks to the others, starts a replacement, and
 *    every other task completes.
 * Here a map of short sleeping tasks (chunksize 1) runs, the lesson kills
 * one worker with SIGKILL a third of the way through, and then accounts
 * for every task: failed (by whom), right, wrong. */
#include <signal.h>
#include <stdlib.h>

#include "lesson05.h"

#define KILLED_MAX 64

static bool in_list(pid_t pid, const pid_t *list, int n)
{
    for (int i = 0; i < n; i++)
        if (list[i] == pid)
            return true;
    return false;
}

void part_killed(mp_lesson *L, killed_result *R)
{
    int w = L->o.workers < 2 ? 2 : L->o.workers;
    long n = L->o.quick ? 24 : 48, ms = L->o.quick ? 15 : 25;
    mp_lesson_part(L, "5. a worker killed with SIGKILL in the middle of a map");
    *R = (killed_result){.tasks = n};
    mp_pool *p = mp_lesson_pool(MP_POOL_PROCESSES, -1, w, NULL);
    pid_t before[MP_POOL_WORKERS_MAX];
    int nb = mp_pool_workers(p, before, MP_POOL_WORKERS_MAX);
    slow_args args[KILLED_MAX];
    long res[KILLED_MAX];
    mp_task_info info[KILLED_MAX];
    for (long i = 0; i < n; i++) {
        args[i] = (slow_args){i, ms};
        res[i] = -1;
    }
    mp_call_opts o = {.chunksize = 1, .info = info};
    mp_async *h;
    uint64_t called = mp_now_ns();
    CHECK(mp_pool_map_async(p, slow_task, args, (size_t)n, sizeof(slow_args), sizeof(long), &o, &h));
    /* a third of the way through: every worker is in the middle of a task */
    mp_sleep_ns((uint64_t)(n / w) * (uint64_t)ms * 1000000 / 3);
    R->victim = before[0];
    if (kill(R->victim, SIGKILL) != 0)
        mp_syserr("kill", errno);
    uint64_t killed_at = mp_now_ns();
    mp_say("map of %ld tasks (%ld ms each, chunksize 1) on %d workers; killed pid %d (SIGKILL) after %.0f ms", n, ms,
           nb, (int)R->victim, (double)(killed_at - called) / 1e6);
    R->map_rc = mp_async_get(h, 60, res);
    R->ended = R->map_rc != -ETIMEDOUT;
    R->took_s = mp_ns_to_s(mp_now_ns() - killed_at);
    mp_task_error e = mp_async_error(h);
    mp_task_error_text(&e, R->first_error, sizeof R->first_error);
    mp_async_free(h);
    if (!R->ended) {
        mp_error("the map did not end within 60 s of the kill");
        mp_pool_terminate(p);
        mp_pool_free(p);
        return;
    }

    for (long i = 0; i < n; i++) {
        if (info[i].err == MP_POOL_WORKER_DIED) {
            R->failed++;
            R->failed_elsewhere += info[i].pid != R->victim;
            R->exitcode = info[i].exitcode;
            mp_say("task %2ld FAILED: MP_POOL_WORKER_DIED, worker pid %d, exit code %d", i, (int)info[i].pid,
                   info[i].exitcode);
        } else if (info[i].err == 0 && res[i] == 3 * i + 1) {
            R->right++;
        } else {
            R->wrong++;
            mp_say("task %2ld: status %d, result %ld (want %ld)", i, info[i].err, res[i], 3 * i + 1);
        }
    }
    mp_say("map returned %s %.0f ms after the kill: %ld failed (all in pid %d: %s), %ld right, %ld wrong",
           R->map_rc == 0 ? "0" : R->map_rc == MP_POOL_WORKER_DIED ? "MP_POOL_WORKER_DIED" : strerror(-R->map_rc),
           R->took_s * 1e3, R->failed, (int)R->victim, R->failed_elsewhere ? "NO" : "yes", R->right, R->wrong);
    if (R->failed)
        mp_say("mp_task_error_text: %s", R->first_error);
    else
        mp_say("(the kill fell between two tasks: the chunks it held but had not started ran elsewhere)");

    /* the replacement */
    pid_t after[MP_POOL_WORKERS_MAX];
    int na = 0;
    for (int tries = 0; tries < 500; tries++) { /* bounded: 5 s */
        na = mp_pool_workers(p, after, MP_POOL_WORKERS_MAX);
        if (na == nb && !in_list(R->victim, after, na))
            break;
        mp_sleep_ns(10000000);
    }
    for (int i = 0; i < na; i++)
        if (!in_list(after[i], before, nb))
            R->replacement = after[i];
    R->replaced = R->replacement != 0 && !in_list(R->victim, after, na) && mp_pool_started(p) == nb + 1;
    /* and it works: enough tasks that every worker gets some */
    long more = 4L * w;
    slow_args margs[KILLED_MAX];
    mp_task_info minfo[KILLED_MAX];
    long mres[KILLED_MAX];
    for (long i = 0; i < more; i++)
        margs[i] = (slow_args){i, 5};
    mp_call_opts mo = {.chunksize = 1, .info = minfo};
    CHECK(mp_pool_map(p, slow_task, margs, (size_t)more, sizeof(slow_args), mres, sizeof(long), &mo));
    for (long i = 0; i < more; i++)
        R->replacement_ran = R->replacement_ran || (minfo[i].pid == R->replacement && mres[i] == 3 * i + 1);
    mp_say("workers started so far: %d; the replacement is pid %d, and it ran tasks of the next map: %s",
           mp_pool_started(p), (int)R->replacement, R->replacement_ran ? "yes" : "no");
    mp_say("Python's Pool.map would still be waiting for the dead worker's task (gh-66587); "
           "concurrent.futures would have failed all %ld with BrokenProcessPool", n);
    mp_lesson_pool_finish(p);
}
