/* Lesson 07 -- Pipe: two ends, whole messages, and where it bites.
 *
 * The question: T0 picks Pipe for speed ("if you want speed, use Pipe") and
 * hands one end to two processes. What does a pipe promise -- whole
 * messages, in order, EOF when the other side is gone -- what does it cost
 * next to the bare system calls and to CPython's, and where does it bite?
 *   1. T0's example: three processes around one pipe, every line with its
 *      PID and time; duplex against one-way; poll with and without a
 *      timeout (t0.c);
 *   2. the forgotten end: no EOF while any process holds a copy of the
 *      write end, bounded by a timeout, then fixed (forgotten.c);
 *   3. two writers on one end with messages above PIPE_BUF: the corruption,
 *      caught, and two fixes measured (writers.c);
 *   4. both sides send big messages before receiving: the deadlock, bounded,
 *      and its fix (deadlock.c);
 *   5. throughput from 64 B to 4 MiB and round trips, the kit against bare
 *      write/read loops and CPython's Pipe (speed.c, cpython.c).
 * The closing verdicts check each expectation against this run's numbers.
 */
#include <math.h>

#include "lesson07.h"

static const mp_entry entries[] = {MP_ENTRY(t0_i1),          MP_ENTRY(t0_i2_i3),      MP_ENTRY(late_sender),
                                   MP_ENTRY(counting_writer), MP_ENTRY(bystander),     MP_ENTRY(pattern_writer),
                                   MP_ENTRY(big_exchanger),   MP_ENTRY(stream_sender), MP_ENTRY(echo_child),
                                   {0}};

static void behaviour_verdicts(mp_lesson *L, const t0_result *T, const forgotten_result *F, const writers_result *W,
                               const deadlock_result *D)
{
    mp_verdict(L, T->received == T->sent && T->children_ok == 3, 0, NULL,
               "T0's three processes: %d messages sent, %d received, each by exactly one process", T->sent,
               T->received);
    mp_verdict(L, T->wrong_way_refused && T->poll_empty && T->poll_waited && T->poll_got, 0, NULL,
               "a one-way end used the wrong way is refused at once (-EBADF); poll(0) answers at once, poll(T) "
               "waited %.2f s for nothing and returned %.2f s in when a message came", T->poll_wait_s, T->poll_got_s);
    mp_verdict(L, !F->eof_with_own_copy && !F->eof_with_bystander && F->eof_after_bystander && F->eof_fixed, 0,
               NULL,
               "the forgotten end: no EOF in %.1f s while the parent held a copy, none while a forked bystander "
               "did; with every copy closed, EOF at once (%.2f ms)", F->timeout_s, F->fixed_ms);
    mp_verdict(L, W->corrupted_rounds > 0, 0,
               W->corrupted_rounds ? NULL : "the two writers' pieces never crossed this run: run it again",
               "two writers on one end: messages broken in %d of %d rounds (%ld returned with the other writer's "
               "bytes inside, %ld corrupted streams caught as -EBADMSG)", W->corrupted_rounds, W->rounds, W->mixed,
               W->broken);
    mp_verdict(L, W->fixed_bad[0] == 0 && W->fixed_bad[1] == 0 && W->fixed_intact[0] > 0 && W->fixed_intact[1] > 0,
               0, NULL, "the fixes: every message whole with a connection per writer (%.0f MB/s) and with a lock "
               "around send (%.0f MB/s)", W->fixed_mb_s[0], W->fixed_mb_s[1]);
    mp_verdict(L, D->stuck && D->fixed, 0, NULL,
               "both sides sending first: both still stuck after %.1f s (the child was killed: exit code %d); with "
               "a receiving thread, both messages arrived in %.0f ms", D->timeout_s, D->child_exitcode, D->fixed_ms);
}

static double wider(const mp_stats *a, const mp_stats *b) { return fmax(mp_spread(a), mp_spread(b)); }

