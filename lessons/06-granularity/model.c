/* Lesson 06, part 2 -- a model of the sweep: start + per-task overhead.
 *
 * Each way is two numbers (lib/granularity.h):
 *   start     the idle pool's start, close and join, measured in part 1;
 *   overhead  what each task costs beyond its work and is not shared out:
 *             fitted to the small tasks of this run's chunksize-1 curve.
 * n tasks of cost c on w workers then take start + n (c / w + overhead),
 * and the speedup is n c over that. The model's curve is drawn beside the
 * measurement, and its break-even (where it crosses 1, with the same task
 * counts as the sweep) is set beside the measured one. */
#include <math.h>

#include "lesson06.h"

#define MODEL_GRID 64

void part_model(mp_lesson *L, const sweep_result *S, model_result *R)
{
    mp_lesson_part(L, "2. A cost model: start + n x (task / workers + overhead), fitted and compared");
    *R = (model_result){0};
    double grid[MODEL_GRID], model_speedup[NWAYS][MODEL_GRID];
    mp_log_steps(S->cost_ns[0], S->cost_ns[S->points - 1], MODEL_GRID, grid);
    /* the small tasks: those that the sweep runs at its largest count */
    double small = S->work_ns / (double)S->hi_tasks;
    mp_table t;
    mp_table_header(&t, "way|start ms|overhead per task|predicted break-even|measured|measured / predicted");
    for (int w = 0; w < NWAYS; w++) {
        const curve *cv = &S->c[w][CS_ONE];
        double total_ns[SWEEP_MAX];
        for (int i = 0; i < cv->points; i++)
            total_ns[i] = cv->time[i].median * 1e9;
        R->m[w] = mp_model_fit(S->start_ns[w], S->usable, cv->tasks, cv->cost_ns, total_ns, cv->points, small);
        for (int g = 0; g < MODEL_GRID; g++)
            model_speedup[w][g] =
                mp_model_speedup(&R->m[w], grid[g], tasks_for(grid[g], S->work_ns, S->lo_tasks, S->hi_tasks));
        R->predicted_ns[w] = mp_breakeven(grid, model_speedup[w], MODEL_GRID);
        R->measured_ns[w] = cv->breakeven_ns;
        char p[32], m[32], o[32];
        mp_table_row(&t, "%s|%.2f|%s|%s|%s|%.2f", way_names[w], R->m[w].start_ns / 1e6,
                     mp_ns_text(R->m[w].overhead_ns, o, sizeof o), mp_ns_text(R->predicted_ns[w], p, sizeof p),
                     mp_ns_text(R->measured_ns[w], m, sizeof m), R->measured_ns[w] / R->predicted_ns[w]);
        CHECK(mp_csv_row(&model_csv, "%s,%.1f,%.0f,%.0f,%.0f", way_names[w], R->m[w].start_ns / 1e3,
                         R->m[w].overhead_ns, R->predicted_ns[w], R->measured_ns[w]));
    }
    mp_say("(chunksize 1, %d workers of which %d can run at once; the overhead is the median over the tasks of at "
           "most %.0f ns)", S->workers, S->usable, small);
    mp_say("What the model leaves out: the time a task waits for a worker that is still busy (chunks of unequal "
           "end), the cost of the first touch of memory in a new worker, the CPU the pool's own manager thread takes "
           "from the workers on a machine with few CPUs, and everything else on the machine.");

    mp_cost_series s[2 * NWAYS];
    for (int w = 0; w < NWAYS; w++) {
        s[2 * w] = (mp_cost_series){S->c[w][CS_ONE].name, S->points, S->c[w][CS_ONE].cost_ns, S->c[w][CS_ONE].speedup,
                                 false};
        static char titles[NWAYS][48];
        snprintf(titles[w], sizeof titles[w], "model: %s", way_names[w]);
        s[2 * w + 1] = (mp_cost_series){titles[w], MODEL_GRID, grid, model_speedup[w], true};
    }
    mp_cost_plot(L->o.out, "model", "lesson 06: measured (chunksize 1) and the start + overhead model", NULL, s, 2 * NWAYS, 0,
                 NULL, L->o.no_plot);
}
