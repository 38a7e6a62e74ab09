/* Exercise 12.2: a critical section turned into a reduction. The interface
 * the tests, the exercise and the solution share. */
#ifndef EX2_REDUCTION_H
#define EX2_REDUCTION_H

typedef struct totals {
    long sum; /* x[0] + ... + x[n-1]; 0 when n == 0 */
    long max; /* the largest x[i]; LONG_MIN when n == 0 */
} totals;

/* The sum and the largest of x[0..n), computed by a parallel for on
 * `threads` OpenMP threads -- without taking a lock for each element. */
totals sum_and_max(const long *x, long n, int threads);

#endif
