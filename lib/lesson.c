#include "lesson.h"

#include <errno.h>

#include "cpus.h"
#include "plot.h"
#include "process.h"
#include "trace.h"

bool mp_lesson_begin(mp_lesson *L, const mp_cli *cli, int argc, char **argv, int *status)
{
    L->cli = cli;
    if (!mp_cli_parse(cli, argc, argv, &L->o, status))
        return false;
    int rc = mp_mkdirs(L->o.out);
    if (rc != 0) {
        fprintf(stderr, "%s: --out '%s': cannot create it: %s\n", cli->prog, L->o.out, strerror(-rc));
        *status = 2;
        return false;
    }
    mp_set_role("main");
    mp_set_start_method(L->o.start);
    mp_say("%s: %s", cli->prog, cli->summary);
    mp_say("CPUs online %d, usable by this process %d; workers %d, max workers %d, repeat %d, start %s%s",
           mp_cpus_online(), mp_cpus_usable(), L->o.workers, L->o.max_workers, L->o.repeat,
           mp_start_names[L->o.start], L->o.quick ? ", quick" : "");
    mp_say("data and plots go to %s/", L->o.out);
    /* The log is made before any worker starts, so every child shares it. */
    if (mp_trace_init(0, 0) == 0)
        mp_trace_enable(L->o.trace);
    L->t0 = mp_now_ns();
    return true;
}

int mp_lesson_end(mp_lesson *L)
{
    if (L->o.trace) {
        mp_trace_enable(false);
        mp_trace_write(L->o.out, "trace-all", "every recorded task (--trace)", L->o.no_plot);
    }
    mp_trace_close();
    mp_say("done in %.1f s; CSV data%s in %s/", mp_ns_to_s(mp_now_ns() - L->t0),
           L->o.no_plot || !mp_have_gnuplot() ? "" : " and plots", L->o.out);
    return 0;
}

int mp_measure(int repeat, void (*run)(void *), void *arg, mp_stats *wall, mp_stats *cpu)
{
    if (repeat < 1)
        return -EINVAL;
    double *w = malloc((size_t)repeat * 2 * sizeof *w);
    if (!w)
        return -ENOMEM;
    double *c = w + repeat;
    for (int i = 0; i < repeat; i++) {
        uint64_t c0 = mp_process_cpu_ns() + mp_children_cpu_ns();
        uint64_t t0 = mp_now_ns();
        run(arg);
        w[i] = mp_ns_to_s(mp_now_ns() - t0);
        c[i] = mp_ns_to_s(mp_process_cpu_ns() + mp_children_cpu_ns() - c0);
    }
    int rc = mp_stats_of(w, (size_t)repeat, wall);
    if (rc == 0 && cpu)
        rc = mp_stats_of(c, (size_t)repeat, cpu);
    free(w);
    return rc;
}
