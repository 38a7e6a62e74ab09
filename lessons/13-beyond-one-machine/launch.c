/* Lesson 13: starting the MPI program with mpiexec, reading what its ranks
 * print, and noticing when it fails -- within a time limit, always.
 *
 * mpiexec.mpich (MPICH's launcher, "hydra") starts one proxy per machine
 * (here, one), and each proxy starts that machine's ranks. The lesson
 * starts mpiexec as a registered child (children.h: a Ctrl-C, an error or
 * the lesson's death kills it). When mpiexec dies, its proxy sees the
 * connection close and kills the ranks; and each rank asked to be killed
 * if its proxy dies (PR_SET_PDEATHSIG in mpi/main.c). So nothing is left.
 *
 * When a rank fails (exits non-zero, or is killed), mpiexec stops the other
 * ranks and ends with that status: the job's output ends, mpiexec's exit
 * code is not 0, and the lesson says which job failed, how, and what the
 * ranks said, then stops with status 1. A job that hangs (a rank waiting
 * for a message that never comes) is stopped at its time limit. */
#define _GNU_SOURCE /* waitid's WNOWAIT with P_PID: look without reaping */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lesson13.h"

static char program[PATH_MAX];

const char *mpi_program(void)
{
    return program;
}

bool mpi_setup(const char **why)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        *why = "cannot find this program's own path (/proc/self/exe)";
        return false;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    if (snprintf(program, sizeof program, "%s/mpi/lesson13-ranks", self) >= (int)sizeof program) {
        *why = "this program's path is too long";
        return false;
    }
    char path[PATH_MAX];
    if (mp_find_program(MPIEXEC, path, sizeof path) != 0) {
        *why = "MPICH is not installed (" MPIEXEC " is not on the PATH): make lesson-13 installs it, or "
               "run scripts/install-deps.sh mpi";
        return false;
    }
    if (access(program, X_OK) != 0) {
        static char msg[PATH_MAX + 128];
        snprintf(msg, sizeof msg, "the MPI program %s is not built: make lesson-13 builds it", program);
        *why = msg;
        return false;
    }
    /* The lesson reads nothing from its standard input; mpiexec would
     * forward it to rank 0, reading the terminal. */
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO); /* dup2's copy is not close-on-exec: the children get it as stdin */
        close(null);
    }
    return true;
}

/* argv for mpiexec, into a (at most max words, the last NULL) */
static int job_argv(char **a, int max, char *nbuf, int ranks, const char *hostfile, char *const args[])
{
    int k = 0;
    a[k++] = MPIEXEC;
    if (hostfile) {
        a[k++] = "-f";
        a[k++] = (char *)hostfile;
    }
    a[k++] = "-n";
    a[k++] = nbuf;
    snprintf(nbuf, 16, "%d", ranks);
    a[k++] = program;
    for (int i = 0; args[i] && k < max - 1; i++)
        a[k++] = args[i];
    a[k] = NULL;
    return k;
}

void mpi_command(char *buf, size_t len, int ranks, const char *hostfile, char *const args[])
{
    char *a[128], nbuf[16];
    int k = job_argv(a, 128, nbuf, ranks, hostfile, args);
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < k && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", a[i]);
}

void mpi_start(mpi_job *j, const char *what, int ranks, const char *hostfile, char *const args[], double timeout_s,
               bool quiet)
{
    memset(j, 0, sizeof *j);
    j->what = what;
    j->fd = -1;
    char *a[128], nbuf[16], cmd[2048];
    job_argv(a, 128, nbuf, ranks, hostfile, args);
    if (!quiet) {
        mpi_command(cmd, sizeof cmd, ranks, hostfile, args);
        mp_say("running: %s", cmd);
    }
    j->t0 = mp_now_ns();
    j->deadline = j->t0 + (uint64_t)(timeout_s * 1e9);
    if (mp_program_start(a, &j->pid, &j->fd) != 0) {
        mp_error("%s: %s could not be started", what, MPIEXEC);
        mp_lesson_abort();
    }
}

/* mpiexec's exit code once it has ended, without reaping it (the registry's
 * mp_program_wait does that); false if it is still running. */
