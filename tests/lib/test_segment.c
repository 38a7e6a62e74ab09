/* segment: named shared memory. Found by name from any process; bad names,
 * names in use, missing names and wrong sizes refused; only the creator
 * unlinks -- at exit, on SIGINT, or when asked -- never a reader that
 * exits, never a forked child; a reader's mapping outlives the name.
 * Every name here holds this test's PID, so tests running beside it never
 * see or touch each other's. */
#include "helpers.h"

#include <dirent.h>

static bool in_dev_shm(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/%s", name);
    return access(path, F_OK) == 0;
}

static void name_for(char *buf, size_t len, pid_t pid, const char *what)
{
    snprintf(buf, len, "mpkit_t_%d_%s", (int)pid, what);
}

/* Every name this test makes, given or generated ("mpkit_PID_N"), holds
 * "_PID_" of the test's PID: none may be left in /dev/shm after a test. */
static void assert_none_of_ours_in_dev_shm(void)
{
    char mine[32];
    snprintf(mine, sizeof mine, "_%d_", (int)getpid());
    DIR *d = opendir("/dev/shm");
    assert_non_null(d);
    struct dirent *e;
    char left[256] = "";
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, mine) && strlen(left) + strlen(e->d_name) + 2 < sizeof left)
            strcat(strcat(left, " "), e->d_name);
    closedir(d);
    if (left[0])
        fail_msg("left in /dev/shm:%s", left);
}

/* ---- children: the test's PID comes as their argument (a forkserver
 * child's parent is the server) ---- */

static pid_t test_pid(void *arg) { return *(pid_t *)arg; }

/* Attach the test's "shared", check and answer, exit: the name stays. */
static int reader(void *arg)
{
    char name[64];
    name_for(name, sizeof name, test_pid(arg), "shared");
    mp_segment s;
    int rc = mp_segment_attach(&s, name, 4096);
    if (rc != 0) {
        fprintf(stderr, "reader: attach %s: %s\n", name, strerror(-rc));
        return 3;
    }
    long *v = s.p;
    if (v[0] != 4242)
        return 4;
    v[1] = 77;
    mp_segment_close(&s);
    return 0;
}

/* Create "early", fill it, wait until the parent attached (it writes 1),
 * then exit: the exit unlinks the name. */
static int early_creator(void *arg)
{
    char name[64];
    name_for(name, sizeof name, test_pid(arg), "early");
    mp_segment s;
    if (mp_segment_create(&s, name, 4096) != 0)
        return 3;
    volatile long *v = s.p;
    v[1] = 99;
    for (int i = 0; i < 30000 && v[0] == 0; i++)
        mp_sleep_ns(1000000);
    return v[0] == 1 ? 0 : 4;
}

/* ThreadSanitizer emulates signal delivery, and it can lose a signal that
 * another process sends to a sleeping spawned child (seen: the handler in
 * place, nothing pending, the child asleep for good). Under TSan the
 * creator sends the signal to itself (TSan's kill() delivers it at once);
 * the handler that runs is the same. */
#if defined(__SANITIZE_THREAD__)
#define SIGNAL_FROM_OUTSIDE 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIGNAL_FROM_OUTSIDE 0
#endif
#endif
#ifndef SIGNAL_FROM_OUTSIDE
#define SIGNAL_FROM_OUTSIDE 1
#endif

typedef struct interrupt { pid_t test; int sig; } interrupt; /* test first: test_pid() reads it */

/* Create "interrupted" and wait to be stopped by a signal (the test sends
 * SIGINT, SIGTERM or SIGHUP once the segment is ready): the kit's handler
 * unlinks it. */
static int interrupted_creator(void *arg)
{
    const interrupt *a = arg;
    char name[64];
    name_for(name, sizeof name, a->test, "interrupted");
    mp_segment s;
    if (mp_segment_create(&s, name, 4096) != 0)
        return 3;
    *(volatile long *)s.p = 1; /* created, its clean-up hook in place */
    if (!SIGNAL_FROM_OUTSIDE)
        kill(getpid(), a->sig);
    mp_sleep_ns(30000000000ull);
    return 4;
}

static int quiet_child(void *arg) { (void)arg; return 0; }

static const mp_entry entries[] = {MP_ENTRY(reader), MP_ENTRY(early_creator), MP_ENTRY(interrupted_creator),
                                   MP_ENTRY(quiet_child), {0}};

