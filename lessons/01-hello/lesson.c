/* Lesson 01 -- hello: what is a process, what is a thread?
 *
 * The question: when Python's multiprocessing starts a Process, or threading
 * starts a Thread, what do you actually get? This lesson shows it from the
 * operating system's side:
 *   1. how many CPUs there are, and how many this process may use;
 *   2. the IDs: each process has its own PID (and knows its parent's), each
 *      thread shares its process's PID and has its own thread ID;
 *   3. memory: a global incremented once in each of 4 child processes is 1 in
 *      every child and still 0 in the parent (each child has a copy); the same
 *      global incremented in 4 threads is 4 (one variable, shared);
 *   4. exit codes, as Python reports them: 0, the status given to exit(),
 *      -15 after terminate(), -9 after kill();
 *   5. a zombie: a child that has exited but was not joined yet still has an
 *      entry in /proc (state Z) until its parent reaps it.
 */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "mp.h"

/* ---- 2. who is who ---- */

static int show_ids(void *arg)
{
    int ms = *(int *)arg;
    mp_trace_begin("child: sleep");
    mp_say("I am a child process: pid %d, my parent is %d", (int)getpid(), (int)getppid());
    mp_io_wait(1, ms);
    mp_trace_end("child: sleep");
    return 0;
}

static void *show_thread_ids(void *arg)
{
    int ms = *(int *)arg;
    mp_trace_begin("thread: sleep");
    mp_say("I am a thread: pid %d (my process), parent %d", (int)getpid(), (int)getppid());
    mp_io_wait(1, ms);
    mp_trace_end("thread: sleep");
    return NULL;
}

static void who_is_who(mp_lesson *L)
{
    mp_section("2. who is who: 3 processes and 2 threads (each sleeps a little)");
    int ms = L->o.quick ? 20 : 100;
    mp_trace_enable(true);
    mp_trace_begin("main: start + join");
    mp_process p[3];
    mp_thread t[2];
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "child-%d", i + 1);
        mp_process_init(&p[i], name, show_ids, NULL);
        mp_process_set_args(&p[i], &ms, sizeof ms); /* bytes: spawned children get a copy */
        CHECK(mp_process_start(&p[i]));
    }
    for (int i = 0; i < 2; i++) {
        char name[16];
        snprintf(name, sizeof name, "thread-%d", i + 1);
        mp_thread_init(&t[i], name, show_thread_ids, &ms);
        CHECK(mp_thread_start(&t[i]));
    }
    for (int i = 0; i < 3; i++)
        CHECK(mp_process_join(&p[i], MP_FOREVER));
    for (int i = 0; i < 2; i++)
        CHECK(mp_thread_join(&t[i], NULL));
    mp_trace_end("main: start + join");
    mp_trace_enable(L->o.trace);
    mp_say("the parent is pid %d; every child has a pid of its own, the threads share the parent's", (int)getpid());
    if (L->o.start == MP_START_FORKSERVER)
        mp_say("(--start forkserver: the children's parent is the fork server, pid %d, not this process)",
               (int)mp_forkserver_pid());
    mp_trace_write(L->o.out, "timeline", "lesson 01: 3 child processes and 2 threads", L->o.no_plot);
    mp_trace_reset();
}

/* ---- 3. a global counter ---- */

static int counter; /* the global every worker increments once */
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static int increment_in_child(void *arg)
{
    (void)arg;
    counter++; /* this child's own copy of counter */
    mp_say("child: counter is now %d", counter);
    return counter; /* the exit code carries what this child saw */
}

static void *increment_in_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&counter_lock); /* one variable, four writers: take turns */
    int seen = ++counter;
    pthread_mutex_unlock(&counter_lock);
    mp_say("thread: counter is now %d", seen);
    return NULL;
}

static void global_counter(mp_lesson *L)
{
    enum { N = 4 };
    mp_section("3. a global counter, incremented once by each of %d workers", N);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "counter.csv", "kind,workers,largest_value_a_worker_saw,parent_sees"));

    counter = 0;
    mp_process p[N];
    int max_seen = 0;
    for (int i = 0; i < N; i++) {
        mp_process_init(&p[i], NULL, increment_in_child, NULL);
        CHECK(mp_process_start(&p[i]));
    }
    for (int i = 0; i < N; i++) {
        CHECK(mp_process_join(&p[i], MP_FOREVER));
        if (p[i].exitcode > max_seen)
            max_seen = p[i].exitcode;
    }
    mp_say("processes: each child saw %d, the parent still sees %d (each child has its own copy: %s)", max_seen,
           counter, L->o.start == MP_START_SPAWN ? "a fresh program, counter starting at 0"
                                                 : "a copy of a process's memory, made by fork");
    CHECK(mp_csv_row(&csv, "process,%d,%d,%d", N, max_seen, counter));

    counter = 0;
    mp_thread t[N];
    for (int i = 0; i < N; i++) {
        mp_thread_init(&t[i], NULL, increment_in_thread, NULL);
        CHECK(mp_thread_start(&t[i]));
    }
    for (int i = 0; i < N; i++)
        CHECK(mp_thread_join(&t[i], NULL));
    mp_say("threads: the parent sees %d (one variable, shared by every thread)", counter);
    CHECK(mp_csv_row(&csv, "thread,%d,%d,%d", N, counter, counter));
    CHECK(mp_csv_close(&csv));
}

