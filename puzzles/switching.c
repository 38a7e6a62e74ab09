/* Lesson 03's puzzle: a few threads under the new GIL (CPython >= 3.2,
 * lib/gil's MP_GIL_NEW), each computing (holding the lock) and waiting
 * for I/O (without it). Which thread holds the lock when?
 *
 * The model follows lib/gil.c's take_gil and drop, with time in whole ms:
 *  - a thread that wants the lock and finds it free takes it at once;
 *  - one that finds it held waits one switch interval at a time; if at
 *    the end of an interval the lock has not changed hands since that
 *    interval began, it sets the drop request (and waits another
 *    interval either way);
 *  - the holder sees the request at its next tick (at once, here), drops
 *    the lock and -- FORCE_SWITCHING -- does not take it back before
 *    another thread has taken it; then it waits like any other;
 *  - a thread that starts an I/O wait, or is done, drops the lock without
 *    being asked;
 *  - when the lock is free and several wait, the one whose current wait
 *    began first takes it; ties go to the lowest-numbered thread (the
 *    real lock wakes whichever waiter the OS wakes: this is the model's
 *    rule, the closest to glibc's first-come condition variables).
 * Thread 1 is started first and takes the lock at 0 ms; the others start
 * waiting at 0 ms. --solve also runs the threads on the real simulated
 * lock (mp_gil_countdown for computing, a sleep for I/O) with its event log
 * on, and shows who held it when beside the model; the real run is subject
 * to the OS scheduler (on a busy machine, or with fewer CPUs than
 * threads, a thread may hold the lock without running). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "switching.h"

enum { WANT, HOLD, IO, DONE };

typedef struct sw_thread {
    int state, seg, left_ms;  /* left_ms: of the current segment (HOLD: computing; IO: waiting) */
    int since, deadline;      /* WANT: when the current interval began and ends (-1: not begun) */
    int saved_switch;         /* the switch count when it began */
    bool forced;              /* dropped on request: may not take it back before another has */
} sw_thread;

static void note(sw_state *st, int t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(sw_state *st, int t, const char *fmt, ...)
{
    if (st->nnotes >= SW_MAX_NOTES)
        return;
    char *n = st->notes[st->nnotes++];
    int len = snprintf(n, sizeof st->notes[0], "%3d ms: ", t);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n + len, sizeof st->notes[0] - (size_t)len, fmt, ap);
    va_end(ap);
}

/* The thread's next segment after the one it finished: compute (keep the
 * lock), wait for I/O (drop it), or done (drop it). Returns true if it let
 * the lock go. */
static bool next_segment(sw_state *st, sw_thread *th, int i, int t)
{
    th->seg++;
    if (th->seg >= st->nsegs[i]) {
        th->state = DONE;
        note(st, t, "thread %d is done and drops the lock", i + 1);
        return true;
    }
    th->left_ms = st->segs[i][th->seg].ms;
    if (st->segs[i][th->seg].kind == 'I') {
        th->state = IO;
        note(st, t, "thread %d starts %d ms of I/O and drops the lock (nobody asked)", i + 1, th->left_ms);
        return true;
    }
    return false; /* computing again (the generator never puts two in a row) */
}

