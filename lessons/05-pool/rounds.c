/* Lesson 05, part 2 -- T0's example: 4 one-second tasks on 3 workers.
 *
 * T0's func2 takes one tuple (x, y), sleeps 1 s and returns x - y;
 * Pool(3).map(func2, [(1,1), (9,9), (4,4), (3,3)]) prints [0, 0, 0, 0] and
 * "TimeUsed 2.0 s". Why 2 and not 1.33 (4 s of work / 3 workers)? A task
 * is not divisible: three workers take one task each, and the fourth task
 * waits for a free worker -- two rounds. The timeline (tasks.csv, and
 * t0-timeline.png, drawn from mp_task_info) shows it: three bars side by side, then one alone.
 * (map's default chunksize here is 1: divmod(4, 3 * 4) = (0, 4), plus one.)
 * With --quick each task sleeps 0.1 s instead of 1 s: the same two rounds. */
#include "lesson05.h"

#define T0_TASKS 4
#define T0_WORKERS 3

void part_rounds(mp_lesson *L, rounds_result *R)
{
    long ms = L->o.quick ? 100 : 1000;
    mp_lesson_part(L, "2. T0's example: func2((x, y)) sleeps %.1f s, 4 inputs on 3 workers", ms / 1e3);
    *R = (rounds_result){.task_s = ms / 1e3};
    t0_args args[T0_TASKS] = {{1, 1, ms}, {9, 9, ms}, {4, 4, ms}, {3, 3, ms}};
    long out[T0_TASKS] = {-1, -1, -1, -1};
    mp_task_info info[T0_TASKS];
    mp_pool *p = mp_lesson_pool(MP_POOL_PROCESSES, -1, T0_WORKERS, NULL);
    pid_t pids[T0_WORKERS];
    mp_pool_workers(p, pids, T0_WORKERS);
    mp_say("Pool(3): workers pid %d, %d, %d; map(func2, [(1,1), (9,9), (4,4), (3,3)]), chunksize %zu%s", (int)pids[0],
           (int)pids[1], (int)pids[2], mp_pool_chunksize(T0_TASKS, T0_WORKERS),
           L->o.quick ? " (--quick: 0.1 s per task, not T0's 1 s)" : "");
    uint64_t t0 = mp_now_ns();
    mp_call_opts o = {.info = info};
    CHECK(mp_pool_map(p, t0_task, args, T0_TASKS, sizeof(t0_args), out, sizeof(long), &o));
    uint64_t t1 = mp_now_ns();
    mp_lesson_pool_finish(p);

    R->total_s = mp_ns_to_s(t1 - t0);
    R->ratio = R->total_s / R->task_s;
    R->outputs_right = true;
    for (int i = 0; i < T0_TASKS; i++) {
        R->out[i] = out[i];
        R->outputs_right = R->outputs_right && out[i] == args[i].x - args[i].y;
    }
    mp_say("outputs [%ld, %ld, %ld, %ld] (T0: [0, 0, 0, 0]); TimeUsed %.2f s = %.2f x one task (T0: 2.0 s)", out[0],
           out[1], out[2], out[3], R->total_s, R->ratio);
    /* the schedule: each task's round is its place on its worker */
    for (int i = 0; i < T0_TASKS; i++) {
        int round = 1;
        for (int k = 0; k < T0_TASKS; k++)
            if (k != i && info[k].pid == info[i].pid && info[k].start_ns < info[i].start_ns)
                round++;
        mp_say("task %d %-7s ran in pid %d from %6.3f s to %6.3f s: round %d", i,
               i == 0 ? "(1,1)" : i == 1 ? "(9,9)" : i == 2 ? "(4,4)" : "(3,3)", (int)info[i].pid,
               mp_ns_to_s(info[i].start_ns - t0), mp_ns_to_s(info[i].end_ns - t0), round);
    }
    pid_t who[T0_TASKS];
    int counts[T0_TASKS];
    R->workers_used = tasks_per_worker(info, T0_TASKS, who, counts, T0_TASKS);
    for (int k = 0; k < R->workers_used; k++)
        if (counts[k] > R->most_on_one)
            R->most_on_one = counts[k];
    mp_say("%d workers ran the 4 tasks, one of them %d: %d rounds of %.1f s, and %.0f%% of the workers' time idle in "
           "the second", R->workers_used, R->most_on_one, R->most_on_one, R->task_s,
           100.0 * (T0_WORKERS - 1) / T0_WORKERS);
    task_rows("t0", info, T0_TASKS, t0);
    mp_stats s = {R->total_s, R->total_s, R->total_s, 1};
    pool_row("t0", mp_pool_backend_name(MP_POOL_PROCESSES, mp_get_start_method()), T0_WORKERS, T0_TASKS,
             mp_pool_chunksize(T0_TASKS, T0_WORKERS), &s);
    task_gantt(L, "t0-timeline", "lesson 05: T0's 4 tasks on 3 workers: two rounds (bars: tasks 0-3)", info,
               T0_TASKS, 0, true);
}
