/* Exercise 06.1 -- where does the pool start to pay off? (solution) */
#include <math.h>

#include "ex1-breakeven.h"

double breakeven(const double *cost_ns, const double *serial_s, const double *pool_s, int n)
{
    if (n < 1)
        return NAN;
    int below = -1; /* the last row where the pool is slower */
    for (int i = 0; i < n; i++)
        if (serial_s[i] / pool_s[i] < 1.0)
            below = i;
    if (below < 0)
        return cost_ns[0];
    if (below == n - 1)
        return INFINITY;
    double sa = serial_s[below] / pool_s[below], sb = serial_s[below + 1] / pool_s[below + 1];
    double la = log(cost_ns[below]), lb = log(cost_ns[below + 1]);
    double f = sb > sa ? (1.0 - sa) / (sb - sa) : 1.0;
    return exp(la + f * (lb - la));
}
