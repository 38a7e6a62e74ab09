/* Lesson 03, part 5 -- who holds the lock, when?
 *
 * The countdown again, recorded: each thread's stretches of holding the lock
 * are spans on a timeline. The new lock hands it over every switch interval;
 * the old one thousands of times a second, so its timeline shows a window
 * of a few milliseconds, short enough to see single slices (the title says
 * which); no lock, both threads run at once.
 */
#include <stdio.h>

#include "lesson03.h"

#define SLICES_SHOWN 30 /* about this many hand-overs in a window */

static const char *const lock_names[] = {"no lock", "old lock", "new lock"}; /* by mp_gil_mode */

void part_timelines(mp_lesson *L, const settings *s)
{
    uint64_t each = mp_gil_ticks_for(L->o.quick ? 0.02 : 0.04) / (uint64_t)s->threads;
    mp_lesson_part(L, "5. who holds the lock: %d threads, %llu ticks each, recorded", s->threads,
                   (unsigned long long)each);
    for (int m = MP_GIL_NONE; m <= MP_GIL_NEW; m++) {
        if (s->mode != 3 && s->mode != m)
            continue;
        lock_job j = job_for(s, (mp_gil_mode)m, s->threads, each);
        lock_result r;
        uint64_t dropped = mp_trace_count().dropped;
        uint64_t t0 = mp_now_ns();
        mp_trace_enable(true);
        threads_under_lock(&j, &r);
        mp_trace_enable(L->o.trace);
        uint64_t t1 = mp_now_ns(), run = t1 - t0;
        /* the whole run, or a window with about SLICES_SHOWN hand-overs:
         * thousands of slices in one picture would merge into solid bars, as
         * if both threads held the lock at once. A quarter into the run:
         * past the start, and before the end, where a thread that records
         * very many slices could have filled its part of the trace. */
        uint64_t from = t0, to = t1;
        if (r.k.handoffs > SLICES_SHOWN) {
            uint64_t len = run / r.k.handoffs * SLICES_SHOWN;
            from = t0 + run / 4;
            to = from + len;
        }
        char stem[32], window[96], title[200];
        snprintf(stem, sizeof stem, "timeline-%s", mp_gil_mode_names[m]);
        if (from == t0)
            snprintf(window, sizeof window, "the whole run, %.1f ms", run / 1e6);
        else
            snprintf(window, sizeof window, "ms %.2f to %.2f of %.1f", (from - t0) / 1e6, (to - t0) / 1e6, run / 1e6);
        snprintf(title, sizeof title, "lesson 03: who holds the lock, %s, %d threads: %s (%llu hand-overs in all)",
                 lock_names[m], s->threads, window, (unsigned long long)r.k.handoffs);
        mp_say("%s: %.1f ms, %llu hand-overs, %llu wake-ups of which %llu failed; the timeline shows %s",
               lock_names[m], run / 1e6, (unsigned long long)r.k.handoffs, (unsigned long long)r.k.wakeups,
               (unsigned long long)r.k.failed_wakeups, window);
        if (mp_trace_count().dropped > dropped)
            mp_say("some of this run's events did not fit in the trace: its timeline has gaps");
        mp_trace_write_window(L->o.out, stem, title, from, to, L->o.no_plot);
    }
}
