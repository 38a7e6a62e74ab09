/* Lesson 02's puzzle: Amdahl's law. A fraction s of a program's work is
 * serial (it cannot be shared out); the rest divides evenly among n
 * workers. What speedup can n workers give at best?
 *
 *     T(n) = s + (1 - s) / n     (T(1) = 1)     so   speedup = 1 / (s + (1 - s) / n)
 *
 * and however many workers, never more than 1 / s. --solve also runs such a
 * program on this machine: busy work (lib/work's mp_spin) with s of it on
 * one thread and the rest split among n threads (C threads: no GIL), and
 * shows the measured speedup beside the formula's. */
#include <stdlib.h>

#include "amdahl.h"
#include "mp.h"

static double speedup(const amdahl_state *st) { return mp_amdahl_speedup(st->serial_pct / 100.0, st->workers); }

static void make(void *state, unsigned long seed)
{
    static const int pcts[] = {2, 5, 10, 15, 20, 25, 30, 40, 50};
    static const int workers[] = {2, 3, 4, 6, 8, 16, 32, 64};
    amdahl_state *st = state;
    puzzle_rng r = puzzle_rng_seeded(seed, "amdahl");
    st->serial_pct = pcts[puzzle_rng_range(&r, 0, (int)(sizeof pcts / sizeof pcts[0]) - 1)];
    st->workers = workers[puzzle_rng_range(&r, 0, (int)(sizeof workers / sizeof workers[0]) - 1)];
}

static void problem(const void *state, FILE *out)
{
    const amdahl_state *st = state;
    fprintf(out, "A program takes 10 s on one worker. %d%% of its work is serial: it runs on one worker\n"
                 "whatever happens (reading the input, combining the results). The other %d%% splits evenly\n"
                 "into as many parts as there are workers, with no cost for splitting.\n\n",
            st->serial_pct, 100 - st->serial_pct);
    fprintf(out, "What speedup (time on 1 worker / time on %d) can %d workers give at best?\n", st->workers,
            st->workers);
}

static int check(const void *state, const char *answer)
{
    return puzzle_check_double(answer, speedup(state), 0.02); /* within 2% */
}

static void answer(const void *state, char *buf, size_t len) { snprintf(buf, len, "%.2f", speedup(state)); }

static void solve(const void *state, FILE *out)
{
    const amdahl_state *st = state;
    double s = st->serial_pct / 100.0, n = st->workers;
    fprintf(out, "%.2fx (any answer within 2%% counts).\n\n", speedup(st));
    fprintf(out, "Amdahl's law: on n workers the serial part still takes s of the time, the rest (1 - s) / n:\n"
                 "  T(%d) = %.2f + %.2f / %d = %.4f of the time on one worker (%.2f s of 10 s)\n"
                 "  speedup = 1 / %.4f = %.2fx\n",
            st->workers, s, 1 - s, st->workers, s + (1 - s) / n, 10 * (s + (1 - s) / n), s + (1 - s) / n,
            speedup(st));
    fprintf(out, "However many workers, the serial part's %.2f s stays: the speedup never passes 1 / s = %.1fx.\n"
                 "%d workers reach %.0f%% of that limit; each doubling of the workers gains less than the last.\n",
            10 * s, 1 / s, st->workers, 100 * speedup(st) * s);
}

/* ---- the run: s of the work on one thread, the rest on n threads ---- */

typedef struct share {
    uint64_t steps, result;
} share;

static void *run_share(void *arg)
{
    share *sh = arg;
    sh->result = mp_spin(sh->steps, 7);
    return NULL;
}

/* Wall time of: `serial` steps on this thread, then `parallel` steps
 * split among n threads. */
static int timed_run(uint64_t serial, uint64_t parallel, int n, double *seconds)
{
    mp_thread *t = calloc((size_t)n, sizeof *t);
    share *sh = calloc((size_t)n, sizeof *sh);
    int rc = 0, started = 0;
    if (!t || !sh) {
        free(t);
        free(sh);
        return -ENOMEM;
    }
    uint64_t t0 = mp_now_ns();
    volatile uint64_t keep = mp_spin(serial, 3);
    (void)keep;
    for (int i = 0; i < n && rc == 0; i++) {
        sh[i].steps = parallel / (uint64_t)n;
        mp_thread_init(&t[i], NULL, run_share, &sh[i]);
        rc = mp_thread_start(&t[i]);
        started += rc == 0;
    }
    for (int i = 0; i < started; i++)
        mp_thread_join(&t[i], NULL);
    *seconds = mp_ns_to_s(mp_now_ns() - t0);
    free(t);
    free(sh);
    return rc;
}

static int measure(const void *state, FILE *out)
{
    const amdahl_state *st = state;
    int cpus = mp_cpus_usable();
    double s = st->serial_pct / 100.0;
    uint64_t total = mp_spin_steps_for_ns(0.3e9); /* 0.3 s of work on one CPU */
    uint64_t serial = (uint64_t)(s * (double)total);
    double t1, tn;
    int rc = timed_run(serial, total - serial, 1, &t1);
    if (rc == 0)
        rc = timed_run(serial, total - serial, st->workers, &tn);
    if (rc < 0)
        return rc;
    fprintf(out, "0.3 s of busy work (lib/work's mp_spin), %d%% of it on one thread, the rest split among "
                 "threads:\n", st->serial_pct);
    fprintf(out, "  1 thread:   %.3f s\n  %d threads: %.3f s   measured speedup %.2fx   Amdahl: %.2fx\n", t1,
            st->workers, tn, t1 / tn, speedup(st));
    if (st->workers > cpus)
        fprintf(out, "This process can use %d CPU%s: %d threads take turns on them, so the formula's %d workers\n"
                     "cannot be reached here; the best %d CPUs can give is 1 / (%.2f + %.2f / %d) = %.2fx.\n",
                cpus, cpus == 1 ? "" : "s", st->workers, st->workers, cpus, s, 1 - s, cpus,
                mp_amdahl_speedup(s, cpus));
    else
        fprintf(out, "This process can use %d CPUs, enough for %d threads at once.\n", cpus, st->workers);
    fprintf(out, "A measured speedup below the formula's is the cost of starting threads and whatever else\n"
                 "runs on this machine; Amdahl's law is the ceiling, not the forecast.\n");
    return 0;
}

const puzzle puzzle_amdahl = {
    .lesson = 2,
    .name = "amdahl",
    .about = "the speedup Amdahl's law allows for a serial fraction and a number of workers",
    .answer_form = "a speedup, like 2.5",
    .make = make,
    .problem = problem,
    .check = check,
    .answer = answer,
    .solve = solve,
    .measure = measure,
};
