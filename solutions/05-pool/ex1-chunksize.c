/* Exercise 05.1 -- how big are map's chunks? (solved)
 *
 * Pool.map(f, items) does not send the items one by one: it cuts them into
 * chunks, and a worker takes a whole chunk at a time. One item per message
 * would make tiny tasks cost a round trip each (lesson 05 part 1: T4's
 * factorials); one chunk per worker would leave a worker idle while
 * another finishes a chunk of slow items. Python's compromise, in
 * Pool._map_async, is about four chunks per worker:
 *
 *     chunksize, extra = divmod(len(iterable), len(self._pool) * 4)
 *     if extra:
 *         chunksize += 1
 *     if len(iterable) == 0:
 *         chunksize = 0
 *
 * default_chunksize(): that formula, for n items and `workers` workers.
 * chunk_count(): how many chunks n items make with a given chunksize
 * (Python's _get_tasks yields them; the last one may be short).
 *
 * Predict before you run the tests: 4 items on 3 workers (T0's example)?
 * 100 items on 2 workers (T4's)? 1000 on 20 (T2's Pool(20))?
 * Test: make check-5 EX=1
 */
#include "ex1-chunksize.h"

size_t default_chunksize(size_t n, int workers)
{
    size_t per = (size_t)workers * 4;
    size_t chunksize = n / per, extra = n % per;
    if (extra)
        chunksize++;
    return chunksize; /* n == 0: 0 / per = 0, no remainder */
}

size_t chunk_count(size_t n, size_t chunksize)
{
    return n / chunksize + (n % chunksize != 0);
}