void sw_simulate(sw_state *st)
{
    sw_thread th[SW_MAX_THREADS];
    int holder = -1, last_holder = -1, switches = 0;
    unsigned asked = 0; /* the threads that set the drop request (bits) */
    bool drop_request = false;
    st->handoffs = st->drop_requests = st->nnotes = 0;
    memset(st->holder, 0, sizeof st->holder);
    for (int i = 0; i < st->threads; i++)
        th[i] = (sw_thread){.state = WANT, .seg = 0, .left_ms = st->segs[i][0].ms, .since = 0, .deadline = -1};
    int t = 0;
    for (;; t++) {
        /* (a) the holder's computing ends: on to its next segment */
        if (holder >= 0 && th[holder].left_ms == 0 && next_segment(st, &th[holder], holder, t))
            holder = -1;
        /* (b) I/O waits that end: the thread wants the lock back */
        for (int i = 0; i < st->threads; i++)
            if (th[i].state == IO && th[i].left_ms == 0 && !next_segment(st, &th[i], i, t)) {
                note(st, t, "thread %d's I/O is over: it wants the lock back", i + 1);
                th[i].state = WANT;
                th[i].since = t;
                th[i].deadline = -1;
            }
        /* (c) intervals that end: no switch since it began => drop request */
        for (int i = 0; i < st->threads; i++)
            if (th[i].state == WANT && th[i].deadline == t) {
                if (holder >= 0 && switches == th[i].saved_switch) {
                    if (!drop_request)
                        note(st, t, "thread %d has waited %d ms with no switch: it sets the drop request", i + 1,
                             st->interval_ms);
                    drop_request = true;
                    asked |= 1u << i;
                    st->drop_requests++;
                }
                th[i].since = t; /* and waits another interval */
                th[i].deadline = -1;
            }
        /* (d) the holder honours the request at its next tick */
        if (drop_request && holder >= 0) {
            note(st, t, "thread %d sees the request and drops the lock (forced switch)", holder + 1);
            th[holder].state = WANT;
            th[holder].forced = true;
            th[holder].since = t;
            th[holder].deadline = -1;
            holder = -1;
        }
        /* (e) a free lock goes to the waiter whose wait began first */
        if (holder < 0) {
            int take = -1;
            for (int pass = 0; pass < 2 && take < 0; pass++) /* the forced dropper only if nobody else waits */
                for (int i = 0; i < st->threads; i++)
                    if (th[i].state == WANT && (pass == 1 || !th[i].forced) &&
                        (take < 0 || th[i].since < th[take].since))
                        take = i;
            if (take >= 0) {
                holder = take;
                th[take].state = HOLD;
                th[take].forced = false;
                if (take != last_holder) {
                    switches++;
                    if (last_holder >= 0)
                        st->handoffs++;
                }
                note(st, t, "thread %d takes the lock%s", take + 1,
                     drop_request && !(asked & (1u << take)) ? " (its wait began first; it did not ask)" : "");
                asked = 0;
                last_holder = take;
                drop_request = false;
                for (int i = 0; i < st->threads; i++)
                    th[i].forced = false; /* someone else has taken it: the dropper may wait again */
            }
        }
        /* every waiter not yet timing an interval starts one now */
        for (int i = 0; i < st->threads; i++)
            if (th[i].state == WANT && th[i].deadline < 0) {
                th[i].deadline = t + st->interval_ms;
                th[i].saved_switch = switches;
            }
        bool all_done = true;
        for (int i = 0; i < st->threads; i++)
            all_done &= th[i].state == DONE;
        if (all_done || t >= SW_MAX_MS - 1)
            break;
        /* (f) one ms passes */
        st->holder[t] = (signed char)(holder + 1);
        for (int i = 0; i < st->threads; i++)
            if ((th[i].state == HOLD || th[i].state == IO) && th[i].left_ms > 0)
                th[i].left_ms--;
    }
    st->end_ms = t;
}

static void make(void *state, unsigned long seed)
{
    static const int intervals[] = {2, 3, 4, 5};
    sw_state *st = state;
    puzzle_rng r = puzzle_rng_seeded(seed, "gil");
    memset(st, 0, sizeof *st);
    st->threads = puzzle_rng_range(&r, 2, SW_MAX_THREADS);
    st->interval_ms = intervals[puzzle_rng_range(&r, 0, 3)];
    for (int i = 0; i < st->threads; i++) {
        /* compute, then maybe I/O and compute again */
        st->nsegs[i] = puzzle_rng_range(&r, 0, 1) ? 3 : 1;
        for (int s = 0; s < st->nsegs[i]; s++)
            st->segs[i][s] = s % 2 ? (sw_seg){'I', puzzle_rng_range(&r, 1, 6)}
                                   : (sw_seg){'C', puzzle_rng_range(&r, 2, 12)};
    }
    sw_simulate(st);
    st->ask_ms = puzzle_rng_range(&r, 1, st->end_ms - 1);
}

