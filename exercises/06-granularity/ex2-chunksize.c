/* Exercise 06.2 -- make tiny tasks pay off.
 *
 * A process pool ships each chunk of tasks to a worker and each chunk of
 * results back: a copy, a message, a wake-up, a few microseconds per chunk
 * whatever is in it. With chunksize 1 every 200 ns task pays its share of
 * that in full, and the pool is several times slower than a plain loop
 * (lesson 06, part 3). Put many tasks in one chunk and they share the cost.
 *
 * But not too many: the pool hands out whole chunks, so with fewer chunks
 * than workers some workers get nothing, and with one chunk per worker a
 * worker that is slowed down (another program wants its CPU) holds up the
 * end of the map while the others sit idle.
 *
 * choose_chunksize(): the chunksize for n tiny tasks on `workers` workers.
 * The test times your choice on a process pool of 2 workers against the
 * serial loop and against chunksize 1, in the same run.
 *
 * Predict before you run the tests: for 50,000 tasks of 200 ns on 2
 * workers, how many chunks does your choice make, and how many microseconds
 * of shipping cost per chunk can the map afford before it loses to the loop?
 * Test: make check-6 EX=2
 */
#include "ex2-chunksize.h"

size_t choose_chunksize(size_t n, int workers)
{
    /* TODO: enough tasks per chunk to share the cost of a message, and
     * enough chunks that every worker gets a few */
    (void)n;
    (void)workers;
    return 1;
}
