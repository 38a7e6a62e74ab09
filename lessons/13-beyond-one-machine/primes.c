/* Lesson 13, part 2 -- the primes job as scatter, compute, reduce, against
 * the kit's process pool on the same machine.
 *
 * Three jobs (counting the primes below a bound chosen so that a plain
 * loop takes about 10, 50 and 250 ms; --quick: 5, 20, 80), each on 1, 2,
 * ... ranks. The MPI program does every job on every number of ranks in
 * one launch (mpi/primes.c): rank 0 scatters one share to each rank
 * (MPI_Scatter), each counts its share, MPI_Reduce adds the counts at rank
 * 0. Its speedup is its own 1-rank time over its k-rank time, measured in
 * the same launch, the repeats interleaved.
 *
 * The process pool does the same shares (lib/work.h's
 * mp_count_primes_share, one task per worker: pool.map over k shares) on
 * pools of 1, 2, ... workers made beforehand; its speedup is the plain
 * loop's time over its own, the plain loop and the pools interleaved.
 *
 * Neither time includes starting: the ranks were running, the pool's
 * workers too. What starting costs is measured apart -- part 1's empty job
 * for mpiexec, an idle pool's start and join here -- and added for a
 * one-off job: a job run once pays its start-up once. */
#include <math.h>

#include "lesson13.h"

static const double job_s[JOBS] = {0.01, 0.05, 0.25}, quick_job_s[JOBS] = {0.005, 0.02, 0.08};

static void idle_pool(void *arg)
{
    mp_lesson_pool_finish(mp_lesson_pool(MP_POOL_PROCESSES, -1, *(int *)arg, NULL));
}

/* The plain loop and the pools, interleaved: repeat r of every job and
 * every pool size before repeat r + 1. */
static void measure_pool(const mp_lesson *L, primes_result *R)
{
    int reps = L->o.repeat, n = R->ranks;
    mp_pool *pools[RANKS_MAX + 1];
    for (int k = 1; k <= n; k++)
        pools[k] = mp_lesson_pool(MP_POOL_PROCESSES, -1, k, NULL);
    double *t = malloc(sizeof(double) * (size_t)reps * JOBS * (RANKS_MAX + 1));
    if (!t) {
        mp_error("out of memory");
        mp_lesson_abort();
    }
#define T(j, k, r) t[((j) * (RANKS_MAX + 1) + (k)) * reps + (r)]
    primes_arg args[RANKS_MAX];
    uint64_t counts[RANKS_MAX];
    for (int r = 0; r < reps; r++)
        for (int j = 0; j < JOBS; j++) {
            uint64_t t0 = mp_now_ns();
            uint64_t c = mp_count_primes(0, R->hi[j]);
            T(j, 0, r) = mp_ns_to_s(mp_now_ns() - t0); /* k = 0: the plain loop */
            R->want[j] = c;
            for (int k = 1; k <= n; k++) {
                for (int i = 0; i < k; i++)
                    args[i] = (primes_arg){R->hi[j], k, i};
                t0 = mp_now_ns();
                CHECK(mp_pool_map(pools[k], primes_task, args, (size_t)k, sizeof args[0], counts, sizeof counts[0],
                                  NULL));
                T(j, k, r) = mp_ns_to_s(mp_now_ns() - t0);
                uint64_t sum = 0;
                for (int i = 0; i < k; i++)
                    sum += counts[i];
                R->counts_right = R->counts_right && sum == c;
            }
        }
    for (int j = 0; j < JOBS; j++) {
        mp_stats_of(&T(j, 0, 0), (size_t)reps, &R->serial[j]);
        for (int k = 1; k <= n; k++) {
            mp_stats_of(&T(j, k, 0), (size_t)reps, &R->pool[j][k]);
            R->pool_speedup[j][k] = R->serial[j].median / R->pool[j][k].median;
        }
    }
#undef T
    free(t);
    for (int k = 1; k <= n; k++)
        mp_lesson_pool_finish(pools[k]);
}

