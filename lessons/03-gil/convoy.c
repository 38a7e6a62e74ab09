/* Lesson 03, part 3 -- the convoy effect: what does a CPU-bound thread cost
 * an I/O-bound thread beside it?
 *
 * A thread sends requests to a "network" (a child process that answers each
 * one after 200 us) and waits for the answers: two blocking calls per round
 * trip, each releasing the lock around it (Py_BEGIN_ALLOW_THREADS) and
 * taking it back afterwards. Alone, a round trip costs the network's time.
 * Beside a CPU-bound thread, taking the lock back after the answer means
 * waiting for a drop request: about one switch interval (bpo-7946). The
 * same with more CPU-bound threads, and with the CPU work in a process of
 * its own (its own lock: no convoy).
 *
 * The lesson talks to the server over a socketpair and sends with
 * MSG_NOSIGNAL: if the server dies, a request fails with EPIPE (Python:
 * BrokenPipeError) instead of killing the lesson with SIGPIPE, and the
 * lesson says which server died and how, stops its CPU work, and exits 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lesson03.h"

#define SERVER_DELAY_US 200
#define ANSWER_TIMEOUT_S 5 /* a server that does not answer in this time is stuck */

/* The "network": answer each byte after SERVER_DELAY_US, until EOF. */
int server_main(void *arg)
{
    (void)arg;
    int sock = mp_child_fd(0);
    /* the lesson's end: a copy here would keep the connection open after
     * the lesson closed it, and we would never see EOF */
    close(mp_child_fd(1));
    for (;;) {
        char b;
        ssize_t n = recv(sock, &b, 1, 0);
        if (n == 0)
            return 0; /* EOF: the lesson is done with us */
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 1;
        mp_sleep_ns(SERVER_DELAY_US * 1000);
        if (send(sock, &b, 1, MSG_NOSIGNAL) != 1)
            return 1;
    }
}

/* ---- the CPU-bound work beside the I/O thread ---- */

typedef struct spinner { mp_gil *gil; atomic_bool *stop; } spinner;

/* `while not stop: n -= 1` under the lock */
static void *spin_thread(void *arg)
{
    spinner *c = arg;
    mp_gil_thread t;
    mp_gil_thread_init(c->gil, &t);
    return (void *)(uintptr_t)mp_gil_spin(c->gil, &t, c->stop);
}

/* The same in a process of its own, with its own lock. It spins until the
 * lesson terminates it: SIGTERM sets its stop flag, so it finishes its
 * tick, lets go of its lock (ending its span on a --trace timeline) and
 * exits. */
static atomic_bool terminated; /* lock-free: safe to set in a signal handler */

static void on_sigterm(int sig)
{
    (void)sig;
    atomic_store(&terminated, true);
}

int spin_process(void *arg)
{
    (void)arg;
    struct sigaction sa = {.sa_handler = on_sigterm};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0)
        return 3;
    mp_gil gil;
    if (mp_gil_init(&gil, MP_GIL_NEW, MP_GIL_DEFAULT_INTERVAL_US, MP_GIL_DEFAULT_CHECK) != 0)
        return 3;
    spinner c = {&gil, &terminated};
    spin_thread(&c);
    mp_gil_destroy(&gil);
    return 0;
}

typedef struct cpu_work {
    spinner spin;
    atomic_bool stop;
    mp_thread th[MAX_THREADS];
    int threads;
    mp_process proc;
    bool in_process;
} cpu_work;

static void cpu_start(cpu_work *w, mp_gil *gil, const convoy_row *row)
{
    atomic_store(&w->stop, false);
    w->spin = (spinner){gil, &w->stop};
    w->threads = row->setup[0] == 't' ? row->cpu_threads : 0;
    w->in_process = row->setup[0] == 'p';
    for (int i = 0; i < w->threads; i++) {
        char name[32];
        snprintf(name, sizeof name, "cpu-thread-%d", i + 1);
        mp_thread_init(&w->th[i], name, spin_thread, &w->spin);
        CHECK(mp_thread_start(&w->th[i]));
    }
    if (w->in_process) {
        mp_process_init(&w->proc, "cpu-process", spin_process, NULL);
        w->proc.daemon = true; /* whatever happens, it never outlives the lesson */
        CHECK(mp_process_start(&w->proc));
    }
}

/* Called without holding the lock: the spinners finish their tick and go. */
static void cpu_stop(cpu_work *w)
{
    atomic_store(&w->stop, true);
    for (int i = 0; i < w->threads; i++)
        CHECK(mp_thread_join(&w->th[i], NULL));
    if (w->in_process) { /* SIGTERM: it stops at its next tick; if not within 5 s, SIGKILL */
        CHECK(mp_process_terminate(&w->proc));
        if (mp_process_join(&w->proc, 5.0) == -ETIMEDOUT) {
            CHECK(mp_process_kill(&w->proc));
            CHECK(mp_process_join(&w->proc, MP_FOREVER));
        }
    }
}