static void problem(const void *state, FILE *out)
{
    const sw_state *st = state;
    fprintf(out, "%d threads run Python code under the new GIL (CPython >= 3.2), switch interval %d ms:\n\n",
            st->threads, st->interval_ms);
    for (int i = 0; i < st->threads; i++) {
        fprintf(out, "  thread %d:", i + 1);
        for (int s = 0; s < st->nsegs[i]; s++)
            fprintf(out, "%s %s %d ms", s ? "," : "", st->segs[i][s].kind == 'C' ? "compute" : "I/O",
                    st->segs[i][s].ms);
        fprintf(out, "\n");
    }
    fprintf(out, "\nComputing needs the lock; an I/O wait drops it. Thread 1 starts first and takes the lock at\n"
                 "0 ms; the others start waiting at 0 ms. A waiter waits one interval at a time: if the lock has\n"
                 "not changed hands during it, it asks the holder to drop (the drop request), and the holder\n"
                 "drops at once and may not take it back before another thread has. A free lock goes to the\n"
                 "waiter whose current wait began first (ties: the lower number). All else takes no time.\n\n"
                 "Which thread holds the lock from %d to %d ms? (0 if none)\n",
            st->ask_ms, st->ask_ms + 1);
}

static int check(const void *state, const char *answer)
{
    const sw_state *st = state;
    int r = puzzle_check_long(answer, st->holder[st->ask_ms]);
    if (r < 0 && (!strcmp(answer, "none") || !strcmp(answer, "nobody")))
        return st->holder[st->ask_ms] == 0;
    return r;
}

static void answer(const void *state, char *buf, size_t len)
{
    const sw_state *st = state;
    snprintf(buf, len, "%d", st->holder[st->ask_ms]);
}

/* The model's timeline as stretches: "0-5 ms  thread 1". */
static void print_stretches(const sw_state *st, FILE *out)
{
    int from = 0;
    for (int t = 1; t <= st->end_ms; t++)
        if (t == st->end_ms || st->holder[t] != st->holder[from]) {
            if (st->holder[from])
                fprintf(out, "  %3d-%-3d ms  thread %d%s\n", from, t, st->holder[from],
                        st->ask_ms >= from && st->ask_ms < t ? "   <- the question" : "");
            else
                fprintf(out, "  %3d-%-3d ms  nobody%s\n", from, t,
                        st->ask_ms >= from && st->ask_ms < t ? "     <- the question" : "");
            from = t;
        }
}

static void solve(const void *state, FILE *out)
{
    const sw_state *st = state;
    if (st->holder[st->ask_ms])
        fprintf(out, "Thread %d.\n\n", st->holder[st->ask_ms]);
    else
        fprintf(out, "Nobody (0): every thread that is not done is waiting for I/O.\n\n");
    fprintf(out, "What happens, step by step:\n");
    for (int i = 0; i < st->nnotes; i++)
        fprintf(out, "  %s\n", st->notes[i]);
    fprintf(out, "\nWho holds the lock (the timeline, %d hand-overs, %d drop requests):\n", st->handoffs,
            st->drop_requests);
    print_stretches(st, out);
    fprintf(out, "\nA thread computing alone keeps the lock: nobody asks. Under contention it changes hands\n"
                 "about once per switch interval, and an I/O wait hands it over at once.\n");
}

/* ---- the run: the real simulated lock, its event log on ---- */

typedef struct sw_run {
    const sw_state *st;
    double ticks_per_ms;
    mp_gil *g;
    mp_gil_thread t;
    int index;
} sw_run;

static void *run_thread(void *arg)
{
    sw_run *r = arg;
    const sw_state *st = r->st;
    for (int s = 0; s < st->nsegs[r->index]; s++) {
        const sw_seg *seg = &st->segs[r->index][s];
        if (seg->kind == 'C') {
            volatile uint64_t sink = mp_gil_countdown(r->g, &r->t, (uint64_t)(seg->ms * r->ticks_per_ms));
            (void)sink;
        } else {
            mp_sleep_ns((uint64_t)seg->ms * 1000000u); /* between two countdowns: without the lock */
        }
    }
    return NULL;
}

