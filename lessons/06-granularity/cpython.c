/* Lesson 06, part 6 -- the sweep in CPython, beside the C.
 *
 * cpython_granularity.py runs multiprocessing.Pool and ThreadPool on the
 * same task costs with the same task counts (every other point of part 1
 * from 1 us up: a Python call alone costs about that), T4-style (start,
 * map with the default chunksize, close, join), with the lesson's --repeat
 * and --start. Its speedups go into granularity.csv beside the C rows, and
 * its break-evens beside the C pools' (chunksize default: what map uses). */
#include <math.h>
#include <stdio.h>

#include "lesson06.h"

static int backend_of(const char *name)
{
    return !strcmp(name, "cpython-process") ? PY_PROCESS : !strcmp(name, "cpython-thread") ? PY_THREAD : -1;
}

void part_cpython(mp_lesson *L, const sweep_result *S, py_result *R)
{
    mp_lesson_part(L, "6. CPython side by side: multiprocessing.Pool and ThreadPool on the same sweep");
    *R = (py_result){0};
    size_t tasks[SWEEP_MAX];
    char costs[512] = "", counts[512] = "", workers[16];
    for (int i = 0; i < S->points; i++) {
        bool last = i == S->points - 1;
        if (S->cost_ns[i] < 1e3 || (!last && (S->points - 1 - i) % 2))
            continue;
        R->cost_ns[R->points] = S->cost_ns[i];
        tasks[R->points++] = S->c[0][0].tasks[i];
        size_t a = strlen(costs), b = strlen(counts);
        snprintf(costs + a, sizeof costs - a, "%s%.0f", a ? "," : "", S->cost_ns[i]);
        snprintf(counts + b, sizeof counts - b, "%s%zu", b ? "," : "", S->c[0][0].tasks[i]);
    }
    snprintf(workers, sizeof workers, "%d", S->workers);
    char *args[] = {"--costs", costs, "--tasks", counts, "--workers", workers, NULL};
    mp_python py;
    if (!mp_python_start(L, &py, "lessons/06-granularity/cpython_granularity.py", args, &R->missing)) {
        R->breakeven_ns[PY_PROCESS] = R->breakeven_ns[PY_THREAD] = NAN;
        return;
    }
    mp_stats serial[SWEEP_MAX] = {{0}}, par[NPY][SWEEP_MAX] = {{{0}}};
    int got = 0;
    char line[256];
    while (mp_python_line(&py, line, sizeof line)) {
        char name[32];
        double c, med, lo, hi;
        size_t n, cs;
        int k;
        if (sscanf(line, "start,%31[^,],%lf,%lf,%lf", name, &med, &lo, &hi) == 4 && backend_of(name) == PY_PROCESS)
            R->start_ns = med * 1e9;
        else if (sscanf(line, "serial,%lf,%zu,%lf,%lf,%lf", &c, &n, &med, &lo, &hi) == 5) {
            for (int i = 0; i < R->points; i++)
                if (fabs(R->cost_ns[i] - c) < 1)
                    serial[i] = (mp_stats){lo, med, hi, (size_t)L->o.repeat};
        } else if (sscanf(line, "%31[^,],%lf,%zu,%zu,%lf,%lf,%lf", name, &c, &n, &cs, &med, &lo, &hi) == 7 &&
                   (k = backend_of(name)) >= 0) {
            for (int i = 0; i < R->points; i++)
                if (fabs(R->cost_ns[i] - c) < 1 && serial[i].median > 0) {
                    par[k][i] = (mp_stats){lo, med, hi, (size_t)L->o.repeat};
                    R->speedup[k][i] = serial[i].median / med;
                    R->spread[k][i] = fmax(mp_spread(&serial[i]), mp_spread(&par[k][i]));
                    double over = mp_overhead_per_task(med * 1e9, k == PY_PROCESS ? R->start_ns : 0, c, n,
                                                       S->usable);
                    CHECK(mp_csv_row(&gran_csv, "%s,%.0f,%d,%zu,%.6f,%.4f,%.0f", name, c, S->workers, cs, med,
                                     R->speedup[k][i], over));
                    got++;
                }
        }
    }
    int st = mp_python_end(&py);
    snprintf(R->version, sizeof R->version, "%s", py.version);
    if (st != 0 || got != NPY * R->points) {
        mp_say("the CPython script failed (exit code %d) or printed too little: no comparison", st);
        R->missing = "the CPython script failed";
        R->breakeven_ns[PY_PROCESS] = R->breakeven_ns[PY_THREAD] = NAN;
        return;
    }
    mp_table t;
    mp_table_header(&t, "task|tasks|CPython serial ms|Pool speedup|ThreadPool speedup|C process-fork (default)");
    for (int i = 0; i < R->points; i++) {
        char c[32];
        double cfork = NAN;
        for (int j = 0; j < S->points; j++)
            if (S->cost_ns[j] == R->cost_ns[i])
                cfork = S->c[W_FORK][CS_DEFAULT].speedup[j];
        mp_table_row(&t, "%s|%zu|%.2f|%.3f|%.3f|%.2f", mp_ns_text(R->cost_ns[i], c, sizeof c), tasks[i],
                     serial[i].median * 1e3, R->speedup[PY_PROCESS][i], R->speedup[PY_THREAD][i], cfork);
    }
    for (int k = 0; k < NPY; k++)
        R->breakeven_ns[k] = mp_breakeven(R->cost_ns, R->speedup[k], R->points);
    char a[32], b[32];
    mp_say("CPython %s: Pool() starts, closes and joins in %.1f ms; break-even: Pool %s, ThreadPool %s (the GIL: "
           "one thread runs Python at a time)", R->version, R->start_ns / 1e6,
           mp_ns_text(R->breakeven_ns[PY_PROCESS], a, sizeof a), mp_ns_text(R->breakeven_ns[PY_THREAD], b, sizeof b));
    mp_cost_series s[] = {
        {"C thread pool", S->points, S->cost_ns, S->c[W_THREAD][CS_DEFAULT].speedup, false},
        {"C process pool (fork)", S->points, S->cost_ns, S->c[W_FORK][CS_DEFAULT].speedup, false},
        {"CPython Pool", R->points, R->cost_ns, R->speedup[PY_PROCESS], false},
        {"CPython ThreadPool", R->points, R->cost_ns, R->speedup[PY_THREAD], false},
    };
    mp_cost_plot(L->o.out, "cpython", "lesson 06: C pools against CPython's (default chunksize, pool start included)", NULL,
                 s, 4, 0, NULL, L->o.no_plot);
}
