/* What the parts of lesson 13 share: starting the MPI program and reading
 * what its ranks say (launch.c), the task the process pool runs, the CSV
 * file, and what each part found (for the closing verdicts). */
#ifndef LESSON13_H
#define LESSON13_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "mp.h"

/* ---- launch.c: the MPI program, run by mpiexec ----
 *
 * The lesson (this program) is built with gcc like every lesson; the
 * program the ranks run is an MPI program, built with MPICH's compiler
 * wrapper next to it, BUILD/mpi/lesson13-ranks (mk/mpi.mk). The lesson
 * starts `mpiexec.mpich -n RANKS BUILD/mpi/lesson13-ranks EXPERIMENT ARGS`
 * as a registered child (a Ctrl-C or an error stops it, and with it MPICH's
 * proxy and the ranks), reads the lines rank 0 prints, and waits for it.
 * Every wait is bounded: a job that runs past its time limit is stopped and
 * reported. A job that ends with a non-zero status (a rank failed: mpiexec
 * then stops the others) is reported with what the ranks said, and the
 * lesson stops with status 1. */
#define MPIEXEC "mpiexec.mpich"
typedef struct mpi_job {
    const char *what;      /* "part 2's primes job": for messages */
    pid_t pid;             /* mpiexec's */
    int fd;                /* its standard output */
    uint64_t t0, deadline; /* mp_now_ns() at the start; when it must have ended */
    uint64_t first_line;   /* mp_now_ns() when its first line came (0: none yet) */
    bool eof;
    size_t start, len;     /* the unread bytes: buf[start .. len) */
    char buf[1 << 16];
    char error[512];       /* the first "error ..." line a rank printed */
#define LAST_LINES 12
    char last[LAST_LINES][160]; /* the last lines it printed, for a failure's report */
    int nlines;
} mpi_job;

/* Before the first job: is MPICH there, and the MPI program? false, with
 * why (one line for the user), if not. Also points standard input at
 * /dev/null: mpiexec forwards it to rank 0, and would otherwise read the
 * terminal (or stop, with the lesson in the background). */
bool mpi_setup(const char **why);
/* BUILD/mpi/lesson13-ranks, beside this program. */
const char *mpi_program(void);
/* The command line, as the shell would take it, into buf. hostfile: NULL
 * for this machine. args ends with NULL. */
void mpi_command(char *buf, size_t len, int ranks, const char *hostfile, char *const args[]);
/* Start a job (says "running: COMMAND" unless quiet); timeout_s bounds it
 * from start to exit. A failure to start stops the lesson. */
void mpi_start(mpi_job *j, const char *what, int ranks, const char *hostfile, char *const args[], double timeout_s,
               bool quiet);
/* The next line it printed (without the newline), NULL once its output
 * ended. A line "error ..." from a rank is kept (j->error) for the report;
 * the last lines too. Past the time limit: the job is stopped, reported,
 * and the lesson stops. */
const char *mpi_line(mpi_job *j);
/* Wait for mpiexec to end (within the time limit); returns the seconds from
 * start to exit. Anything but exit code 0, or an "error" line from a rank,
 * is reported and stops the lesson. */
