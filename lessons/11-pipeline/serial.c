/* Lesson 11, part 5 -- the same work in one process: where the pipeline pays.
 *
 * The serial baseline does exactly the stages' work, in order, in this
 * process: each request's preprocessing, and the predictor's cost per
 * batch (of the best batch size from part 2) and per item. No queues, no
 * processes: on one CPU this is the fastest there is; with more, the
 * pipeline runs its stages side by side. */
#include "lesson11.h"

void part_serial(mp_lesson *L, const tradeoff_result *T, serial_result *R)
{
    mp_lesson_part(L, "5. The same workload in one process, serially");
    pipe_cfg c = default_cfg(L);
    c.fixed_us = 1000;
    c.batch = T->batch[T->best];
    c = with_steps(c); /* the very steps the stages were sent */
    R->requests = L->o.quick ? 200 : 600;
    uint64_t pre = c.pre_steps, fixed = c.fixed_steps, per = c.item_steps;
    volatile uint64_t sink = 0;
    uint64_t t0 = mp_now_ns();
    for (long i = 0; i < R->requests; i++) {
        sink += mp_spin(pre, (uint64_t)i);
        if ((i + 1) % c.batch == 0 || i + 1 == R->requests) {
            long n = (i % c.batch) + 1;
            sink += mp_spin(fixed + per * (uint64_t)n, (uint64_t)i);
        }
    }
    R->throughput = (double)R->requests / mp_ns_to_s(mp_now_ns() - t0);
    mp_say("%ld requests in batches of %d, all in this process: %.0f requests/s; the pipeline's best: %.0f "
           "(%.2fx)", R->requests, c.batch, R->throughput, T->by_batch[T->best].throughput,
           T->by_batch[T->best].throughput / R->throughput);
}
