/* lesson: what every lesson program does before, between and after its
 * experiments.
 *
 * Layer 5 (the lesson harness).
 *
 * The shared harness (perfbook's CodeSamples have one too): parse the shared
 * flags, check the --out folder, announce the lesson and the machine, set up
 * the trace; start each part with a heading (and, with --trace, a span on
 * the timeline); close with verdicts computed from the run's own numbers;
 * at the end, write the --trace timeline and tally the verdicts. Plus
 * mp_measure(), the one way lessons time a run: repeat it, keep the median
 * with min and max, wall time and CPU time side by side.
 *
 * A lesson's main() reads as its table of contents:
 *
 *     if (!mp_lesson_begin(&L, &cli, argc, argv, &status)) return status;
 *     part_one(&L); part_two(&L);
 *     mp_lesson_verdicts(&L);
 *     ...mp_verdict() lines...
 *     return mp_lesson_end(&L);
 */
#ifndef MP_LESSON_H
#define MP_LESSON_H

#include <limits.h> /* PATH_MAX: the size of an output path's buffer */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "children.h"
#include "cli.h"
#include "entry.h"
#include "clock.h"
#include "report.h"

typedef struct mp_lesson {
    mp_opts o;
    const mp_cli *cli;
    uint64_t t0;
    char part[96];                 /* the part under way: its span on the timeline */
    int held, failed, unsure, not_here; /* the verdicts so far */
} mp_lesson;

/* true: run the lesson. false: return *status from main (0 after --help; 2
 * after a bad flag or an --out that cannot be written, with one line said). */
bool mp_lesson_begin(mp_lesson *L, const mp_cli *cli, int argc, char **argv, int *status);

/* "== title ==" after a blank line; with --trace, the part is also a span
 * on the main thread's lane, so trace-all shows where each part starts.
 * Returns mp_now_ns() at the start: a lesson that draws a timeline of just
 * this part passes it to mp_trace_write_window(). */
