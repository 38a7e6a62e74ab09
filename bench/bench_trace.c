/* The cost of recording one trace event, against the clock read it cannot
 * avoid. Target: at most 100 ns an event. */
#include "bench.h"

enum { EVENTS = 1 << 20 };

static void record_many(void *arg)
{
    (void)arg;
    mp_trace_reset();
    for (int i = 0; i < EVENTS / 2; i++) {
        mp_trace_begin("task");
        mp_trace_end("task");
    }
}

static void clock_many(void *arg)
{
    volatile uint64_t *sink = arg;
    for (int i = 0; i < EVENTS; i++)
        *sink = mp_now_ns();
}

int main(void)
{
    if (mp_trace_init(4, EVENTS) != 0)
        return 1;
    mp_trace_enable(true);
    volatile uint64_t sink;
    double rec[BENCH_REPEATS], clk[BENCH_REPEATS];
    record_many(NULL);
    for (int i = 0; i < BENCH_REPEATS; i++) {
        rec[i] = bench_ns_per_call(record_many, NULL, 1) / EVENTS;
        clk[i] = bench_ns_per_call(clock_many, (void *)&sink, 1) / EVENTS;
    }
    mp_trace_counts c = mp_trace_count();
    mp_stats r, k;
    mp_stats_of(rec, BENCH_REPEATS, &r);
    mp_stats_of(clk, BENCH_REPEATS, &k);
    printf("%-34s %6.1f ns/event (clock read alone %.1f ns; %llu events kept, %llu dropped)  "
           "(target <= 100 ns: %s)\n",
           "trace event", r.median, k.median, (unsigned long long)c.events, (unsigned long long)c.dropped,
           r.median <= 100 ? "met" : "MISSED");
    mp_trace_close();
    return 0;
}