static pid_t me;

static void run_child(mp_target fn, int method, int want_exitcode)
{
    mp_process p;
    mp_process_init(&p, NULL, fn, NULL);
    me = getpid();
    mp_process_set_args(&p, &me, sizeof me);
    p.start = method;
    assert_int_equal(mp_process_start(&p), 0);
    assert_int_equal(mp_process_join(&p, 30), 0);
    assert_int_equal(p.exitcode, want_exitcode);
}

static int teardown(void **state)
{
    mp_forkserver_stop();
    return teardown_children(state);
}

/* ---- tests ---- */

static void test_errors(void **state)
{
    (void)state;
    mp_segment s, t;
    char name[64];
    name_for(name, sizeof name, getpid(), "errors");
    assert_int_equal(mp_segment_create(&s, "a/b", 64), -EINVAL);
    assert_int_equal(mp_segment_create(&s, "", 64), -EINVAL);
    assert_int_equal(mp_segment_create(&s, "..", 64), -EINVAL);
    assert_int_equal(mp_segment_create(&s, name, 0), -EINVAL);
    assert_int_equal(mp_segment_attach(&t, name, 0), -ENOENT); /* not made yet */
    assert_int_equal(mp_segment_create(&s, name, 100), 0);
    assert_true(in_dev_shm(name));
    assert_int_equal(mp_segment_create(&t, name, 100), -EEXIST); /* in use */
    assert_int_equal(mp_segment_attach(&t, name, 200), -EINVAL); /* another layout */
    assert_int_equal(mp_segment_attach(&t, name, 100), 0);
    ((char *)s.p)[5] = 'x'; /* one memory, two mappings */
    assert_int_equal(((char *)t.p)[5], 'x');
    assert_int_equal(t.bytes, 100);
    mp_segment_close(&t);
    assert_int_equal(mp_segment_unlink(&s), 0);
    assert_false(in_dev_shm(name));
    assert_int_equal(mp_segment_unlink(&s), -ENOENT);
    assert_int_equal(((char *)s.p)[5], 'x'); /* the mapping outlives the name */
    mp_segment_close(&s);

    mp_segment g1, g2; /* generated names: distinct, and removed like any other */
    assert_int_equal(mp_segment_create(&g1, NULL, 64), 0);
    assert_int_equal(mp_segment_create(&g2, NULL, 64), 0);
    assert_string_not_equal(g1.name, g2.name);
    assert_true(strncmp(g1.name, "mpkit_", 6) == 0 && in_dev_shm(g1.name));
    assert_int_equal(mp_segment_unlink(&g1), 0);
    assert_int_equal(mp_segment_unlink(&g2), 0);
    mp_segment_close(&g1);
    mp_segment_close(&g2);
    assert_none_of_ours_in_dev_shm();
}

/* Readers of every start method attach by name, answer, exit: the segment
 * is still there (CPython's resource tracker would have unlinked it, bug
 * gh-82300). A forked child of the creator exiting does not unlink it
 * either. */
static void test_readers_never_unlink(void **state)
{
    (void)state;
    char name[64];
    name_for(name, sizeof name, getpid(), "shared");
    mp_segment s;
    assert_int_equal(mp_segment_create(&s, name, 4096), 0);
    long *v = s.p;
    v[0] = 4242;
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++) {
        v[1] = 0;
        run_child(reader, m, 0);
        assert_int_equal(v[1], 77);
        assert_true(in_dev_shm(name));
    }
    run_child(quiet_child, MP_START_FORK, 0);
    assert_true(in_dev_shm(name));
    assert_int_equal(mp_segment_unlink(&s), 0);
    mp_segment_close(&s);
    assert_false(in_dev_shm(name));
    mp_forkserver_stop();
    assert_no_children();
    assert_none_of_ours_in_dev_shm();
}

/* The creator exits first: its exit unlinks the name, and the reader's
 * mapping still holds the data. */