/* One launch: every job on 1..n ranks, --repeat times. */
static void measure_mpi(const mp_lesson *L, primes_result *R)
{
    int reps = L->o.repeat, n = R->ranks;
    char rep[16], his[JOBS][24];
    snprintf(rep, sizeof rep, "%d", reps);
    char *args[3 + JOBS] = {"primes", rep};
    double work_s = 0;
    for (int j = 0; j < JOBS; j++) {
        snprintf(his[j], sizeof his[j], "%llu", (unsigned long long)R->hi[j]);
        args[2 + j] = his[j];
        work_s += R->serial[j].median * 2 * reps; /* 1 rank, then about as much again shared */
    }
    args[2 + JOBS] = NULL;
    mpi_job job;
    mpi_start(&job, "part 2's primes job", n, NULL, args, 60 + 20 * work_s, false);
    double *t = calloc((size_t)reps * JOBS * (RANKS_MAX + 1), sizeof(double));
    if (!t) {
        mp_error("out of memory");
        mp_lesson_abort();
    }
#define T(j, k, r) t[((j) * (RANKS_MAX + 1) + (k)) * reps + (r)]
    int got = 0;
    bool done = false;
    for (const char *line; (line = mpi_line(&job));) {
        unsigned long long hi, count;
        int k, r;
        double s;
        if (sscanf(line, "primes %llu %d %d %lf %llu", &hi, &k, &r, &s, &count) == 5) {
            int j = 0;
            while (j < JOBS && R->hi[j] != hi)
                j++;
            if (j == JOBS || k < 1 || k > n || r < 0 || r >= reps || T(j, k, r) != 0)
                mpi_fail(&job, "an unexpected line: %s", line);
            if (count != R->want[j])
                mpi_fail(&job, "%d ranks counted %llu primes below %llu; the plain loop %llu", k, count, hi,
                         (unsigned long long)R->want[j]);
            T(j, k, r) = s;
            got++;
        } else if (strcmp(line, "done primes") == 0)
            done = true;
    }
    mpi_finish(&job);
    if (!done || got != JOBS * n * reps)
        mpi_fail(&job, "%d results of %d%s", got, JOBS * n * reps, done ? "" : ", and no 'done'");
    for (int j = 0; j < JOBS; j++) {
        for (int k = 1; k <= n; k++)
            mp_stats_of(&T(j, k, 0), (size_t)reps, &R->mpi[j][k]);
        for (int k = 1; k <= n; k++) {
            R->mpi_speedup[j][k] = R->mpi[j][1].median / R->mpi[j][k].median;
            R->mpi_spread[j][k] = fmax(mp_spread(&R->mpi[j][1]), mp_spread(&R->mpi[j][k]));
        }
    }
#undef T
    free(t);
}

static void plot(const mp_lesson *L, const primes_result *R)
{
    mp_series s[4] = {{.label = "mpi-largest"}, {.label = "pool-largest"}, {.label = "mpi-smallest"},
                      {.label = "pool-smallest"}};
    int usable = mp_cpus_usable();
    for (int i = 0; i < 4; i++) {
        int j = i < 2 ? JOBS - 1 : 0;
        bool mpi = i % 2 == 0;
        s[i].fit = true;
        s[i].fit_upto = usable;
        for (int k = 1; k <= R->ranks; k++) {
            const mp_stats *m = mpi ? &R->mpi[j][k] : &R->pool[j][k];
            mp_series_add(&s[i], k, mpi ? R->mpi[j][1].median : R->serial[j].median, m->median, m->min, m->max);
        }
    }
    mp_speedup_plot(L->o.out, "primes-speedup", "lesson 13: the primes job, MPI ranks and pool workers", s, 4,
                    L->o.no_plot);
}