uint64_t mp_lesson_part(mp_lesson *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "== what this machine shows ==": the closing verdicts follow. */
void mp_lesson_verdicts(mp_lesson *L);

/* Returns the exit status for main: 0, or 1 when an output file could not
 * be written (a full disk, say): then it says so instead of "done". */
int mp_lesson_end(mp_lesson *L);

/* Time run(arg) `repeat` times. wall: seconds; cpu (may be NULL): CPU
 * seconds used by this process and the children it reaped during the run. */
int mp_measure(int repeat, void (*run)(void *arg), void *arg, mp_stats *wall, mp_stats *cpu);

/* ---- verdicts: closing lines computed from the run, true on any machine ----
 *
 * How far apart repeated runs were: (max - min) / median. 0.1 means the
 * slowest run took 10% of the median longer than the fastest. One run has
 * no spread (0). */
double mp_spread(const mp_stats *s);
#define MP_SPREAD_LIMIT 0.25 /* wider than this, a comparison of medians proves nothing */

/* A spread that cannot flip a claim does not make it unsure: when the
 * measured ratio clears the claim's threshold by more than the spread
 * (14x where the claim is "at least 2x", with runs 90% apart), the noise
 * cannot change the answer, and this returns 0; otherwise the spread. Pass
 * it to mp_verdict for claims of the form "ratio >= threshold" or
 * "ratio <= threshold". */
double mp_decisive(double ratio, double threshold, double spread);
/* The same for a claim that rests on two comparisons (two ratios, or one
 * ratio between two bounds: pass it twice): the larger of the two. */
double mp_decisive2(double spread, double r1, double t1, double r2, double t2);

typedef enum { MP_HOLDS, MP_FAILS, MP_UNSURE, MP_NOT_HERE } mp_outcome;

/* One closing line: the claim in words with this run's numbers, then
 *   "-- yes" / "-- NO",
 *   "-- can't tell: the runs spread 61% (over 25%), so the medians could say
 *    either; run it again with --repeat 9",
 *   "-- not shown here: <not_here>" (this machine cannot show it, e.g.
 *    "only 1 CPU is usable").
 * holds: what this run's medians say; spread: the widest mp_spread() of the
 * measurements the claim rests on; not_here: NULL, or why the machine cannot
 * show it. Returns the outcome, and mp_lesson_end tallies them. */
mp_outcome mp_verdict(mp_lesson *L, bool holds, double spread, const char *not_here, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Build DIR/NAME into buf (PATH_MAX); -ENAMETOOLONG if it does not fit. */
int mp_out_path(char *buf, size_t len, const char *dir, const char *name);

struct mp_process;
/* Join a worker the lesson cannot do without: wait for it (timeout_s < 0:
 * as long as it takes) and return 0 if it ended with exit code 0;
 * otherwise say which worker ended how ("worker-2 (pid 4242) was killed by
 * signal 9") and stop the lesson (mp_lesson_abort). */
int mp_lesson_join(struct mp_process *p, double timeout_s);

/* A pool for an experiment (mp_pool_create with `more`, or the defaults,
 * and this backend, start method (-1: --start's) and worker count); a
 * failure is reported and stops the lesson. mp_lesson_pool_finish ends it
 * as T4 advises rather than as `with Pool() as p:` does (that ends in
 * terminate): close, then join, so the workers end after the last task. */
struct mp_pool;
struct mp_pool_opts;
struct mp_pool *mp_lesson_pool(int backend, int start, int workers, const struct mp_pool_opts *more);
void mp_lesson_pool_finish(struct mp_pool *p);

/* Start a child for an experiment: target(args) under --start's method
 * (the child gets its own copy of the `len` bytes at args; NULL/0: none),
 * handed the descriptors fds[0..nfds) as its mp_child_fd(0..nfds-1). A
 * failure is reported and stops the lesson. */
void mp_lesson_child(struct mp_process *p, const char *name, mp_target target, const void *args, size_t len,
                     const int *fds, int nfds);

/* Stop the lesson after an error it has reported: kill and reap every child
 * it started (so exiting never waits for a worker that will not end by
 * itself), then exit with status 1. */
_Noreturn void mp_lesson_abort(void);

/* ---- CPython beside the C: a script in the lesson's folder ----
 *
 * Lessons 03, 07 and 08 measure the same thing in the CPython on this
 * machine. mp_python_start runs `python3 ROOT/script ARGS... --repeat R
 * --start S [--quick]` (the lesson's own flags, so both sides repeat alike)
 * as a registered child (a Ctrl-C stops it and its workers too), says the
 * command line, and returns true; or says why not ("skipped: python3 is not
 * installed ...") and returns false with *missing set for a "not shown here"
 * verdict. mp_python_line hands out its output a line at a time (a line
 * "version X" sets py->version instead), NULL at the end; mp_python_end
 * waits for it and returns its exit code. */
typedef struct mp_python {
    FILE *out;
    pid_t pid;
    char version[32];
} mp_python;
bool mp_python_start(const mp_lesson *L, mp_python *py, const char *script, char *const args[],
                     const char **missing);
char *mp_python_line(mp_python *py, char *buf, size_t len);
int mp_python_end(mp_python *py);

/* An always-evaluated check for calls returning 0 or -errno: on failure, one
 * line on stderr naming the call and the error, and the lesson stops
 * (mp_lesson_abort). Never assert() around a call with side effects:
 * -DNDEBUG would remove the call. */
#define CHECK(expr)                                                                  \
    do {                                                                             \
        int check_rc_ = (expr);                                                      \
        if (check_rc_ < 0) {                                                         \
            mp_error("%s failed: %s (%s:%d)", #expr, strerror(-check_rc_),           \
                     __FILE__, __LINE__);                                            \
            mp_lesson_abort();                                                       \
        }                                                                            \
    } while (0)

#endif
