/* lesson: what every lesson program does before and after its experiments.
 *
 * The shared harness (perfbook's CodeSamples have one too): parse the shared
 * flags, create the --out folder, announce the lesson and the machine, set
 * up the trace; at the end, write the --trace timeline and say where the
 * data went. Plus mp_measure(), the one way lessons time a run: repeat it,
 * keep the median with min and max, wall time and CPU time side by side.
 */
#ifndef MP_LESSON_H
#define MP_LESSON_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "report.h"

typedef struct mp_lesson {
    mp_opts o;
    const mp_cli *cli;
    uint64_t t0;
} mp_lesson;

/* true: run the lesson. false: return *status from main (help or bad flag). */
bool mp_lesson_begin(mp_lesson *L, const mp_cli *cli, int argc, char **argv, int *status);
/* Returns the exit status for main: 0. */
int mp_lesson_end(mp_lesson *L);

/* Time run(arg) `repeat` times. wall: seconds; cpu (may be NULL): CPU
 * seconds used by this process and the children it reaped during the run. */
int mp_measure(int repeat, void (*run)(void *arg), void *arg, mp_stats *wall, mp_stats *cpu);

/* An always-evaluated check for calls returning 0 or -errno: on failure, one
 * line naming the call and the error, and the lesson stops (status 1). Never
 * assert() around a call with side effects: -DNDEBUG would remove the call. */
#define CHECK(expr)                                                                  \
    do {                                                                             \
        int check_rc_ = (expr);                                                      \
        if (check_rc_ < 0) {                                                         \
            mp_say("error: %s failed: %s (%s:%d)", #expr, strerror(-check_rc_),      \
                   __FILE__, __LINE__);                                              \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#endif
