/* Exercise 02.1's functions, and the comparison its tests use: shared by the
 * public tests (ex1-speedup.c) and the instructor-only ones
 * (ex1-speedup.instructor.c), which are linked into one binary. */
#ifndef EX1_SPEEDUP_H
#define EX1_SPEEDUP_H

#include <math.h>

double speedup(double serial_s, double parallel_s);
double efficiency(double speedup, int workers);
double amdahl_max_speedup(double serial_fraction, int workers);

/* a == b up to rounding; a failure says what a was */
#define NEAR(a, b)                                                                         \
    do {                                                                                   \
        double got_ = (a), want_ = (b);                                                    \
        if (!(fabs(got_ - want_) < 1e-9))                                                  \
            fail_msg("%s = %.10g, expected %.10g", #a, got_, want_);                       \
    } while (0)

#endif
