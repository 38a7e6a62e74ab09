/* Exercise 06.1: the break-even from a table of timings. The interface the
 * tests, the exercise and the solution share. */
#ifndef EX1_BREAKEVEN_H
#define EX1_BREAKEVEN_H

/* n rows of a sweep, task costs ascending: the serial loop's time and the
 * pool's time for each cost (any unit, the same for both). The task cost at
 * which the pool starts to pay off: where the speedup serial / pool last
 * crosses 1, interpolated linearly in log(cost) between the last row below 1
 * and the row after it. cost[0] if the pool is never slower (it paid off
 * from the first row); INFINITY if the last row is still below 1; NAN for
 * n < 1. */
double breakeven(const double *cost_ns, const double *serial_s, const double *pool_s, int n);

#endif
