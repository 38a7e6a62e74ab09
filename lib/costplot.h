/* costplot: speedup against the cost of one task, drawn.
 *
 * Layer 2 (records): the picture of a task-cost sweep (granularity.h holds
 * its arithmetic). No Python counterpart: it is the plot a Python tutorial
 * would draw with matplotlib on a log axis.
 *
 * Every lesson that sweeps the cost of a task (06 pools, 12 OpenMP, 13 MPI)
 * draws the same picture with plots/granularity.gp: speedup against task
 * cost, both axes logarithmic, one curve per way of running the tasks
 * (dashed for a model's curve), the line speedup = 1 (below it the parallel
 * way is slower than a plain loop), and each measured curve's break-even
 * (mp_breakeven: where it crosses 1 for the last time) as a dotted line in
 * its colour. DIR/STEM.dat holds the data, one block per series.
 */
#ifndef MP_COSTPLOT_H
#define MP_COSTPLOT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mp_cost_series {
    const char *title;        /* in the key: no ' or " in it */
    int points;
    const double *cost_ns;    /* ascending */
    const double *speedup;
    bool model;               /* a model's curve: dashed, no break-even marked */
} mp_cost_series;

/* Write DIR/STEM.dat and plot DIR/STEM.png (and the terminal plot unless
 * no_plot). xlabel NULL: "cost of one task (ns)". mark_label non-NULL: a
 * labelled vertical line at mark_x (no ' in the label). Returns as
 * mp_plot does: 0, 1 when the plot was skipped, -errno when the data could
 * not be written (reported with its path) or gnuplot failed. */
int mp_cost_plot(const char *dir, const char *stem, const char *title, const char *xlabel, const mp_cost_series *s,
                 int n, double mark_x, const char *mark_label, bool no_plot);

/* A task cost in words, for tables and verdicts: "350 ns", "1.2 us",
 * "4.5 ms"; INFINITY (a curve that never paid off): "beyond the sweep";
 * NAN: "not measured". Returns buf. */
const char *mp_ns_text(double ns, char *buf, size_t len);

#endif
