/* Exercise 07.2 -- the forgotten end: EOF comes when *every* copy of the
 * write end is closed.
 *
 * (Solution.) Three places held a write end they did not use: the parent
 * kept both write ends open while it waited for EOF, and the squarer,
 * started with inherit_fds (as Python's fork does: every descriptor is
 * copied), kept its own copy of the numbers' write end, so it waited for
 * an EOF that it was itself holding back.
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
    /* no inherit_fds: the squarer gets the two ends it uses, nothing else */
    rc = mp_process_start(&prod);
    bool prod_started = rc == 0;
    if (rc == 0)
        rc = mp_process_start(&sq);
    bool sq_started = prod_started && rc == 0;

    /* The children hold their copies now: close ours of every end we do not
     * use, after the starts that handed them over. Our copy of sq_w open
     * would keep our own recv below from ever seeing EOF. */
    mp_conn_close(&num_r);
    mp_conn_close(&num_w);
    mp_conn_close(&sq_w);

    int count = 0;
    if (rc == 0) {
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
    if (prod_started)
        mp_process_join(&prod, MP_FOREVER);
    if (sq_started)
        mp_process_join(&sq, MP_FOREVER);
    if (rc == 0 && (prod.exitcode != 0 || sq.exitcode != 0))
        rc = -EPROTO; /* a stage failed: its squares are not all there */
    return rc != 0 ? rc : count;
}
