/* Lesson 13 -- beyond one machine: MPI.
 *
 * The question: the kit's processes, pipes, queues and pools stop at the
 * edge of one machine. MPI, the field's way past it (T1 names mpi4py as
 * Python's other way to go parallel; T0 recalls people used MPI before
 * multiprocessing was usable), runs one program as N processes, its ranks,
 * which talk only by messages -- on one machine or many. What does it cost
 * against the kit, on the same machine and the same work?
 *   1. hello: mpiexec starts N ranks; each prints its rank, PID and host;
 *      the launcher's start-up, timed (hello.c);
 *   2. the primes job as scatter, compute, reduce on 1..N ranks, against
 *      the process pool; start-up included for a job run once (primes.c);
 *   3. ping-pong between two ranks against the kit's pipe and queue:
 *      latency and bandwidth by message size, every payload checked
 *      (pingpong.c);
 *   4. granularity: the task-cost sweep as a static split and as a master
 *      handing out tasks, against the pool's chunksizes, and each
 *      break-even (tasks.c);
 *   5. beyond this machine: a hostfile, and the exact command for one
 *      given with --hostfile (hostfile.c).
 * The MPI program itself is in mpi/ (built with mpicc.mpich, mk/mpi.mk);
 * launch.c starts it and reads what it says. The closing verdicts check
 * each expectation against this run's numbers. */
#include <math.h>

#include "lesson13.h"

mp_csv mpi_csv;

static const mp_entry entries[] = {MP_ENTRY(echo_pipe), MP_ENTRY(echo_queue), {0}};

static void primes_verdicts(mp_lesson *L, const hello_result *H, const primes_result *P)
{
    int n = P->ranks, big = JOBS - 1;
    const char *one_cpu = mp_cpus_usable() < 2 ? "only 1 CPU is usable: the ranks take turns on it" : NULL;
    if (n < 2)
        mp_verdict(L, false, 0, "part 2 ran on 1 rank (--max-workers, which follows --workers, is 1)", "MPI's compute speedup with 2 ranks");
    else {
        double s = P->mpi_speedup[big][2];
        mp_verdict(L, s >= 1.7, mp_decisive(s, 1.7, P->mpi_spread[big][2]), one_cpu,
                   "MPI's compute speedup with 2 ranks on the largest job (%.0f ms in a loop) is at least 1.7: %.2f "
                   "(the process pool's with 2 workers: %.2f)", P->serial[big].median * 1e3, s,
                   P->pool_speedup[big][2]);
    }
    mp_verdict(L, P->counts_right, 0, NULL,
               "every rank count and every pool count matched the plain loop's (%llu primes below %llu, ...)",
               (unsigned long long)P->want[big], (unsigned long long)P->hi[big]);
    double r = H->launch.median / P->pool_start.median;
    mp_verdict(L, r > 1, mp_decisive(r, 1, fmax(mp_spread(&H->launch), mp_spread(&P->pool_start))), NULL,
               "the launcher's start-up is the dearer one: an empty %d-rank job takes %.0f ms, %.0fx a %d-worker "
               "pool's start and join (%.1f ms)", H->ranks, H->launch.median * 1e3, r, n,
               P->pool_start.median * 1e3);
    double oneoff = P->serial[0].median / (H->launch.median + P->mpi[0][n].median);
    mp_verdict(L, oneoff < 1, mp_decisive(oneoff, 1, fmax(mp_spread(&H->launch), mp_spread(&P->serial[0]))), NULL,
               "run once, the smallest job (%.0f ms in a loop) is slower through MPI than in the loop, start-up "
               "included: speedup %.2f", P->serial[0].median * 1e3, oneoff);
}

static void pingpong_verdicts(mp_lesson *L, const pingpong_result *R)
{
    const char *one_cpu = mp_cpus_usable() < 2 ? "only 1 CPU is usable: every message waits for the other side's "
                                                 "turn on it" : NULL;
    mp_verdict(L, R->intact[PP_MPI] && R->intact[PP_PIPE] && R->intact[PP_QUEUE], 0, NULL,
               "every checked ping-pong payload arrived intact, every byte, through MPI, the pipe and the queue "
               "(%ld to %ld bytes)", R->bytes[0], R->bytes[R->sizes - 1]);
    const mp_stats *m = &R->one_way[PP_MPI][0], *p = &R->one_way[PP_PIPE][0], *q = &R->one_way[PP_QUEUE][0];
    double rp = p->median / m->median;
    mp_verdict(L, rp > 1, mp_decisive(rp, 1, fmax(mp_spread(m), mp_spread(p))), one_cpu,
               "at %ld bytes MPI's message is quicker than the kit's pipe: %.2f us one way against %.1f us (%.0fx) -- "
               "shared memory and polling against system calls and a wake-up; the kit's queue, which also polls "
               "shared memory before it sleeps: %.2f us", R->bytes[0], m->median * 1e6, p->median * 1e6, rp,
               q->median * 1e6);
    /* small messages pay a fixed cost each, large ones the copying */
    int last = R->sizes - 1;
    double least = INFINITY, spread = 0;
    for (int w = 0; w < NPP; w++) {
        double gain = ((double)R->bytes[last] / R->one_way[w][last].median) / ((double)R->bytes[0] / R->one_way[w][0].median);
        least = fmin(least, gain);
        spread = fmax(spread, fmax(mp_spread(&R->one_way[w][0]), mp_spread(&R->one_way[w][last])));
    }
    double b = (double)R->bytes[last] / 1e9;
    mp_verdict(L, least >= 10, mp_decisive(least, 10, spread), NULL,
               "every way moves at least 10x more bytes per second at %ld bytes than at %ld (at least %.0fx): a small "
               "message pays a fixed cost, a large one the copying -- MPI %.1f GB/s, the pipe %.1f, the queue %.1f",
               R->bytes[last], R->bytes[0], least, b / R->one_way[PP_MPI][last].median,
               b / R->one_way[PP_PIPE][last].median, b / R->one_way[PP_QUEUE][last].median);
}

