/* How lesson 13's exercise tests run an MPI program.
 *
 * An exercise of lesson 13 is part of an MPI program: its functions run in
 * every rank and talk with MPI calls. The Makefile builds its test like any
 * exercise's (the test file linked with the student's file and the
 * runtime), but with MPICH's compiler wrapper, mpicc.mpich (mk/mpi.mk), so
 * the test binary is itself an MPI program. It has two lives:
 *
 *   - run as usual (make check-13, make test), it is the cmocka test: each
 *     test runs the binary again as N ranks, `mpiexec.mpich -n N THIS
 *     --rank CASE ARGS...` (mpirun_self below), within a time limit, and
 *     asserts on what the ranks printed and on how the job ended;
 *   - run by mpiexec with --rank first, it is one rank: MPI_Init, the case
 *     (which calls the student's functions), one line per result,
 *     MPI_Finalize (rank_main in each test file).
 *
 * So a student's MPI code is run for real, on 2 or 3 ranks, and a bug that
 * makes it hang (a rank waiting for a message never sent) is a failed test
 * with a message saying so, never a stuck `make check`: at the time limit
 * mpiexec is killed, and MPICH's proxy kills the ranks. */
#ifndef EX13_MPIRUN_H
#define EX13_MPIRUN_H

#include <poll.h>
#include <sys/prctl.h> /* PR_SET_PDEATHSIG: Linux */

/* Each run takes well under a second; two runs that hang must still end
 * within an exercise's 20 s (scripts/run-tests.sh). */
#define MPIRUN_LIMIT_S 8.0

/* Run this binary as `ranks` ranks with the words args (NULL-ended) after
 * --rank. What they printed (stdout and stderr) goes to out (cap bytes,
 * NUL-ended). Returns mpiexec's exit code (0: every rank ended with 0), or
 * -1000 if the job was still running after MPIRUN_LIMIT_S (then it is
 * killed, and so are its ranks). */
static inline int mpirun_self(int ranks, const char *const args[], char *out, size_t cap)
{
    char self[4096], n[16];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(len > 0);
    self[len] = '\0';
    snprintf(n, sizeof n, "%d", ranks);
    char *argv[32] = {"mpiexec.mpich", "-n", n, self, "--rank"};
    int k = 5;
    for (int i = 0; args[i] && k < 31; i++)
        argv[k++] = (char *)args[i];
    argv[k] = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0); /* mpiexec forwards stdin to rank 0 */
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    pid_t pid;
    fflush(NULL);
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        fail_msg("cannot start mpiexec.mpich: %s (MPICH is installed by make check-13)", strerror(rc));
    }
    size_t used = 0;
    uint64_t deadline = mp_now_ns() + (uint64_t)(MPIRUN_LIMIT_S * 1e9);
    bool timed_out = false;
    for (;;) {
        uint64_t now = mp_now_ns();
        if (now >= deadline) {
            timed_out = true;
            break;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int ready = poll(&p, 1, (int)((deadline - now) / 1000000 + 1));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            continue;
        char buf[4096];
        ssize_t got = read(fds[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* the end: every rank and mpiexec closed it */
        size_t take = (size_t)got < cap - 1 - used ? (size_t)got : cap - 1 - used;
        memcpy(out + used, buf, take);
        used += take;
    }
    out[used] = '\0';
    close(fds[0]);
    /* the output ended: mpiexec exits at once (a limit all the same) */
    int st = 0;
    bool reaped = false;
    for (int i = 0; !timed_out && !reaped && i < 5000; i++) {
        reaped = waitpid(pid, &st, WNOHANG) == pid;
        if (!reaped)
            mp_sleep_ns(1000000);
    }
    if (!reaped) {
        kill(pid, SIGKILL); /* its proxy then kills the ranks */
        timed_out = true;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    return timed_out ? -1000 : mp_exitcode_from_status(st);
}

/* Run, and fail the test with what the ranks printed unless the job ended
 * with 0 within the time limit. */
static inline void mpirun_ok(int ranks, const char *const args[], char *out, size_t cap)
{
    int rc = mpirun_self(ranks, args, out, cap);
    if (rc == -1000)
        fail_msg("%d ranks did not end within %.0f s: a rank waiting for a message never sent? (a worker never told "
                 "to stop, a receive with no matching send). They printed:\n%s", ranks, MPIRUN_LIMIT_S, out);
    if (rc != 0)
        fail_msg("%d ranks: mpiexec ended with %d (a rank failed). They printed:\n%s", ranks, rc, out);
}

/* In a rank: start MPI; die with MPICH's proxy (no rank is left running
 * alone); lines written whole, one write each (helpers.h makes stdout
 * line-buffered), so the ranks' lines never mix. */
static inline void rank_start(int *argc, char ***argv, int *rank, int *size)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
}

#endif
