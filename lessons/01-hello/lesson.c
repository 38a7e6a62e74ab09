/* Lesson 01 -- hello: what is a process, what is a thread?
 *
 * The question: when Python's multiprocessing starts a Process, or threading
 * starts a Thread, what do you actually get? This lesson shows it from the
 * operating system's side, one part per function below:
 *   1. cpus():          how many CPUs there are, and how many this process may use;
 *   2. who_is_who():    the IDs: each process has its own PID (and knows its
 *                       parent's), each thread shares its process's PID and has
 *                       its own thread ID;
 *   3. global_counter(): memory: a global incremented once in each of N child
 *                       processes is 1 in every child and still 0 in the parent
 *                       (each child has a copy); incremented in N threads it is
 *                       N (one variable, shared);
 *   4. exit_codes():    exit codes, as Python reports them: 0, the status given
 *                       to exit(), -15 after terminate(), -9 after kill();
 *   5. zombie():        a child that has exited but was not joined yet still has
 *                       an entry in /proc (state Z) until its parent reaps it.
 * N is --workers (default: the CPUs this process may use). The closing
 * verdicts check each answer against what the run printed.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "mp.h"

/* What the parts found, for the verdicts. */
typedef struct findings {
    int workers;
    int child_max, parent_after_children; /* part 3, processes */
    int parent_after_threads;             /* part 3, threads */
    int exit_right, exit_cases;           /* part 4 */
    char zombie_before, state_after;      /* part 5 */
} findings;

/* ---- 1. CPUs ---- */

static void cpus(mp_lesson *L)
{
    mp_lesson_part(L, "1. CPUs");
    mp_say("online: %d (os.cpu_count()); usable by this process: %d (os.process_cpu_count())",
           mp_cpus_online(), mp_cpus_usable());
    mp_say("try `taskset -c 0 make lesson-1`: usable drops to 1, online does not");
}

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
    mp_say("I am a thread: my process is pid %d, whose parent is %d (the shell or make that ran the lesson)",
           (int)getpid(), (int)getppid());
    mp_io_wait(1, ms);
    mp_trace_end("thread: sleep");
    return NULL;
}

static void who_is_who(mp_lesson *L, findings *F)
{
    int n = F->workers, ms = L->o.quick ? 20 : 100;
    uint64_t t0 = mp_lesson_part(L, "2. who is who: %d processes and %d threads (each sleeps %d ms)", n, n, ms);
    mp_trace_enable(true); /* this part always draws its timeline */
    mp_trace_begin("main: start + join");
    mp_process *p = calloc((size_t)n, sizeof *p);
    mp_thread *t = calloc((size_t)n, sizeof *t);
    CHECK(p && t ? 0 : -ENOMEM);
    for (int i = 0; i < n; i++) {
        char name[24];
        snprintf(name, sizeof name, "child-%d", i + 1);
        mp_process_init(&p[i], name, show_ids, NULL);
        mp_process_set_args(&p[i], &ms, sizeof ms); /* bytes: spawned children get a copy */
        CHECK(mp_process_start(&p[i]));
    }
    for (int i = 0; i < n; i++) {
        char name[24];
        snprintf(name, sizeof name, "thread-%d", i + 1);
        mp_thread_init(&t[i], name, show_thread_ids, &ms);
        CHECK(mp_thread_start(&t[i]));
    }
    for (int i = 0; i < n; i++)
        mp_lesson_join(&p[i], MP_FOREVER); /* a worker killed meanwhile stops the lesson, by name */
    for (int i = 0; i < n; i++)
        CHECK(mp_thread_join(&t[i], NULL));
    mp_trace_end("main: start + join");
    mp_trace_enable(L->o.trace);
    mp_say("the lesson is pid %d; every child has a pid of its own, the threads share the lesson's", (int)getpid());
    if (L->o.start == MP_START_FORKSERVER)
        mp_say("(--start forkserver: the children's parent is the fork server, pid %d, not this process)",
               (int)mp_forkserver_pid());
    mp_trace_write_window(L->o.out, "timeline", "lesson 01: child processes and threads", t0, 0, L->o.no_plot);
    free(p);
    free(t);
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
    pthread_mutex_lock(&counter_lock); /* one variable, many writers: take turns */
    int seen = ++counter;
    pthread_mutex_unlock(&counter_lock);
    mp_say("thread: counter is now %d", seen);
    return NULL;
}

