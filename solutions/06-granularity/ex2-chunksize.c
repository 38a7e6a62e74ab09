/* Exercise 06.2 -- make tiny tasks pay off (solution).
 *
 * Python's own answer works: about four chunks per worker (Pool.map's
 * default), so every worker gets several and a slow one holds up the end
 * by a quarter of its share at most. For 50,000 tasks on 2 workers: 6,250
 * tasks per chunk, 8 chunks, 8 messages each way instead of 50,000. */
#include "ex2-chunksize.h"

size_t choose_chunksize(size_t n, int workers)
{
    size_t per = (size_t)workers * 4;
    size_t c = n / per + (n % per != 0);
    return c ? c : 1;
}
