/* Lesson 03, part 6 -- does the simulation behave like the real thing?
 *
 * lessons/03-gil/cpython_gil.py runs the same countdown (1 thread, N
 * threads, N processes) and the same convoy (os.write then os.read to a
 * server process, beside a CPU-bound thread at the same switch intervals)
 * in the CPython on this machine, with the same --workers, --repeat and
 * --start; the lesson reads its numbers and draws them beside its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lesson03.h"

/* Where a line of the script's output goes in the result. */
static py_value *slot_for(cpython_result *P, const char *exp, const char *setup)
{
    if (!strcmp(exp, "countdown"))
        return !strcmp(setup, "sequential") ? &P->seq : !strcmp(setup, "threads") ? &P->threads
             : !strcmp(setup, "processes") ? &P->procs : NULL;
    if (!strcmp(setup, "alone"))
        return &P->alone;
    if (!strcmp(setup, "process"))
        return &P->process;
    long us;
    if (sscanf(setup, "threads-%ld", &us) == 1)
        for (int i = 0; i < P->nbeside; i++)
            if (P->beside_us[i] == us)
                return &P->beside[i];
    return NULL;
}

/* Both charts: one for ratios (the countdown), one for microseconds (the
 * convoy), each quantity on its own axis. */
static void charts(mp_lesson *L, const countdown_result *C, const convoy_result *V, const cpython_result *P)
{
    char dat[PATH_MAX];
    FILE *f = bars_create(L->o.out, "vs-cpython-countdown.dat", dat, sizeof dat,
                          "run simulation min max CPython min max");
    if (!f)
        return;
    double seq = C->wall[R_SEQ].median, pseq = P->seq.median;
    const mp_stats *w[2] = {&C->wall[R_NEW], &C->wall[R_PROC]};
    const py_value *p[2] = {&P->threads, &P->procs};
    for (int i = 0; i < 2; i++)
        fprintf(f, "\"%d %s / 1 thread\" %.4f %.4f %.4f %.4f %.4f %.4f\n", C->threads, i ? "processes" : "threads",
                w[i]->median / seq, w[i]->min / seq, w[i]->max / seq, p[i]->median / pseq, p[i]->min / pseq,
                p[i]->max / pseq);
    if (mp_file_close(f, dat) == 0)
        mp_plot_png("bars.gp", dat, L->o.out, "vs-cpython-countdown",
                    "lesson 03: the countdown, the simulation (new lock) next to CPython",
                    "ylabel='time / 1 thread (lower is faster; bars: min to max)'; nseries=2; ref=1", L->o.no_plot);

    f = bars_create(L->o.out, "vs-cpython-convoy.dat", dat, sizeof dat, "setup simulation min max CPython min max");
    if (!f)
        return;
    for (int i = 0; i < V->n; i++) {
        const convoy_row *r = &V->row[i];
        const py_value *v = i == V->alone ? &P->alone : i == V->process ? &P->process : NULL;
        for (int b = 0; b < P->nbeside && !v; b++)
            if (r->cpu_threads == 1 && r->setup[0] == 't' && P->beside_us[b] == r->interval_us)
                v = &P->beside[b];
        if (!v || !v->have)
            continue;
        if (i == V->alone)
            fprintf(f, "\"alone\"");
        else if (i == V->process)
            fprintf(f, "\"CPU work in a process\"");
        else
            fprintf(f, "\"1 CPU thread, %g ms\"", r->interval_us / 1000.0);
        fprintf(f, " %.1f %.1f %.1f %.1f %.1f %.1f\n", r->median_us, r->batches.min, r->batches.max, v->median, v->min,
                v->max);
    }
    if (mp_file_close(f, dat) == 0)
        mp_plot_png("bars.gp", dat, L->o.out, "vs-cpython-convoy",
                    "lesson 03: the convoy, the simulation next to CPython",
                    "ylabel='latency of one request (us, log scale; bars: batch medians)'; nseries=2; logy=1",
                    L->o.no_plot);
}

void part_cpython(mp_lesson *L, const countdown_result *C, const convoy_result *V, cpython_result *P)
{
    mp_lesson_part(L, "6. the same in real CPython");
    *P = (cpython_result){0};
    /* the convoy's intervals, beside 1 CPU thread, in the same order */
    char intervals[128] = "";
    for (int i = 0; i < V->n && P->nbeside < CONVOY_MAX_ROWS; i++) {
        const convoy_row *r = &V->row[i];
        if (r->setup[0] != 't' || r->cpu_threads != 1)
            continue;
        P->beside_us[P->nbeside++] = r->interval_us;
        size_t len = strlen(intervals);
        snprintf(intervals + len, sizeof intervals - len, "%s%ld", len ? "," : "", r->interval_us);
    }
    char workers[16];
    snprintf(workers, sizeof workers, "%d", C->threads);
    char *args[] = {"--workers", workers, "--intervals", intervals, NULL};
    mp_python py;
    if (!mp_python_start(L, &py, "lessons/03-gil/cpython_gil.py", args, &P->missing))
        return;
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "cpython.csv", "experiment,setup,median,unit,min,max"));
    mp_table t;
    mp_table_header(&t, "CPython   |setup         |median|min|max|unit");
    char line[256];
    while (mp_python_line(&py, line, sizeof line)) {
        char exp[32], setup[32], unit[8];
        double v, lo, hi;
        if (sscanf(line, "%31[^,],%31[^,],%lf,%lf,%lf,%7s", exp, setup, &v, &lo, &hi, unit) != 6)
            continue;
        CHECK(mp_csv_row(&csv, "%s,%s,%.6f,%s,%.6f,%.6f", exp, setup, v, unit, lo, hi));
        mp_table_row(&t, "%s|%s|%.4g|%.4g|%.4g|%s", exp, setup, v, lo, hi, unit);
        py_value *slot = slot_for(P, exp, setup);
        if (slot)
            *slot = (py_value){v, lo, hi, true};
    }
    int st = mp_python_end(&py); /* its exit code, or -signal */
    snprintf(P->version, sizeof P->version, "%s", py.version);
    CHECK(mp_csv_close(&csv));
    bool complete = P->seq.have && P->threads.have && P->procs.have && P->alone.have && P->process.have;
    for (int i = 0; i < P->nbeside; i++)
        complete = complete && P->beside[i].have;
    if (st != 0 || !complete) {
        mp_say("the CPython script failed (exit code %d) or printed too little: no comparison", st);
        P->missing = "the CPython script failed";
        return;
    }
    P->missing = NULL;
    mp_say("CPython %s: countdown times in seconds, convoy latencies in microseconds", P->version);
    charts(L, C, V, P);
}