void part_primes(mp_lesson *L, const hello_result *H, primes_result *R)
{
    memset(R, 0, sizeof *R);
    R->ranks = L->o.max_workers < RANKS_MAX ? L->o.max_workers : RANKS_MAX;
    R->counts_right = true;
    mp_lesson_part(L, "2. The primes job as scatter, compute, reduce on 1..%d ranks, against the process pool",
                   R->ranks);
    for (int j = 0; j < JOBS; j++)
        R->hi[j] = mp_primes_bound_for(L->o.quick ? quick_job_s[j] : job_s[j]);
    mp_say("three jobs: count the primes below %llu, %llu and %llu; shares of %d numbers dealt round robin",
           (unsigned long long)R->hi[0], (unsigned long long)R->hi[1], (unsigned long long)R->hi[2], MP_PRIME_BLOCK);
    mp_say("the kit's process pool (%s start) on the same shares: a plain loop, then pools of 1..%d workers, made "
           "beforehand", mp_start_names[L->o.start], R->ranks);
    measure_pool(L, R);
    mp_say("MPI: every job on 1..%d ranks in one launch; the ranks not counting wait without spinning", R->ranks);
    measure_mpi(L, R);
    int n = R->ranks;
    CHECK(mp_measure(L->o.repeat < 3 ? 3 : L->o.repeat, idle_pool, &n, &R->pool_start, NULL));

    mp_table t;
    mp_table_header(&t, "job: loop ms|ranks|MPI ms|MPI speedup|pool ms|pool speedup");
    for (int j = 0; j < JOBS; j++)
        for (int k = 1; k <= R->ranks; k++)
            mp_table_row(&t, "%.1f|%d|%.1f|%.2f|%.1f|%.2f", R->serial[j].median * 1e3, k, R->mpi[j][k].median * 1e3,
                         R->mpi_speedup[j][k], R->pool[j][k].median * 1e3, R->pool_speedup[j][k]);
    mp_say("(MPI's speedup: its 1-rank time over its k-rank time; the pool's: the plain loop's over the pool's)");
    mp_say("every count matched the plain loop's: %s", R->counts_right ? "yes" : "NO");

    /* a job run once pays its start-up */
    mp_say("start-up: mpiexec of an empty %d-rank job %.0f ms (part 1); a pool of %d workers, started and joined "
           "idle, %.1f ms", H->ranks, H->launch.median * 1e3, n, R->pool_start.median * 1e3);
    mp_table_header(&t, "one-off job: loop ms|MPI + start-up ms|speedup|pool + start ms|speedup");
    for (int j = 0; j < JOBS; j++) {
        double m = H->launch.median + R->mpi[j][n].median, p = R->pool_start.median + R->pool[j][n].median;
        mp_table_row(&t, "%.1f|%.1f|%.2f|%.1f|%.2f", R->serial[j].median * 1e3, m * 1e3, R->serial[j].median / m,
                     p * 1e3, R->serial[j].median / p);
    }

    CHECK(mp_csv_row(&mpi_csv, "start-pool,%d,0,0,%.9f,0", n, R->pool_start.median));
    for (int j = 0; j < JOBS; j++) {
        double job_ns = R->serial[j].median * 1e9;
        CHECK(mp_csv_row(&mpi_csv, "primes-serial,1,0,%.0f,%.9f,1", job_ns, R->serial[j].median));
        for (int k = 1; k <= n; k++) {
            CHECK(mp_csv_row(&mpi_csv, "primes-mpi,%d,0,%.0f,%.9f,%.6g", k, job_ns, R->mpi[j][k].median,
                             R->mpi_speedup[j][k]));
            CHECK(mp_csv_row(&mpi_csv, "primes-pool,%d,0,%.0f,%.9f,%.6g", k, job_ns, R->pool[j][k].median,
                             R->pool_speedup[j][k]));
        }
        double m = H->launch.median + R->mpi[j][n].median, p = R->pool_start.median + R->pool[j][n].median;
        CHECK(mp_csv_row(&mpi_csv, "primes-mpi-oneoff,%d,0,%.0f,%.9f,%.6g", n, job_ns, m, R->serial[j].median / m));
        CHECK(mp_csv_row(&mpi_csv, "primes-pool-oneoff,%d,0,%.0f,%.9f,%.6g", n, job_ns, p, R->serial[j].median / p));
    }
    plot(L, R);
}
