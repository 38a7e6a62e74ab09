/* Lesson 08 -- Queue: many processes, one line of items.
 *
 * The question: a queue is the usual way to hand work between processes
 * (T0, T2): any process holding it may put and get, items come out in the
 * order they went in, and a bound makes a fast producer wait. What does
 * that promise, and what does it cost?
 *   1. T0's basics: maxsize 4, FIFO, qsize, Full and Empty (basics.c);
 *   2. one producer, two competing consumers: who gets which item, and
 *      which order survives (consumers.c);
 *   3. T2's two files: a writer process fed by a queue, stopped by a
 *      sentinel, then by close(); the files checked (dialogues.c);
 *   4. backpressure: a fast producer blocked by a full queue, its depth
 *      over time and its waits on the timeline (backpressure.c);
 *   5. throughput against producers x consumers and item size; the pipe
 *      beside the queue; CPython's Queue and Pipe beside both (speed.c,
 *      cpython.c);
 *   6. a consumer killed mid-run: the others go on (killed.c);
 *   7. JoinableQueue: join() waits for task_done() of every item
 *      (joinable.c).
 * The closing verdicts check each expectation against this run's numbers.
 */
#include <math.h>

#include "lesson08.h"

static const mp_entry entries[] = {MP_ENTRY(basics_child),    MP_ENTRY(competing_consumer), MP_ENTRY(numbered_producer),
                                   MP_ENTRY(reversed_writer), MP_ENTRY(eager_producer),     MP_ENTRY(slow_consumer),
                                   MP_ENTRY(speed_producer),  MP_ENTRY(speed_consumer),     MP_ENTRY(pipe_producer),
                                   MP_ENTRY(pipe_consumer),   MP_ENTRY(steady_consumer),    MP_ENTRY(task_worker),
                                   {0}};

