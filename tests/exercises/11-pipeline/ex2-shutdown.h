/* Exercise 11.2: the ordered shutdown. The interface the tests, the
 * exercise and the solution share. */
#ifndef EX2_SHUTDOWN_H
#define EX2_SHUTDOWN_H

#include <stdatomic.h>

#include "mp.h"

/* What the workers of one stage share. */
typedef struct stage_end {
    int workers;        /* how many take from the stage's input */
    atomic_int done;    /* how many have seen the end of it */
} stage_end;

/* Called by each worker of the stage once its input has ended (it has put
 * everything it took): the output must end, for the next stage -- but
 * only once every worker is done, or the others' items are lost. */
void worker_done(stage_end *e, mp_queue *out);

#endif
