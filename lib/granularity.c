/* granularity: the break-even finder and the overhead model (granularity.h). */
#include "granularity.h"
#include <math.h>
#include <stdlib.h>

void mp_log_steps(double lo, double hi, int n, double *out)
{
    if (n <= 0)
        return;
    if (n == 1) {
        out[0] = lo;
        return;
    }
    double step = log(hi / lo) / (n - 1);
    for (int i = 0; i < n; i++)
        out[i] = lo * exp(step * i);
    out[n - 1] = hi; /* exactly, not lo * exp(...) rounded */
}

double mp_breakeven(const double *cost_ns, const double *speedup, int n)
{
    if (n < 1)
        return NAN;
    int last_below = -1;
    for (int i = 0; i < n; i++)
        if (speedup[i] < 1.0)
            last_below = i;
    if (last_below < 0)
        return cost_ns[0];
    if (last_below == n - 1)
        return INFINITY;
    /* between a (below 1) and b (at or above 1), in log(cost) */
    double la = log(cost_ns[last_below]), lb = log(cost_ns[last_below + 1]);
    double sa = speedup[last_below], sb = speedup[last_below + 1];
    double f = sb > sa ? (1.0 - sa) / (sb - sa) : 1.0;
    return exp(la + f * (lb - la));
}

double mp_model_time_ns(const mp_cost_model *m, double task_ns, size_t n)
{
    int w = m->workers > 0 ? m->workers : 1;
    return m->start_ns + (double)n * (task_ns / w + m->overhead_ns);
}

double mp_model_speedup(const mp_cost_model *m, double task_ns, size_t n)
{
    double t = mp_model_time_ns(m, task_ns, n);
    return t > 0 ? (double)n * task_ns / t : 0;
}

double mp_model_breakeven(const mp_cost_model *m, size_t n)
{
    if (m->workers <= 1)
        return INFINITY;
    double per_task = m->overhead_ns + (n > 0 ? m->start_ns / (double)n : m->start_ns);
    return per_task / (1.0 - 1.0 / m->workers);
}

double mp_overhead_per_task(double total_ns, double start_ns, double task_ns, size_t n, int workers)
{
    if (n == 0)
        return 0;
    int w = workers > 0 ? workers : 1;
    double o = (total_ns - start_ns - (double)n * task_ns / w) / (double)n;
    return o > 0 ? o : 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

mp_cost_model mp_model_fit(double start_ns, int workers, const size_t *n, const double *task_ns,
                           const double *total_ns, int points, double max_task_ns)
{
    mp_cost_model m = {.start_ns = start_ns, .overhead_ns = 0, .workers = workers};
    double *o = malloc(sizeof *o * (size_t)(points > 0 ? points : 1));
    if (!o)
        return m;
    int k = 0;
    for (int i = 0; i < points; i++)
        if (task_ns[i] <= max_task_ns)
            o[k++] = mp_overhead_per_task(total_ns[i], start_ns, task_ns[i], n[i], workers);
    if (k == 0)
        for (int i = 0; i < points; i++)
            o[k++] = mp_overhead_per_task(total_ns[i], start_ns, task_ns[i], n[i], workers);
    if (k > 0) {
        qsort(o, (size_t)k, sizeof *o, by_value);
        m.overhead_ns = k % 2 ? o[k / 2] : (o[k / 2 - 1] + o[k / 2]) / 2;
    }
    free(o);
    return m;
}