/* ---- 4. exit codes ---- */

static int return_zero(void *arg) { (void)arg; return 0; }
static int call_exit_5(void *arg) { (void)arg; exit(5); }
static int sleep_long(void *arg) { (void)arg; mp_io_wait(1, 10000); return 0; }

static void exit_codes(mp_lesson *L)
{
    mp_section("4. exit codes, as Python's Process.exitcode reports them");
    struct { const char *how; mp_target fn; int signal; int expected; } cases[] = {
        {"return 0", return_zero, 0, 0},
        {"exit(5)", call_exit_5, 0, 5},
        {"terminate (SIGTERM)", sleep_long, SIGTERM, -SIGTERM},
        {"kill (SIGKILL)", sleep_long, SIGKILL, -SIGKILL},
    };
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "exitcodes.csv", "case,exitcode,expected"));
    mp_table tab;
    mp_table_header(&tab, "how the child ended|exitcode|expected");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mp_process p;
        mp_process_init(&p, NULL, cases[i].fn, NULL);
        CHECK(mp_process_start(&p));
        if (cases[i].signal == SIGTERM)
            CHECK(mp_process_terminate(&p));
        else if (cases[i].signal == SIGKILL)
            CHECK(mp_process_kill(&p));
        CHECK(mp_process_join(&p, MP_FOREVER));
        mp_table_row(&tab, "%s|%d|%d", cases[i].how, p.exitcode, cases[i].expected);
        CHECK(mp_csv_row(&csv, "%s,%d,%d", cases[i].how, p.exitcode, cases[i].expected));
    }
    CHECK(mp_csv_close(&csv));
    mp_say("a negative exit code is the number of the signal that killed the child");
}

/* ---- 5. a zombie ---- */

static void zombie(mp_lesson *L)
{
    mp_section("5. a child that has exited but is not joined yet: a zombie");
    mp_process p;
    mp_process_init(&p, "short-lived", return_zero, NULL);
    if (p.start == MP_START_FORKSERVER) { /* its children are the server's to reap: no zombie of ours */
        mp_say("(--start forkserver: the server reaps its own children, so this part forks)");
        p.start = MP_START_FORK;
    }
    CHECK(mp_process_start(&p));
    /* Wait (at most 2 s) for the child to exit without reaping it: waitpid
     * would reap it, so we watch /proc instead. */
    char state = 0;
    for (int i = 0; i < 200 && (state = mp_proc_state(p.pid)) != 'Z'; i++)
        mp_io_wait(1, 10);
    int zombies = 0;
    mp_proc_count_children(&zombies);
    char before = state ? state : '?';
    int zombies_before = zombies;
    mp_say("child %d has exited; /proc/%d/stat says state %c%s; zombie children of this process: %d", (int)p.pid,
           (int)p.pid, state ? state : '?', state == 'Z' ? " (zombie)" : "", zombies);
    CHECK(mp_process_join(&p, MP_FOREVER));
    state = mp_proc_state(p.pid);
    mp_proc_count_children(&zombies);
    mp_say("after join: /proc/%d is %s; zombie children: %d", (int)p.pid, state ? "still there" : "gone", zombies);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "zombie.csv", "phase,state,zombie_children"));
    CHECK(mp_csv_row(&csv, "before-join,%c,%d", before, zombies_before));
    CHECK(mp_csv_row(&csv, "after-join,%c,%d", state ? state : '-', zombies));
    CHECK(mp_csv_close(&csv));
}

/* What a spawned or forkserver child may run: the C form of pickling a
 * function by its qualified name. */
static const mp_entry entries[] = {MP_ENTRY(show_ids), MP_ENTRY(increment_in_child), MP_ENTRY(return_zero),
                                   MP_ENTRY(call_exit_5), MP_ENTRY(sleep_long), {0}};

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the `if __name__ == '__main__'` guard: see lesson 04 */
    static const mp_cli cli = {
        .prog = "lesson-01",
        .summary = "hello: processes and threads, their IDs, their memory, their exit codes",
        .default_out = "plots/out/01-hello",
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;

    mp_section("1. CPUs");
    mp_say("online: %d (os.cpu_count()); usable by this process: %d (os.process_cpu_count())",
           mp_cpus_online(), mp_cpus_usable());
    mp_say("try `taskset -c 0 make lesson-1`: usable drops to 1, online does not");

    who_is_who(&L);
    global_counter(&L);
    exit_codes(&L);
    zombie(&L);
    return mp_lesson_end(&L);
}