static int measure(const void *state, FILE *out)
{
    const sw_state *st = state;
    mp_gil g;
    int rc = mp_gil_init(&g, MP_GIL_NEW, (uint64_t)st->interval_ms * 1000u, MP_GIL_DEFAULT_CHECK);
    if (rc < 0)
        return rc;
    enum { CAP = 4096 };
    if ((rc = mp_gil_log(&g, CAP)) < 0) {
        mp_gil_destroy(&g);
        return rc;
    }
    double ticks_per_ms = (double)mp_gil_ticks_for(0.02) / 20; /* calibrated once, before the clock starts */
    sw_run runs[SW_MAX_THREADS];
    mp_thread th[SW_MAX_THREADS];
    int started = 0;
    for (int i = 0; i < st->threads; i++) {
        runs[i] = (sw_run){.st = st, .ticks_per_ms = ticks_per_ms, .g = &g, .index = i};
        mp_gil_thread_init(&g, &runs[i].t); /* ids 1, 2, ... in this order */
    }
    for (int i = 0; i < st->threads && rc == 0; i++) {
        mp_thread_init(&th[i], NULL, run_thread, &runs[i]);
        rc = mp_thread_start(&th[i]);
        started += rc == 0;
        if (i == 0)
            mp_sleep_ns(200000); /* thread 1 first, as in the model */
    }
    for (int i = 0; i < started; i++)
        mp_thread_join(&th[i], NULL);
    size_t n = g.log_len < CAP ? g.log_len : CAP;
    mp_gil_counters c = mp_gil_read_counters(&g);
    fprintf(out, "The real simulated lock (lib/gil, new mode, interval %d ms), each compute a countdown loop\n"
                 "of about that many ms, each I/O a sleep; who held it, from its event log:\n\n",
            st->interval_ms);
    uint64_t t0 = n ? g.log[0].t_ns : 0;
    /* stretches of holding: from a take to the holder's release; a re-take
     * by the same thread right after its own release is no hand-over */
    int cur = -1, shown = 0;
    uint64_t from = 0, to = 0;
    for (size_t i = 0; i <= n && shown < 40; i++) {
        const mp_gil_event *e = i < n ? &g.log[i] : NULL;
        if (e && e->what != 'A') {
            if (e->thread == cur)
                to = e->t_ns;
            continue;
        }
        if (e && e->thread == cur && e->t_ns - to < 100000)
            continue;
        if (cur > 0) {
            fprintf(out, "  %6.1f-%-6.1f ms  thread %d\n", (double)(from - t0) / 1e6, (double)(to - t0) / 1e6, cur);
            shown++;
        }
        if (e) {
            cur = e->thread;
            from = to = e->t_ns;
        }
    }
    fprintf(out, "\n  predicted: %d hand-overs, %d drop requests, all done at %d ms\n", st->handoffs,
            st->drop_requests, st->end_ms);
    fprintf(out, "  measured:  %llu hand-overs, %llu drop requests, all done at %.1f ms\n",
            (unsigned long long)c.handoffs, (unsigned long long)c.drop_requests,
            n ? (double)(g.log[n - 1].t_ns - t0) / 1e6 : 0.0);
    fprintf(out, "The real run is subject to the OS scheduler: a thread holding the lock may not be running\n"
                 "(this machine has %d usable CPUs, and others use them), a woken waiter takes a while to run,\n"
                 "and a countdown's length in ms depends on the CPU it gets. The rule is the model's; the run\n"
                 "is one try of it.\n",
            mp_cpus_usable());
    mp_gil_destroy(&g);
    return rc;
}

const puzzle puzzle_gil = {
    .lesson = 3,
    .name = "gil",
    .about = "which thread holds the simulated GIL when, under a given switch interval",
    .answer_form = "a thread's number, 0 for none",
    .make = make,
    .problem = problem,
    .check = check,
    .answer = answer,
    .solve = solve,
    .measure = measure,
};