static void test_creator_exits_first(void **state)
{
    (void)state;
    char name[64];
    name_for(name, sizeof name, getpid(), "early");
    mp_process p;
    mp_process_init(&p, NULL, early_creator, NULL);
    me = getpid();
    mp_process_set_args(&p, &me, sizeof me);
    p.start = MP_START_SPAWN;
    assert_int_equal(mp_process_start(&p), 0);
    mp_segment s;
    int rc = -ENOENT;
    for (int i = 0; i < 30000 && rc == -ENOENT; i++) {
        rc = mp_segment_attach(&s, name, 4096);
        if (rc == -ENOENT || rc == -EINVAL) /* not there yet, or not sized yet */
            mp_sleep_ns(1000000), rc = -ENOENT;
    }
    assert_int_equal(rc, 0);
    volatile long *v = s.p;
    for (int i = 0; i < 30000 && v[1] != 99; i++)
        mp_sleep_ns(1000000);
    v[0] = 1; /* the creator may go */
    assert_int_equal(mp_process_join(&p, 30), 0);
    assert_int_equal(p.exitcode, 0);
    assert_false(in_dev_shm(name));
    assert_int_equal(v[1], 99);
    mp_segment_close(&s);
    assert_none_of_ours_in_dev_shm();
}

/* A plain fork() of the creator (not a child the kit started, which
 * forgets its parent's hooks at once) inherits the at-exit and signal
 * handlers and the creator's hook: neither its exit nor a SIGTERM to it
 * may unlink the creator's segment. */
static void test_plain_fork_never_unlinks(void **state)
{
    (void)state;
    char name[64];
    name_for(name, sizeof name, getpid(), "plainfork");
    mp_segment s;
    assert_int_equal(mp_segment_create(&s, name, 4096), 0);
    for (int how = 0; how < 2; how++) {
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            if (how == 1) {
                kill(getpid(), SIGTERM); /* the kit's handler runs in this copy of the creator */
                mp_sleep_ns(10000000000ull);
            }
            exit(0); /* the at-exit handlers run */
        }
        int st = 0;
        assert_int_equal(waitpid(child, &st, 0), child);
        assert_int_equal(mp_exitcode_from_status(st), how == 1 ? -SIGTERM : 0);
        if (!in_dev_shm(name))
            fail_msg("a forked child that %s unlinked its parent's segment", how ? "was terminated" : "exited");
    }
    assert_int_equal(mp_segment_unlink(&s), 0);
    mp_segment_close(&s);
    assert_none_of_ours_in_dev_shm();
}

/* Ctrl-C (or SIGTERM, or SIGHUP) to a creator, a child of each start
 * method: its segments go with it. */
static void test_signal_unlinks(void **state)
{
    (void)state;
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    char name[64];
    name_for(name, sizeof name, getpid(), "interrupted");
    for (int m = MP_START_FORK; m <= MP_START_FORKSERVER; m++)
        for (int k = 0; k < 3; k++) {
            mp_process p;
            mp_process_init(&p, NULL, interrupted_creator, NULL);
            interrupt a = {getpid(), sigs[k]};
            mp_process_set_args(&p, &a, sizeof a);
            p.start = m;
            assert_int_equal(mp_process_start(&p), 0);
            if (SIGNAL_FROM_OUTSIDE) {
                mp_segment r; /* we attach to see when it is ready: attaching never unlinks */
                int rc = -ENOENT;
                for (int i = 0; i < 30000 && rc != 0; i++)
                    if ((rc = mp_segment_attach(&r, name, 4096)) != 0)
                        mp_sleep_ns(1000000); /* not there, or not sized yet */
                assert_int_equal(rc, 0);
                for (int i = 0; i < 30000 && *(volatile long *)r.p == 0; i++)
                    mp_sleep_ns(1000000);
                assert_int_equal(*(volatile long *)r.p, 1);
                mp_segment_close(&r);
                assert_int_equal(kill(p.pid, sigs[k]), 0);
            }
            assert_int_equal(mp_process_join(&p, 30), 0);
            assert_int_equal(p.exitcode, -sigs[k]);
            if (in_dev_shm(name))
                fail_msg("%s: %s left the creator's segment", mp_start_names[m], strsignal(sigs[k]));
        }
    mp_forkserver_stop();
    assert_none_of_ours_in_dev_shm();
}

int main(int argc, char **argv)
{
    mp_spawn_main(argc, argv, entries);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test_teardown(test_readers_never_unlink, teardown),
        cmocka_unit_test_teardown(test_creator_exits_first, teardown),
        cmocka_unit_test(test_plain_fork_never_unlinks),
        cmocka_unit_test_teardown(test_signal_unlinks, teardown),
    };
    return cmocka_run_group_tests_name("segment", tests, NULL, NULL);
}