/* Where a child's copy of memory comes from, by start method. */
static const char *copy_of_what(int start)
{
    switch (start) {
    case MP_START_SPAWN: return "a fresh run of the program, counter starting at 0";
    case MP_START_FORKSERVER: return "a fork of the fork server, a clean copy of the program";
    default: return "a copy of this process's memory, made by fork";
    }
}

static void global_counter(mp_lesson *L, findings *F)
{
    int n = F->workers;
    mp_lesson_part(L, "3. a global counter, incremented once by each of %d workers", n);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "counter.csv", "kind,workers,largest_value_a_worker_saw,parent_sees"));

    counter = 0;
    mp_process *p = calloc((size_t)n, sizeof *p);
    mp_thread *t = calloc((size_t)n, sizeof *t);
    CHECK(p && t ? 0 : -ENOMEM);
    for (int i = 0; i < n; i++) {
        mp_process_init(&p[i], NULL, increment_in_child, NULL);
        CHECK(mp_process_start(&p[i]));
    }
    F->child_max = 0;
    for (int i = 0; i < n; i++) {
        CHECK(mp_process_join(&p[i], MP_FOREVER));
        if (p[i].exitcode < 0) {
            mp_error("%s (pid %d) was killed by signal %d", p[i].name, (int)p[i].pid, -p[i].exitcode);
            mp_lesson_abort();
        }
        if (p[i].exitcode > F->child_max)
            F->child_max = p[i].exitcode;
    }
    F->parent_after_children = counter;
    mp_say("processes: each child saw %d, the parent still sees %d (each child has its own copy: %s)", F->child_max,
           counter, copy_of_what(L->o.start));
    CHECK(mp_csv_row(&csv, "process,%d,%d,%d", n, F->child_max, counter));

    counter = 0;
    for (int i = 0; i < n; i++) {
        mp_thread_init(&t[i], NULL, increment_in_thread, NULL);
        CHECK(mp_thread_start(&t[i]));
    }
    for (int i = 0; i < n; i++)
        CHECK(mp_thread_join(&t[i], NULL));
    F->parent_after_threads = counter;
    mp_say("threads: the parent sees %d (one variable, shared by every thread)", counter);
    CHECK(mp_csv_row(&csv, "thread,%d,%d,%d", n, counter, counter));
    CHECK(mp_csv_close(&csv));
    free(p);
    free(t);
}

/* ---- 4. exit codes ---- */

static int return_zero(void *arg) { (void)arg; return 0; }
static int call_exit_5(void *arg) { (void)arg; exit(5); }
static int sleep_long(void *arg) { (void)arg; mp_io_wait(1, 10000); return 0; }

static void exit_codes(mp_lesson *L, findings *F)
{
    mp_lesson_part(L, "4. exit codes, as Python's Process.exitcode reports them");
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
    F->exit_cases = (int)(sizeof cases / sizeof cases[0]);
    for (int i = 0; i < F->exit_cases; i++) {
        mp_process p;
        mp_process_init(&p, NULL, cases[i].fn, NULL);
        CHECK(mp_process_start(&p));
        if (cases[i].signal == SIGTERM)
            CHECK(mp_process_terminate(&p));
        else if (cases[i].signal == SIGKILL)
            CHECK(mp_process_kill(&p));
        CHECK(mp_process_join(&p, MP_FOREVER));
        F->exit_right += p.exitcode == cases[i].expected;
        mp_table_row(&tab, "%s|%d|%d", cases[i].how, p.exitcode, cases[i].expected);
        CHECK(mp_csv_row(&csv, "%s,%d,%d", cases[i].how, p.exitcode, cases[i].expected));
    }
    CHECK(mp_csv_close(&csv));
    mp_say("a negative exit code is the number of the signal that killed the child");
}

/* ---- 5. a zombie ---- */

