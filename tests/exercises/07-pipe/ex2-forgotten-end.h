/* A two-stage pipeline (exercise 07.2): the interface the tests, the
 * exercise and the solution share, so it lives with the tests. */
#ifndef EX2_FORGOTTEN_END_H
#define EX2_FORGOTTEN_END_H

#include <stdint.h>

/* A producer child sends the numbers 0..n-1; a squarer child receives them
 * until EOF and sends on each one's square; the parent receives the squares
 * until EOF into squares[] (cap of them), joins both children and closes
 * every end. Returns how many squares arrived, or a -errno. */
int run_pipeline(int n, int64_t *squares, int cap);

#endif