static bool ended(pid_t pid)
{
    siginfo_t si = {0};
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

_Noreturn void mpi_fail(mpi_job *j, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    mp_error("%s failed: %s%s%s", j->what, why, j->error[0] ? "; a rank said: " : "", j->error);
    /* no rank said why: what the job printed last may (MPICH's banner
     * about a rank killed by a signal, say) */
    int from = j->nlines > LAST_LINES ? j->nlines - LAST_LINES : 0;
    if (j->error[0])
        from = j->nlines;
    if (j->nlines > from)
        mp_error("%s: the last %d line%s it printed:", j->what, j->nlines - from, j->nlines - from == 1 ? "" : "s");
    for (int i = from; i < j->nlines; i++)
        mp_error("  | %s", j->last[i % LAST_LINES]);
    mp_lesson_abort(); /* kills mpiexec: its proxy then kills the ranks */
}

const char *mpi_line(mpi_job *j)
{
    for (;;) {
        char *begin = j->buf + j->start, *nl = memchr(begin, '\n', j->len - j->start);
        if (nl || (j->eof && j->start < j->len)) {
            char *end = nl ? nl : j->buf + j->len;
            *end = '\0';
            j->start = (size_t)(end - j->buf) + (nl ? 1 : 0);
            if (!nl)
                j->start = j->len;
            if (!j->first_line)
                j->first_line = mp_now_ns();
            if (strncmp(begin, "error ", 6) == 0 && !j->error[0])
                snprintf(j->error, sizeof j->error, "%s", begin + 6);
            snprintf(j->last[j->nlines++ % LAST_LINES], sizeof j->last[0], "%s", begin);
            return begin;
        }
        if (j->eof)
            return NULL;
        if (j->start > 0) { /* keep the unread part at the front */
            memmove(j->buf, j->buf + j->start, j->len - j->start);
            j->len -= j->start;
            j->start = 0;
        }
        if (j->len >= sizeof j->buf - 1)
            mpi_fail(j, "a line of more than %zu bytes", sizeof j->buf);
        uint64_t now = mp_now_ns();
        if (now >= j->deadline)
            mpi_fail(j, "still running after %.0f s: stopped (a rank waiting for a message that never comes?)",
                     mp_ns_to_s(j->deadline - j->t0));
        int rc = mp_fd_wait_readable(j->fd, (int)((j->deadline - now) / 1000000 + 1));
        if (rc == -ETIMEDOUT)
            continue;
        if (rc < 0) {
            mp_syserr("poll", -rc);
            mp_lesson_abort();
        }
        ssize_t k = read(j->fd, j->buf + j->len, sizeof j->buf - 1 - j->len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            mp_syserr("read", errno);
            mp_lesson_abort();
        }
        if (k == 0)
            j->eof = true;
        j->len += (size_t)k;
    }
}

double mpi_finish(mpi_job *j)
{
    while (mpi_line(j)) /* what is left unread */
        ;
    close(j->fd);
    j->fd = -1;
    while (!ended(j->pid)) {
        if (mp_now_ns() >= j->deadline)
            mpi_fail(j, "its output ended but %s (pid %d) did not exit within the time limit", MPIEXEC, (int)j->pid);
        mp_sleep_ns(1000000);
    }
    double s = mp_ns_to_s(mp_now_ns() - j->t0);
    int code = mp_program_wait(j->pid);
    if (code > 0)
        mpi_fail(j, "%s ended with exit code %d: a rank exited with that status (or was killed by that signal), "
                 "and %s stopped the others", MPIEXEC, code, MPIEXEC);
    if (code < 0)
        mpi_fail(j, "%s was killed by signal %d", MPIEXEC, -code);
    if (j->error[0])
        mpi_fail(j, "a rank reported an error");
    return s;
}

bool parse_hello(const char *line, int *rank, int *size, pid_t *pid, pid_t *ppid, char *host, size_t hostlen)
{
    int r, n, p, pp, used = 0;
    if (sscanf(line, "hello %d %d %d %d %n", &r, &n, &p, &pp, &used) != 4 || used == 0)
        return false;
    *rank = r, *size = n, *pid = (pid_t)p, *ppid = (pid_t)pp;
    snprintf(host, hostlen, "%s", line + used);
    return true;
}
