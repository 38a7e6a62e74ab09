/* Exercise 06.1 -- where does the pool start to pay off?
 *
 * Lesson 06 sweeps the cost of one task and times the serial loop and a
 * pool at each cost. The speedup serial / pool rises with the cost: below
 * 1 the pool is slower, above 1 it pays. The break-even is where it
 * crosses 1 -- and since a noisy run can dip below 1 again after a first
 * crossing, it is where it crosses for the LAST time: from there on the
 * pool is never slower.
 *
 * Between two rows the crossing is interpolated on a log scale of cost
 * (the rows are a decade apart: 100 ns, 1 us, 10 us, ...). With a the last
 * row below 1 and b the row after it:
 *
 *     f = (1 - speedup[a]) / (speedup[b] - speedup[a])
 *     log(c*) = log(cost[a]) + f * (log(cost[b]) - log(cost[a]))
 *
 * Predict before you run the tests: speedups 0.5 at 1 us and 1.5 at 10 us
 * give what break-even? (Not 5.5 us.)
 * Test: make check-6 EX=1
 */
#include <math.h>

#include "ex1-breakeven.h"

double breakeven(const double *cost_ns, const double *serial_s, const double *pool_s, int n)
{
    /* TODO: the speedups, the last row below 1, and the interpolation */
    (void)cost_ns;
    (void)serial_s;
    (void)pool_s;
    (void)n;
    return NAN;
}