double mpi_finish(mpi_job *j);
/* Report a job that said something wrong or too little, and stop. */
_Noreturn void mpi_fail(mpi_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the task the pool runs (pool.c; registered for spawn workers) ---- */
typedef struct primes_arg { uint64_t hi; int32_t parts, index; } primes_arg;
int primes_task(const void *arg, void *result);   /* -> uint64_t: mp_count_primes_share */
typedef struct spin_arg { uint64_t steps, seed; } spin_arg;
int spin_task(const void *arg, void *result);     /* -> uint64_t: mp_spin */

/* ---- mpi.csv: experiment,ranks,msg_bytes,task_ns,median_s,speedup_or_gbps ---- */
extern mp_csv mpi_csv;

/* ---- 1: hello.c, who is who ---- */
#define HELLO_MAX 64
typedef struct hello_result {
    int ranks;
    bool all_once;              /* ranks 0..ranks-1 each said hello exactly once, each its own PID */
    pid_t pid[HELLO_MAX], proxy[HELLO_MAX], mpiexec;
    char host[64];
    mp_stats launch;            /* seconds: mpiexec of the empty job, start to exit */
    mp_stats first_line;        /* seconds: start until the first rank had spoken */
} hello_result;
void part_hello(mp_lesson *L, hello_result *R);

/* ---- 2: primes.c, scatter/compute/reduce against the process pool ---- */
#define JOBS 3
#define RANKS_MAX 64
typedef struct primes_result {
    int ranks;                      /* 1 .. ranks were measured */
    uint64_t hi[JOBS];              /* count the primes below hi */
    uint64_t want[JOBS];            /* the serial loop's counts */
    mp_stats serial[JOBS];          /* the driver's plain loop */
    mp_stats mpi[JOBS][RANKS_MAX + 1], pool[JOBS][RANKS_MAX + 1];
    double mpi_speedup[JOBS][RANKS_MAX + 1], pool_speedup[JOBS][RANKS_MAX + 1];
    double mpi_spread[JOBS][RANKS_MAX + 1];
    mp_stats pool_start;            /* a pool of `ranks` workers: create, close, join */
    bool counts_right;
} primes_result;
void part_primes(mp_lesson *L, const hello_result *H, primes_result *R);

/* ---- 3: pingpong.c, latency and bandwidth against the pipe and the queue ---- */
#define SIZES_MAX 8
enum { PP_MPI, PP_PIPE, PP_QUEUE, NPP };
extern const char *const pp_names[NPP]; /* mpi, pipe, queue */
typedef struct pingpong_result {
    int sizes;
    long bytes[SIZES_MAX], rounds[SIZES_MAX]; /* rounds: at most, */
    double limit_s;                           /* and no longer than this per size, way and repeat */
    mp_stats one_way[NPP][SIZES_MAX];   /* seconds, half a round trip */
    bool intact[NPP];                   /* every checked payload arrived unchanged */
} pingpong_result;
int echo_pipe(void *arg);
int echo_queue(void *arg);
void part_pingpong(mp_lesson *L, pingpong_result *R);

/* ---- 4: tasks.c, the task-cost sweep as MPI work distribution ---- */
#define COSTS_MAX 8
enum { W_MPI_STATIC, W_MPI_MASTER, W_POOL_STATIC, W_POOL_ONE, NWAYS };
extern const char *const way_names[NWAYS];
typedef struct tasks_result {
    int workers, points;
    double cost_ns[COSTS_MAX];
    long n[COSTS_MAX];
    mp_stats serial[COSTS_MAX], way[NWAYS][COSTS_MAX];
    double speedup[NWAYS][COSTS_MAX], spread[NWAYS][COSTS_MAX];
    double overhead_ns[NWAYS];   /* per task, beyond its work, at the smallest cost */
    double breakeven_ns[NWAYS];  /* mp_breakeven: INFINITY if it never paid off */
    long master_share[COSTS_MAX];/* tasks rank 0 did itself in the master's last run */
    bool sums_right;
} tasks_result;
void part_tasks(mp_lesson *L, tasks_result *R);

/* ---- 5: hostfile.c, beyond this machine ---- */
#define HOSTS_MAX 64
typedef struct hostfile {
    char path[4096];
    int hosts, slots;              /* lines, and ranks they offer (host:N gives N, host alone 1) */
    char name[HOSTS_MAX][256];
    bool all_here;                 /* every host is this machine */
} hostfile;
/* --hostfile FILE, taken out of argv before the shared flags are parsed
 * (the shared parser has no flag that takes a path). Returns true when
 * the lesson should go on; false with *status 2 after one line naming the
 * problem (no value, a missing or unreadable file, no host in it). */
bool take_hostfile_flag(int *argc, char **argv, hostfile *h, bool *given, int *status);
/* After --help: the line for --hostfile. */
void hostfile_help(void);
typedef struct hosts_result {
    bool ran;                      /* a hostfile of this machine's names was run */
    int proxies;                   /* distinct parents of the ranks: one proxy per host */
    int ranks;
    bool all_once;
} hosts_result;
void part_hosts(mp_lesson *L, const hostfile *given, hosts_result *R);

/* ---- shared by the parts ---- */
/* Parse "hello RANK SIZE PID PPID HOST" into h (index: rank); false if
 * the line is not one. */
bool parse_hello(const char *line, int *rank, int *size, pid_t *pid, pid_t *ppid, char *host, size_t hostlen);

#endif