/* ---- the round trips ---- */

typedef struct server { mp_process proc; int sock; } server;

/* os.write(conn, b"q"); os.read(conn, 1): each a blocking call with the
 * lock released around it. 0, or what went wrong in *doing and -errno
 * (-ENODATA: the server closed the connection). */
static int round_trip(mp_gil *gil, mp_gil_thread *me, int sock, const char **doing)
{
    char b = 'q';
    mp_gil_begin_blocking(gil, me); /* Py_BEGIN_ALLOW_THREADS */
    ssize_t n = send(sock, &b, 1, MSG_NOSIGNAL);
    int err = n == 1 ? 0 : errno;
    mp_gil_end_blocking(gil, me);   /* Py_END_ALLOW_THREADS: take the lock back */
    if (err) {
        *doing = "sending a request";
        return -err;
    }
    mp_gil_begin_blocking(gil, me);
    do
        n = recv(sock, &b, 1, 0);
    while (n < 0 && errno == EINTR);
    err = n == 1 ? 0 : n == 0 ? ENODATA : errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
    mp_gil_end_blocking(gil, me);
    *doing = "waiting for the answer";
    return -err;
}

/* The server failed us: say which one and how, and stop. The CPU work is
 * already stopped (its threads joined, its process terminated and joined). */
static _Noreturn void server_failed(server *srv, const char *doing, int err)
{
    char how[96];
    if (mp_process_join(&srv->proc, 1.0) == -ETIMEDOUT) { /* alive, but not answering */
        mp_process_kill(&srv->proc);
        mp_process_join(&srv->proc, MP_FOREVER);
        snprintf(how, sizeof how, "it did not answer within %d s, so the lesson killed it", ANSWER_TIMEOUT_S);
    } else if (srv->proc.exitcode < 0) {
        snprintf(how, sizeof how, "killed by signal %d (%s)", -srv->proc.exitcode, strsignal(-srv->proc.exitcode));
    } else {
        snprintf(how, sizeof how, "exit status %d", srv->proc.exitcode);
    }
    mp_error("the server (pid %d) ended: %s; the lesson was %s: %s", (int)srv->proc.pid, how, doing,
             err == ENODATA ? "the connection was closed" : strerror(err));
    mp_error("lesson 03 stops here: the convoy cannot be measured without its server");
    mp_lesson_abort();
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One setup: start its CPU work, make the round trips, stop the CPU work.
 * Latency: from sending a request to holding the lock again with the answer. */
static void measure(server *srv, convoy_row *row, int batches, long check)
{
    mp_gil gil;
    CHECK(mp_gil_init(&gil, MP_GIL_NEW, (uint64_t)row->interval_us, (uint32_t)check));
    cpu_work w;
    cpu_start(&w, &gil, row);
    mp_sleep_ns(10000000); /* let the CPU work get going */

    double *lat = calloc((size_t)row->requests, sizeof *lat);
    CHECK(lat ? 0 : -ENOMEM);
    mp_gil_thread me;
    mp_gil_thread_init(&gil, &me);
    mp_gil_acquire(&gil, &me);
    const char *doing = "";
    int rc = 0;
    for (int r = 0; r < row->requests && rc == 0; r++) {
        for (int k = 0; k < 50; k++) /* a little Python work between requests */
            mp_gil_tick(&gil, &me);
        uint64_t t0 = mp_now_ns();
        rc = round_trip(&gil, &me, srv->sock, &doing);
        lat[r] = (double)(mp_now_ns() - t0) / 1e3;
    }
    mp_gil_release(&gil, &me);
    cpu_stop(&w);
    mp_gil_destroy(&gil);
    if (rc != 0) {
        free(lat);
        server_failed(srv, doing, -rc);
    }
    /* each batch's median is one "run" of the setup: their spread is the noise */
    int per = row->requests / batches;
    double med[MP_MAX_REPEAT];
    for (int b = 0; b < batches; b++)
        med[b] = mp_quantile(lat + b * per, (size_t)(b == batches - 1 ? row->requests - b * per : per), 0.5);
    CHECK(mp_stats_of(med, (size_t)batches, &row->batches));
    qsort(lat, (size_t)row->requests, sizeof *lat, cmp_double);
    row->median_us = mp_quantile(lat, (size_t)row->requests, 0.5);
    row->p99_us = mp_quantile(lat, (size_t)row->requests, 0.99);
    free(lat);
}

/* ---- part 3 ---- */

static int add_row(convoy_result *R, const char *setup, long interval_us, int cpu_threads)
{
    convoy_row *r = &R->row[R->n];
    *r = (convoy_row){.interval_us = interval_us, .cpu_threads = cpu_threads};
    snprintf(r->setup, sizeof r->setup, "%s", setup);
    return R->n++;
}

static void start_server(server *srv)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0 ? 0 : -errno);
    /* a server that stops answering is reported, not waited for forever */
    struct timeval tv = {.tv_sec = ANSWER_TIMEOUT_S};
    CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 ? 0 : -errno);
    mp_process_init(&srv->proc, "server", server_main, NULL);
    mp_process_pass_fd(&srv->proc, sv[1]); /* its end */
    mp_process_pass_fd(&srv->proc, sv[0]); /* ours, for it to close */
    srv->proc.daemon = true; /* a helper: if the lesson stops early, terminate it instead of waiting */
    CHECK(mp_process_start(&srv->proc));
    close(sv[1]);
    srv->sock = sv[0];
}

