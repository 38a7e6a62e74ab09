/* Exercise 07.2 -- the forgotten end: EOF comes when *every* copy of the
 * write end is closed.
 *
 * run_pipeline() builds a two-stage pipeline with the kit's Pipe (lesson
 * 07, lessons/07-pipe/: the part on EOF and the ends; lib/pipe.h):
 *
 *     producer --numbers--> squarer --squares--> parent
 *
 * Each reader receives until EOF (MP_CONN_EOF): that is how it learns the
 * stage before it is done. The kernel says EOF only once no process holds
 * the write end any more -- not the writer, not the reader itself, not a
 * bystander that got a copy. As shipped, the program sends every number and
 * every square, and then nobody ever sees EOF: it hangs.
 *
 * Find every process that holds a write end it does not use, and close that
 * copy at the right moment (a copy handed to a child with
 * mp_process_pass_fd must still be open when that child starts). Leave
 * nothing behind: both children joined, every end closed.
 * The tests give run_pipeline 5 seconds and then say what they saw.
 * Test: make check-7 EX=2
 */
#include "mp.h"

#include "ex2-forgotten-end.h"

/* The first stage: the numbers 0..n-1, one message each. */
static int producer(void *arg)
{
    int n = *(const int *)arg;
    mp_conn out;
    if (mp_conn_from_fd(&out, mp_child_fd(0), MP_CONN_SEND) != 0)
        return 1;
    for (int64_t i = 0; i < n; i++)
        if (mp_conn_send(&out, &i, sizeof i) != 0)
            return 2;
    mp_conn_close(&out);
    return 0;
}

/* The second stage: every number that comes in goes on as its square,
 * until the numbers end (EOF). */
static int squarer(void *arg)
{
    (void)arg;
    mp_conn in, out;
    if (mp_conn_from_fd(&in, mp_child_fd(0), MP_CONN_RECV) != 0 ||
        mp_conn_from_fd(&out, mp_child_fd(1), MP_CONN_SEND) != 0)
        return 1;
    int64_t x;
    size_t len;
    int rc;
    while ((rc = mp_conn_recv(&in, &x, sizeof x, &len)) == 0) {
        int64_t sq = x * x;
        if (len != sizeof x || mp_conn_send(&out, &sq, sizeof sq) != 0)
            return 2;
    }
    mp_conn_close(&in);
    mp_conn_close(&out);
    return rc == MP_CONN_EOF ? 0 : 3;
}

int run_pipeline(int n, int64_t *squares, int cap)
{
    mp_conn num_r, num_w, sq_r, sq_w; /* numbers: producer -> squarer; squares: squarer -> us */
    int rc = mp_pipe(&num_r, &num_w, false);
    if (rc != 0)
        return rc;
    rc = mp_pipe(&sq_r, &sq_w, false);
    if (rc != 0) {
        mp_conn_close(&num_r);
        mp_conn_close(&num_w);
        return rc;
    }

    mp_process prod, sq;
    mp_process_init(&prod, "producer", producer, &n);
    mp_process_pass_fd(&prod, num_w.fd);
    mp_process_init(&sq, "squarer", squarer, NULL);
    mp_process_pass_fd(&sq, num_r.fd);
    mp_process_pass_fd(&sq, sq_w.fd);
    /* Python's fork copies every descriptor into the child: do the same, so
     * the squarer surely has what it needs. TODO: what else does it get? */
    sq.inherit_fds = true;
    rc = mp_process_start(&prod);
    bool prod_started = rc == 0;
    if (rc == 0)
        rc = mp_process_start(&sq);
    bool sq_started = prod_started && rc == 0;

    int count = 0;
    if (rc == 0) {
        /* TODO: which ends does the parent still hold here? */
        int64_t v;
        size_t len;
        while ((rc = mp_conn_recv(&sq_r, &v, sizeof v, &len)) == 0) {
            if (count < cap)
                squares[count] = v;
            count++;
        }
        if (rc == MP_CONN_EOF)
            rc = 0;
    }
    mp_conn_close(&sq_r);
    mp_conn_close(&num_r);
    mp_conn_close(&num_w);
    mp_conn_close(&sq_w);
    if (prod_started)
        mp_process_join(&prod, MP_FOREVER);
    if (sq_started)
        mp_process_join(&sq, MP_FOREVER);
    if (rc == 0 && (prod.exitcode != 0 || sq.exitcode != 0))
        rc = -EPROTO; /* a stage failed: its squares are not all there */
    return rc != 0 ? rc : count;
}