static void speed_verdicts(mp_lesson *L, const speed_result *R)
{
    /* throughput: the kit's one-way pipe against the bare pipe(2) loop */
    double worst = INFINITY, spread = 0;
    long at = 0;
    for (int s = 1; s < SPEED_SIZES; s++) { /* 4 KiB and more */
        double r = R->msgs_per_s[T_PIPE][s].median / R->msgs_per_s[T_RAW_PIPE][s].median;
        spread = fmax(spread, wider(&R->msgs_per_s[T_PIPE][s], &R->msgs_per_s[T_RAW_PIPE][s]));
        if (r < worst)
            worst = r, at = R->sizes[s];
    }
    mp_verdict(L, worst >= 0.9, mp_decisive(worst, 0.9, spread), NULL,
               "from 4 KiB to 4 MiB the kit's one-way pipe moves at least %.0f%% of a bare pipe's bytes (lowest at "
               "%ld B; goal: 90%%)", 100 * worst, at);
    double r64 = R->msgs_per_s[T_PIPE][0].median / R->msgs_per_s[T_RAW_PIPE][0].median;
    mp_verdict(L, r64 >= 0.7, mp_decisive(r64, 0.7, wider(&R->msgs_per_s[T_PIPE][0], &R->msgs_per_s[T_RAW_PIPE][0])),
               NULL, "at 64 B it moves %.0f%% of a bare pipe's messages (goal: 70%%)", 100 * r64);

    /* round trips of 64 B */
    double rt = R->median_us[T_PIPE][0] / R->median_us[T_RAW_PIPE][0];
    mp_verdict(L, rt <= 1.2, mp_decisive(rt, 1.2, fmax(R->lat_spread[T_PIPE][0], R->lat_spread[T_RAW_PIPE][0])),
               NULL, "a 64 B round trip on two one-way pipes: %.1f us, %.2fx the bare ping-pong on pipe(2) (goal: "
               "within 1.2x)", R->median_us[T_PIPE][0], rt);
    double rd = R->median_us[T_PIPE_DUPLEX][0] / R->median_us[T_RAW_SOCKETPAIR][0];
    mp_verdict(L, rd <= 1.2,
               mp_decisive(rd, 1.2, fmax(R->lat_spread[T_PIPE_DUPLEX][0], R->lat_spread[T_RAW_SOCKETPAIR][0])), NULL,
               "on one duplex pipe: %.1f us, %.2fx the bare ping-pong on a socketpair (goal: within 1.2x)",
               R->median_us[T_PIPE_DUPLEX][0], rd);

    /* CPython */
    const char *no_py = R->cpython_missing;
    if (no_py) {
        mp_verdict(L, false, 0, no_py, "the kit's pipe against CPython's");
        return;
    }
    double x = R->msgs_per_s[T_PIPE][0].median / R->msgs_per_s[T_CPYTHON][0].median;
    mp_verdict(L, x > 1, mp_decisive(x, 1, wider(&R->msgs_per_s[T_PIPE][0], &R->msgs_per_s[T_CPYTHON][0])), NULL,
               "at 64 B the kit's pipe moves %.0fx the messages of CPython's Pipe (%.0f k/s against %.0f k/s)", x,
               R->msgs_per_s[T_PIPE][0].median / 1e3, R->msgs_per_s[T_CPYTHON][0].median / 1e3);
    double y = R->median_us[T_CPYTHON][0] / R->median_us[T_PIPE_DUPLEX][0];
    mp_verdict(L, y > 1, mp_decisive(y, 1, R->lat_spread[T_PIPE_DUPLEX][0]), NULL,
               "a 64 B round trip: %.1f us in CPython, %.1fx the kit's duplex pipe", R->median_us[T_CPYTHON][0], y);
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned child never gets past this line */

    static const mp_unused unused[] = {
        {"workers", "every part has a fixed cast: T0's three processes, one writer, two writers, two peers"},
        {"max-workers", "nothing in this lesson is swept over workers"},
        {"seed", "nothing in this lesson is random"},
        {0}};
    static const mp_cli cli = {
        .prog = "lesson-07",
        .summary = "Pipe: whole messages between processes, what they cost and where they bite",
        .default_out = "plots/out/07-pipe",
        .unused = unused,
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;

    t0_result T = {0};
    forgotten_result F = {0};
    writers_result W = {0};
    deadlock_result D = {0};
    speed_result S = {0};
    part_t0(&L, &T);
    part_forgotten(&L, &F);
    part_writers(&L, &W);
    part_deadlock(&L, &D);
    part_speed(&L, &S);
    part_cpython(&L, &S);
    speed_write(&L, &S);

    mp_lesson_verdicts(&L);
    behaviour_verdicts(&L, &T, &F, &W, &D);
    speed_verdicts(&L, &S);
    return mp_lesson_end(&L);
}