static void zombie(mp_lesson *L, findings *F)
{
    mp_lesson_part(L, "5. a child that has exited but is not joined yet: a zombie");
    mp_process p;
    mp_process_init(&p, "short-lived", return_zero, NULL);
    if (p.start == MP_START_FORKSERVER) { /* its children are the server's to reap: no zombie of ours */
        mp_say("(--start forkserver: the server reaps its own children, so this part forks)");
        p.start = MP_START_FORK;
    }
    CHECK(mp_process_start(&p));
    /* Wait for the child to exit without reaping it: waitpid would reap it,
     * so we watch /proc instead. Bounded (10 s), however slow the machine. */
    char state = 0;
    for (int i = 0; i < 1000 && (state = mp_proc_state(p.pid)) != 'Z'; i++)
        mp_io_wait(1, 10);
    int zombies = 0, zombies_before;
    mp_proc_count_children(&zombies);
    F->zombie_before = state ? state : '?';
    zombies_before = zombies;
    mp_say("child %d has exited; /proc/%d/stat says state %c%s; zombie children of this process: %d", (int)p.pid,
           (int)p.pid, F->zombie_before, state == 'Z' ? " (zombie)" : "", zombies);
    CHECK(mp_process_join(&p, MP_FOREVER));
    state = mp_proc_state(p.pid);
    F->state_after = state ? state : '-';
    mp_proc_count_children(&zombies);
    mp_say("after join: /proc/%d is %s; zombie children: %d", (int)p.pid, state ? "still there" : "gone", zombies);
    mp_csv csv;
    CHECK(mp_csv_open(&csv, L->o.out, "zombie.csv", "phase,state,zombie_children"));
    CHECK(mp_csv_row(&csv, "before-join,%c,%d", F->zombie_before, zombies_before));
    CHECK(mp_csv_row(&csv, "after-join,%c,%d", F->state_after, zombies));
    CHECK(mp_csv_close(&csv));
}

/* What a spawned or forkserver child may run: the C form of pickling a
 * function by its qualified name. */
static const mp_entry entries[] = {MP_ENTRY(show_ids), MP_ENTRY(increment_in_child), MP_ENTRY(return_zero),
                                   MP_ENTRY(call_exit_5), MP_ENTRY(sleep_long), {0}};

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries); /* the `if __name__ == '__main__'` guard: see lesson 04 */
    static const mp_unused unused[] = {
        {"max-workers", "nothing is swept here (--workers sets how many children and threads)"},
        {"repeat", "nothing is timed here"},
        {"seed", "nothing in this lesson is random"},
        {"no-reference", "its one plot is a timeline, which is drawn without the reference run"},
        {0}};
    static const mp_cli cli = {
        .prog = "lesson-01",
        .summary = "hello: processes and threads, their IDs, their memory, their exit codes",
        .default_out = "plots/out/01-hello",
        .unused = unused,
        .workers_limit = 64, /* one line per worker: more would only scroll */
    };
    mp_lesson L;
    int status;
    if (!mp_lesson_begin(&L, &cli, argc, argv, &status))
        return status;
    findings F = {.workers = L.o.workers};

    cpus(&L);
    who_is_who(&L, &F);
    global_counter(&L, &F);
    exit_codes(&L, &F);
    zombie(&L, &F);

    mp_lesson_verdicts(&L);
    mp_verdict(&L, F.child_max == 1 && F.parent_after_children == 0, 0, NULL,
               "processes: every child saw 1, the parent %d: each has its own memory", F.parent_after_children);
    mp_verdict(&L, F.parent_after_threads == F.workers, 0, NULL,
               "threads: %d increments made %d: one shared variable", F.workers, F.parent_after_threads);
    mp_verdict(&L, F.exit_right == F.exit_cases, 0, NULL, "exit codes: %d of %d as Python reports them",
               F.exit_right, F.exit_cases);
    mp_verdict(&L, F.zombie_before == 'Z' && F.state_after == '-', 0, NULL,
               "an exited, unjoined child is a zombie (state %c) until join reaps it (then %s)", F.zombie_before,
               F.state_after == '-' ? "gone" : "still there");
    return mp_lesson_end(&L);
}
