/* Tests for tools/grade-sandbox.c alone, run directly: what a grading run
 * over a class (test_grade.c) does not show. */
#include "helpers.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

static char *tmp; /* the programs' output */

static int make_tmp(void **state)
{
    (void)state;
    if (chdir(MP_ROOT) != 0) /* BUILD_DIR may be relative to it */
        return -1;
    tmp = make_tmpdir();
    chmod(tmp, 0755); /* a uid of no account writes nothing here, but may look */
    return 0;
}

static int remove_tmp(void **state)
{
    (void)state;
    rm_tree(tmp);
    return 0;
}

/* A program that closes its output (every process of it) leaves the
 * sandbox a pipe that is readable at once, forever (end of file): the
 * sandbox must stop polling it, not spin on it until the program ends. Its
 * CPU time while the program sleeps 1 s is what is asserted: spinning, it
 * used about a CPU-second (less under load, so a loaded machine may miss
 * a regression, never fail a sound sandbox); waiting, a few milliseconds. */
static void test_the_sandbox_waits_when_the_output_is_closed(void **state)
{
    (void)state;
    char *argv[] = {BUILD_DIR "/tools/grade-sandbox", "--wall", "10", "--", "/bin/sh", "-c",
                    "exec >&- 2>&-; sleep 1", NULL};
    struct rusage before, after;
    getrusage(RUSAGE_CHILDREN, &before);
    assert_int_equal(run_program(argv, tmp, 60), 0);
    getrusage(RUSAGE_CHILDREN, &after);
    double cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec + after.ru_stime.tv_sec -
                          before.ru_stime.tv_sec) +
                 (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec + after.ru_stime.tv_usec -
                          before.ru_stime.tv_usec) / 1e6;
    char *out = read_output(tmp, "out.txt");
    assert_non_null(out);
    if (!strstr(out, "result=exited code=0"))
        fail_msg("the sandbox said: %s", out);
    free(out);
    if (cpu > 0.3)
        fail_msg("the sandbox used %.2f s of CPU while the program slept 1 s with its output closed", cpu);
}

/* As root, /dev/shm is the program's own, of --shm-mib MiB: writing more
 * fails there (ENOSPC) instead of filling the machine's memory, and
 * nothing of it is seen in the machine's /dev/shm. */
/* Whether this machine lets root make a mount namespace and mount a tmpfs
 * in it (a container without CAP_SYS_ADMIN does not): tried in a child. */
static bool root_may_mount(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        bool ok = unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
                  mount("tmpfs", tmp, "tmpfs", 0, "size=1m") == 0;
        _exit(ok ? 0 : 1);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_the_sandbox_gives_a_small_dev_shm(void **state)
{
    (void)state;
    if (geteuid() != 0 || !root_may_mount())
        skip(); /* then the program shares the machine's /dev/shm, as the README says */
    char uid[32], log[4200];
    snprintf(uid, sizeof uid, "%ld", 200000 + (long)getpid()); /* unique: see test_grade.c */
    snprintf(log, sizeof log, "%s/shm.txt", tmp);
    char *argv[] = {BUILD_DIR "/tools/grade-sandbox", "--uid", uid, "--shm-mib", "16", "--log", log, "--",
                    "/bin/sh", "-c", "head -c 32M /dev/zero >/dev/shm/mpkit-grade-test; echo status $?", NULL};
    assert_int_equal(run_program(argv, tmp, 60), 0);
    char *out = read_file(log);
    assert_non_null(out);
    if (!strstr(out, "No space left on device") || !strstr(out, "status 1"))
        fail_msg("a 32 MiB write into /dev/shm did not fail for want of space; the program said:\n%s", out);
    free(out);
    struct stat st;
    assert_int_not_equal(stat("/dev/shm/mpkit-grade-test", &st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_sandbox_waits_when_the_output_is_closed),
        cmocka_unit_test(test_the_sandbox_gives_a_small_dev_shm),
    };
    return cmocka_run_group_tests_name("grade-sandbox", tests, make_tmp, remove_tmp);
}