void part_convoy(mp_lesson *L, const settings *s, convoy_result *R)
{
    int batch = L->o.quick ? 10 : 20, batches = L->o.repeat;
    double budget = L->o.quick ? 0.1 : 0.2; /* seconds per batch, at most, for the slow setups */
    mp_lesson_part(L, "3. the convoy effect: request/response round trips to a child answering after %d us, "
                   "beside CPU-bound work", SERVER_DELAY_US);
    *R = (convoy_result){0};
    R->alone = add_row(R, "alone", s->interval_us, 0);
    /* 1 CPU thread at the switch interval, then at shorter ones */
    static const long shorter[] = {1000, 100};
    R->one = R->shortest = add_row(R, "threads", s->interval_us, 1);
    for (int i = 0; i < 2; i++)
        if (shorter[i] < s->interval_us)
            R->shortest = add_row(R, "threads", shorter[i], 1);
    R->by_threads[R->nthreads++] = R->one;
    for (int k = 2; k <= s->cpu_threads; k *= 2)
        R->by_threads[R->nthreads++] = add_row(R, "threads", s->interval_us, k);
    R->process = add_row(R, "process", s->interval_us, 1);

    server srv;
    start_server(&srv);
    mp_say("the server: pid %d (a child process); the CPU work runs under a lock with the interval of each row",
           (int)srv.proc.pid);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "convoy.csv", "setup,interval_us,cpu_threads,median_us,p99_us,requests"));
    char dat[PATH_MAX];
    FILE *df = bars_create(L->o.out, "convoy.dat", dat, sizeof dat, "setup median p99");
    mp_table t;
    mp_table_header(&t, "setup   |interval us|CPU threads|requests|median us|p99 us|batches min-max us");
    for (int i = 0; i < R->n; i++) {
        convoy_row *r = &R->row[i];
        /* a request waits about one interval per CPU thread: fewer of them
         * where that would blow the time budget (never fewer than 3 a batch) */
        double expect_s = (SERVER_DELAY_US + (r->setup[0] == 't' ? r->cpu_threads * r->interval_us : 0)) / 1e6;
        int per = (int)(budget / expect_s);
        per = per > batch ? batch : per < 3 ? 3 : per;
        r->requests = per * batches;
        measure(&srv, r, batches, s->check);
        mp_table_row(&t, "%s|%ld|%d|%d|%.0f|%.0f|%.0f-%.0f", r->setup, r->interval_us, r->cpu_threads, r->requests,
                     r->median_us, r->p99_us, r->batches.min, r->batches.max);
        CHECK(mp_csv_row(&csv, "%s,%ld,%d,%.1f,%.1f,%d", r->setup, r->interval_us, r->cpu_threads, r->median_us,
                         r->p99_us, r->requests));
        if (df) {
            if (r->setup[0] == 'a')
                fprintf(df, "\"alone\"");
            else if (r->setup[0] == 'p')
                fprintf(df, "\"CPU work in a process\"");
            else
                fprintf(df, "\"%d CPU thread%s, %g ms\"", r->cpu_threads, r->cpu_threads > 1 ? "s" : "",
                        r->interval_us / 1000.0);
            fprintf(df, " %.1f %.1f\n", r->median_us, r->p99_us);
        }
    }
    CHECK(mp_csv_close(&csv));
    close(srv.sock); /* EOF: the server ends */
    CHECK(mp_process_join(&srv.proc, 5.0));
    mp_say("p99: 99 requests in 100 were faster; batches: the median of each batch of requests (one per --repeat)");
    if (df && mp_file_close(df, dat) == 0)
        mp_plot_png("convoy.gp", dat, L->o.out, "convoy", "lesson 03: latency of a request beside CPU-bound work",
                    NULL, L->o.no_plot);
}