static void speed_verdicts(mp_lesson *L, const speed_result *R)
{
    const rate *q = &R->by_size[T_QUEUE][0], *p = &R->by_size[T_PIPE][0];
    const rate *cq = &R->by_size[T_CPY_QUEUE][0], *cp = &R->by_size[T_CPY_PIPE][0];
    const char *one_cpu = mp_cpus_usable() < 2 ? "only 1 CPU is usable: producer and consumer take turns" : NULL;
    const char *no_py = R->cpython_missing ? R->cpython_missing : one_cpu;
    double sq = mp_spread(&q->per_s), sp = mp_spread(&p->per_s);
    if (R->cpython_missing)
        mp_verdict(L, false, 0, no_py, "the kit's queue moves %.2f M items/s at 64 B, against CPython's Queue",
                   q->per_s.median / 1e6);
    else {
        double k = q->per_s.median / cq->per_s.median;
        mp_verdict(L, k > 1, mp_decisive(k, 1, fmax(sq, mp_spread(&cq->per_s))), one_cpu,
                   "the kit's queue moves %.2f M items/s at 64 B, %.0fx CPython's Queue (%.0f k/s)",
                   q->per_s.median / 1e6, k, cq->per_s.median / 1e3);
    }
    /* T0's claim, checked in both worlds. In C a put is a copy into shared
     * memory, a send a system call: at small items the queue wins. CPython's
     * Queue is a pipe plus a feeder thread, a lock and a semaphore: the Pipe
     * alone does less work per item. */
    double r = p->per_s.median / q->per_s.median;
    mp_verdict(L, r < 1, mp_decisive(r, 1, fmax(sq, sp)), one_cpu,
               "T0's 'pipes are 1.5-2x faster than queues' does not hold for the kit at 64 B: pipe/queue = %.2f (a put "
               "is a copy into shared memory, a send a system call; at 64 KiB, %.2f)", r,
               R->by_size[T_PIPE][SPEED_SIZES - 1].per_s.median / R->by_size[T_QUEUE][SPEED_SIZES - 1].per_s.median);
    if (R->cpython_missing)
        mp_verdict(L, false, 0, no_py, "T0's 'pipes are 1.5-2x faster than queues', in CPython");
    else {
        double rc = cp->per_s.median / cq->per_s.median;
        mp_verdict(L, rc > 1, mp_decisive(rc, 1, fmax(mp_spread(&cp->per_s), mp_spread(&cq->per_s))), one_cpu,
                   "in CPython it does: Pipe/Queue = %.2f at 64 B, %.2f at 64 KiB (T0: 1.5-2)", rc,
                   R->by_size[T_CPY_PIPE][SPEED_SIZES - 1].per_s.median /
                       R->by_size[T_CPY_QUEUE][SPEED_SIZES - 1].per_s.median);
    }
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned child never gets past this line */
    static const mp_unused unused[] = {
        {"workers", "the parts use the tutorials' numbers of processes; --max-workers bounds part 5's sweep"},
        {0}};
    static const mp_cli cli = {
        .prog = "lesson-08",
        .summary = "Queue: FIFO, competing consumers, backpressure, throughput against Pipe, a killed consumer",
        .default_out = "plots/out/08-queue",
        .unused = unused,
        .workers_limit = SPEED_MAX_PC,
        .max_workers_per_cpu = 2,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    board_create();

    basics_result b = {0};
    consumers_result c = {0};
    dialogues_result d = {0};
    backpressure_result bp = {0};
    speed_result s = {0};
    killed_result k = {0};
    joinable_result j = {0};
    part_basics(&L, &b);
    part_consumers(&L, &c);
    part_dialogues(&L, &d);
    part_backpressure(&L, &bp);
    part_speed(&L, &s);
    part_cpython(&L, &s);
    speed_report(&L, &s);
    part_killed(&L, &k);
    part_joinable(&L, &j);

    mp_lesson_verdicts(&L);
    mp_verdict(&L, b.fifo, 0, NULL, "FIFO held: another process got the 4 items in the order they were put");
    mp_verdict(&L, b.full_nowait && b.full_timeout && b.empty_timeout, 0, NULL,
               "Full from put_nowait and from put(timeout), Empty from get(timeout) after %.2f s: Python's exceptions "
               "as statuses", b.waited_s);
    mp_verdict(&L, c.exactly_once && c.each_in_order, 0, NULL,
               "competing consumers: each of %ld items got exactly once (%ld and %ld), each consumer's in put order "
               "(per-producer order held; across consumers, %ld items finished out of order)",
               c.items, c.got[0], c.got[1], c.inversions);
    mp_verdict(&L, d.match[0] && d.match[1], 0, NULL,
               "files match: %ld dialogues, reversed by the writer, nothing lost or out of order, ended by a sentinel "
               "and by close()", d.dialogues);
    mp_verdict(&L, bp.blocked_fraction >= 0.5 && bp.depth_in_range, 0, NULL,
               "backpressure: the producer was blocked %.0f%% of the fast phase, the queue's median depth %.0f of %zu "
               "(then %.0f when the producer slowed down)",
               100 * bp.blocked_fraction, bp.fast_depth, bp.maxsize, bp.slow_depth);
    speed_verdicts(&L, &s);
    mp_verdict(&L, k.ended && k.missing <= 1 && k.duplicates == 0 && k.killed_exitcode == -9, 0, NULL,
               "the killed consumer (exit code %d): the run ended %.2f s later, the others waited at most %.1f ms in "
               "one get, %ld item%s missing (at most 1), mp_queue_lost() = %llu",
               k.killed_exitcode, k.end_s, k.longest_wait_s * 1e3, k.missing, k.missing == 1 ? "" : "s",
               (unsigned long long)k.lost);
    mp_verdict(&L, j.join_rc == 0 && j.done_at_join == j.tasks && j.extra_rc == -EOVERFLOW, 0, NULL,
               "JoinableQueue: join() returned after %.2f s with %ld of %ld tasks done; one task_done() too many "
               "refused", j.join_s, j.done_at_join, j.tasks);
    return mp_lesson_end(&L);
}