/* The spread of the points either side of a curve's break-even. */
static double crossing_spread(const tasks_result *R, int w)
{
    int i = 0;
    while (i < R->points && R->cost_ns[i] < R->breakeven_ns[w])
        i++;
    double s = i < R->points ? R->spread[w][i] : 0;
    return i > 0 ? fmax(s, R->spread[w][i - 1]) : s;
}

static void tasks_verdicts(mp_lesson *L, const tasks_result *R)
{
    mp_verdict(L, R->sums_right, 0, NULL, "every way's sum of %ld..%ld task results matched the plain loop's",
               R->n[R->points - 1], R->n[0]);
    const char *why = mp_cpus_usable() < 2 ? "only 1 CPU is usable: no way of sharing out pays off"
                      : R->workers < 2 ? "one worker (--workers 1): nothing is shared out" : NULL;
    double bm = R->breakeven_ns[W_MPI_MASTER], bp = R->breakeven_ns[W_POOL_ONE];
    char tm[32], tp[32], om[32], op[32];
    /* a curve that never paid off has an infinite break-even: compare by
     * ratio only when both are finite */
    double ratio = isinf(bp) ? (isinf(bm) ? 1 : INFINITY) : bp / bm;
    mp_verdict(L, ratio > 1, mp_decisive(ratio, 1, fmax(crossing_spread(R, W_MPI_MASTER), crossing_spread(R, W_POOL_ONE))),
               why, "handing out one task at a time, MPI's master pays off at smaller tasks than the process pool "
               "with chunksize 1: break-even %s against %s (overhead per task %s against %s)",
               mp_ns_text(bm, tm, sizeof tm), mp_ns_text(bp, tp, sizeof tp),
               mp_ns_text(R->overhead_ns[W_MPI_MASTER], om, sizeof om),
               mp_ns_text(R->overhead_ns[W_POOL_ONE], op, sizeof op));
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the guard: a spawned child never gets past this line */
    hostfile hosts;
    bool have_hosts;
    int status;
    if (!take_hostfile_flag(&argc, argv, &hosts, &have_hosts, &status))
        return status;
    static const mp_unused unused[] = {{"seed", "nothing in this lesson is random"}, {0}};
    static const mp_cli cli = {
        .prog = "lesson-13",
        .summary = "beyond one machine: MPI ranks against the kit's pool, pipe and queue; a hostfile",
        .default_out = "plots/out/13-beyond-one-machine",
        .unused = unused,
        .workers_limit = RANKS_MAX,
    };
    mp_lesson L;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status)) {
        for (int i = 1; i < argc && status == 0; i++)
            if (strcmp(argv[i], "--help") == 0)
                hostfile_help();
        return status;
    }
    const char *why;
    if (!mpi_setup(&why)) {
        mp_error("%s", why);
        return 2;
    }
    CHECK(mp_csv_open(&mpi_csv, L.o.out, "mpi.csv", "experiment,ranks,msg_bytes,task_ns,median_s,speedup_or_gbps"));

    hello_result h;
    primes_result p;
    pingpong_result pp;
    tasks_result t;
    hosts_result hr;
    part_hello(&L, &h);
    part_primes(&L, &h, &p);
    part_pingpong(&L, &pp);
    part_tasks(&L, &t);
    part_hosts(&L, have_hosts ? &hosts : NULL, &hr);
    CHECK(mp_csv_close(&mpi_csv));

    mp_lesson_verdicts(&L);
    mp_verdict(&L, h.all_once, 0, NULL,
               "each of the %d ranks said hello once, each a process of its own, all children of one MPICH proxy "
               "on %s", h.ranks, h.host);
    primes_verdicts(&L, &h, &p);
    pingpong_verdicts(&L, &pp);
    tasks_verdicts(&L, &t);
    if (hr.ran)
        mp_verdict(&L, hr.all_once && (have_hosts || hr.proxies == 2), 0, NULL,
                   "the hostfile's job: each of its %d ranks said hello once%s", hr.ranks,
                   have_hosts ? "" : ", hanging off 2 proxies, one per host name");
    return mp_lesson_end(&L);
}
