/* grade-sandbox: run one untrusted program (a student's test binary, or the
 * make that compiles a student's file) with limits, and leave nothing behind.
 *
 *   grade-sandbox [--uid U] [--wall S] [--cpu S] [--mem MIB] [--procs N]
 *                 [--output BYTES] [--file-mib M] [--shm-mib M] [--log FILE]
 *                 [--dir DIR] -- PROGRAM ARG...
 *
 * PROGRAM runs in DIR (default: here) with stdin from /dev/null and its
 * output to FILE (default: nowhere).
 *
 * It prints one line on stdout, for scripts/grade.sh to read:
 *
 *   result=exited code=0 signal=- seconds=0.412 left=0 cleaned=0
 *
 * result is exited (code: its exit status), signaled (signal: the one that
 * killed it), timeout (the wall limit), cpu-limit (RLIMIT_CPU's SIGXCPU),
 * output-limit (it printed more than --output bytes: stopped then) or
 * process-limit (it reached --procs processes and threads: a fork bomb,
 * killed at once rather than left to spin until the wall limit).
 * left: processes that were still running when it ended (all killed);
 * cleaned: what it left in /tmp, /var/tmp and /dev/shm (all removed; with
 * --shm-mib, what it left in its own /dev/shm vanishes uncounted).
 * Exit status 0 when the program ran (whatever its result), 2 for bad
 * flags, 1 when the sandbox itself could not do its job.
 *
 * Why a C program and not shell: every limit is a setrlimit() between
 * fork() and exec() in the child, the uid change must come after them, and
 * finding and killing whatever the program started (also daemons that left
 * its session) needs a subreaper (PR_SET_CHILD_SUBREAPER) and kill(-1) from
 * that uid -- none of which the shell can do without races. It lives in
 * tools/ because it is a program built from C like the lessons, not one of
 * the scripts; mk/grade.mk builds it into $(BUILD)/tools/.
 *
 * The limits, per run:
 *   --wall S     wall time; then everything it started is killed
 *   --cpu S      CPU time of each process (RLIMIT_CPU)
 *   --mem MIB    address space of each process (RLIMIT_AS)
 *   --procs N    processes and threads at once (RLIMIT_NPROC; reaching it
 *                stops the run)
 *   --output B   bytes it may print (stdout and stderr together): the
 *                sandbox copies them from a pipe to the log, and stops it at
 *                the first byte over (the log keeps the first B bytes)
 *   --file-mib M the size of any file it writes (RLIMIT_FSIZE; 1024 unless
 *                said: shared memory is a file too, MPI's is large)
 *   --shm-mib M  with --uid: a /dev/shm of its own, a tmpfs of M MiB in
 *                all. /dev/shm is memory that no process owns, so no
 *                per-process limit bounds it: a program writing files there
 *                could fill the machine's memory within its time (and the
 *                OOM killer cannot free it). Its files vanish with its
 *                last process. Where root may not mount (a container
 *                without CAP_SYS_ADMIN) the program shares /dev/shm.
 *   core dumps off (RLIMIT_CORE 0), no new privileges (no setuid programs).
 *
 * RLIMIT_NPROC does not bind root, and grading usually runs as root (CI
 * does). So as root the program runs as --uid U: a uid with no account
 * (the sandbox refuses one that has an account, or running processes), so
 * that every process of U is the program's, every process of U can be
 * killed with one kill(-1, SIGKILL) sent as U, and every file of U in the
 * temp folders is its leftover. Not root, it runs as you: --procs is
 * checked against this process's descendants (RLIMIT_NPROC, which counts
 * all of yours, is a backstop with room for your others), and the
 * left-overs are found as its descendants. Either way, if the sandbox
 * itself is killed (SIGKILL to the grader's whole process group), its
 * keeper, the process it runs under, in a session of its own, kills what
 * is left (keep(), below).
 */
#define _GNU_SOURCE /* prctl(PR_SET_CHILD_SUBREAPER), setresuid, setgroups, close_range, unshare: Linux */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp.h"

/* Not root: room in RLIMIT_NPROC for the caller's other processes. */
#define NOT_ROOT_SLACK 256
/* How often the program's processes are counted: a fork bomb reaches any
 * limit in milliseconds, and is then stuck there, so it is always seen. */
#define SCAN_NS 20000000u

typedef struct limits {
    long uid; /* -1: run as the caller */
    double wall_s;
    long cpu_s, mem_mib, procs, output, file_mib, shm_mib;
    long have; /* not root: the caller's processes and threads before the run */
    const char *log, *dir;
} limits;

static volatile sig_atomic_t stop_signal; /* Ctrl-C, kill: the signal to stop with */

static void on_stop(int sig) { stop_signal = sig; }

static void die(const char *what)
{
    fprintf(stderr, "grade-sandbox: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "grade-sandbox: %s%s%s (see the header of tools/grade-sandbox.c)\n", msg,
            arg ? ": " : "", arg ? arg : "");
    exit(2);
}

/* A whole number in [min, max], or a clear line and status 2. */
static long number_arg(const char *flag, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "grade-sandbox: %s takes a whole number from %ld to %ld, not '%s'\n", flag, min, max, s);
        exit(2);
    }
    return v;
}

/* ---- the processes of uid U, read from /proc ---- */

/* The real uid, thread count and state letter of pid, from
 * /proc/PID/status; false if it is gone. */
static bool task_owner(const char *pid, long *uid, long *threads, char *state)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    *uid = -1, *threads = 1, *state = '?';
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "Uid: %ld", uid);
        sscanf(line, "Threads: %ld", threads);
        sscanf(line, "State: %c", state);
    }
    fclose(f);
    return *uid >= 0;
}

/* How many processes of uid there are (zombies too: they still count
 * against RLIMIT_NPROC), with their threads; and how many are not zombies. */
static long count_uid(long uid, long *tasks, long *live)
{
    DIR *d = opendir("/proc");
    if (!d)
        die("opendir /proc");
    long n = 0, t = 0, l = 0, u, th;
    char st;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        if (task_owner(e->d_name, &u, &th, &st) && u == uid)
            n++, t += th, l += (st != 'Z');
    }
    closedir(d);
    if (tasks)
        *tasks = t;
    if (live)
        *live = l;
    return n;
}

/* Not root: the processes and threads below this one (as the subreaper,
 * every process the program started is). */
static long count_descendants(void)
{
    enum { MAX = 32768 };
    static pid_t pid[MAX], ppid[MAX];
    static long threads[MAX];
    static bool mine[MAX];
    int n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        die("opendir /proc");
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < MAX) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], buf[1024];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        char *after = len > 0 ? (buf[len] = '\0', strrchr(buf, ')')) : NULL; /* the name may hold spaces */
        int pp;
        long th;
        /* fields 3 on: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
         * cutime cstime priority nice num_threads */
        if (after && sscanf(after + 2, "%*c %d %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %ld",
                            &pp, &th) == 2)
            pid[n] = (pid_t)atoi(e->d_name), ppid[n] = pp, threads[n] = th, mine[n] = false, n++;
    }
    closedir(d);
    long tasks = 0;
    for (bool more = true; more;) { /* mark the children of what is marked, until nothing changes */
        more = false;
        for (int i = 0; i < n; i++) {
            if (mine[i])
                continue;
            bool below = ppid[i] == getpid();
            for (int j = 0; j < n && !below; j++)
                below = mine[j] && pid[j] == ppid[i];
            if (below)
                mine[i] = more = true, tasks += threads[i];
        }
    }
    return tasks;
}

/* Kill every process of uid at once: kill(-1) sent as that uid reaches all of
 * them and nothing else, and the kernel lets none fork while it runs. */
static void kill_uid(long uid)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) != 0 ||
            setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0)
            _exit(1);
        kill(-1, SIGKILL);
        _exit(0);
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* Reap whatever has ended (children, and orphans handed to us as the subreaper). */
static void reap_ended(pid_t main_pid, int *main_status, bool *main_done)
{
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0)
        if (p == main_pid)
            *main_status = st, *main_done = true;
}

/* Kill everything the program started, reap it, and return how many
 * processes were running when it was called. As the subreaper, every
 * descendant whose parent dies becomes our child, so killing our children
 * over and over reaches them all, also those that left its session
 * (setsid) -- but only if they do not fork faster than we kill, hence the
 * kills of a whole group or uid at once first. */
static int kill_everything(const limits *lim, pid_t main_pid, int *main_status, bool *main_done)
{
    int zombies = 0, seen;
    long live = 0;
    if (lim->uid >= 0)
        count_uid(lim->uid, NULL, &live);
    seen = mp_proc_children_of(getpid(), NULL, 0, &zombies) - zombies;
    if (live > seen)
        seen = (int)live;
    uint64_t give_up = mp_now_ns() + 10ull * 1000000000u;
    for (;;) {
        /* as root, every process of U at once; not root, its process
         * group at once (the kernel lets none of them fork meanwhile; the
         * group's ID stays its own while the group has a member) */
        if (lim->uid >= 0)
            kill_uid(lim->uid);
        else if (main_pid > 0)
            kill(-main_pid, SIGKILL);
        pid_t kids[512];
        int n = mp_proc_children_of(getpid(), kids, 512, NULL);
        if (n > 512)
            n = 512;
        for (int i = 0; i < n; i++) { /* each one, and the group it may have made */
            pid_t g = getpgid(kids[i]);
            if (g > 1 && g != getpgrp())
                kill(-g, SIGKILL);
            kill(kids[i], SIGKILL);
        }
        mp_sleep_ns(2000000);
        reap_ended(main_pid, main_status, main_done);
        bool none = mp_proc_children_of(getpid(), NULL, 0, NULL) == 0 &&
                    (lim->uid < 0 || count_uid(lim->uid, NULL, NULL) == 0);
        if (none)
            return seen;
        if (mp_now_ns() > give_up) {
            fprintf(stderr, "grade-sandbox: processes of the program are still there after 10 s of killing\n");
            exit(1);
        }
    }
}

/* ---- what uid U left in the temp folders ---- */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Remove every entry of dir owned by uid (a folder with all it holds;
 * links are removed, never followed). Returns how many. */
static int clean_dir(const char *dir, long uid)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0 || (long)st.st_uid != uid)
            continue;
        if (S_ISDIR(st.st_mode))
            nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        else
            unlink(path);
        n++;
    }
    closedir(d);
    return n;
}

static int clean_temp(long uid)
{
    if (uid < 0)
        return 0;
    return clean_dir("/tmp", uid) + clean_dir("/var/tmp", uid) + clean_dir("/dev/shm", uid);
}

/* ---- the child: limits, then the uid, then the program ---- */

/* As root, before the uid changes: a mount namespace in which /dev/shm is a
 * tmpfs of mib MiB, seen by the program and its descendants only. false if
 * the kernel refuses (then /dev/shm is the machine's, as before). */
static bool private_shm(long mib)
{
    char opts[64];
    snprintf(opts, sizeof opts, "size=%ldm,mode=1777", mib);
    return unshare(CLONE_NEWNS) == 0 &&
           /* private first: a mount made here must not propagate to the machine's /dev/shm */
           mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
           mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, opts) == 0;
}

static void set_limit(int resource, rlim_t soft, rlim_t hard, const char *name)
{
    struct rlimit r = {soft, hard};
    if (setrlimit(resource, &r) != 0) {
        fprintf(stderr, "grade-sandbox: setrlimit %s: %s\n", name, strerror(errno));
        _exit(127);
    }
}

static void run_child(const limits *lim, int out_fd, char **argv)
{
    if (setsid() < 0) /* its own session: no terminal, its own process group */
        _exit(127);
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
        _exit(127);
    close_range(3, ~0u, 0); /* nothing of the grader's (make's jobserver pipe...) */
    if (lim->dir && chdir(lim->dir) != 0) {
        fprintf(stderr, "grade-sandbox: chdir %s: %s\n", lim->dir, strerror(errno));
        _exit(127);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* the sandbox killed: this one dies too */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "grade-sandbox: prctl PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
        _exit(127);
    }
    if (lim->cpu_s > 0) /* SIGXCPU at the limit, SIGKILL a second later if caught */
        set_limit(RLIMIT_CPU, (rlim_t)lim->cpu_s, (rlim_t)lim->cpu_s + 1, "RLIMIT_CPU");
    if (lim->mem_mib > 0)
        set_limit(RLIMIT_AS, (rlim_t)lim->mem_mib << 20, (rlim_t)lim->mem_mib << 20, "RLIMIT_AS");
    set_limit(RLIMIT_FSIZE, (rlim_t)lim->file_mib << 20, (rlim_t)lim->file_mib << 20, "RLIMIT_FSIZE");
    set_limit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE");
    if (lim->procs > 0) {
        /* Not root, RLIMIT_NPROC counts the caller's other processes too,
         * which come and go: it is only the backstop, with room for them;
         * the sandbox counts the program's own (count_descendants). */
        rlim_t n = (rlim_t)(lim->uid >= 0 ? lim->procs : lim->have + lim->procs + NOT_ROOT_SLACK);
        set_limit(RLIMIT_NPROC, n, n, "RLIMIT_NPROC");
    }
    if (lim->shm_mib > 0)
        private_shm(lim->shm_mib);
    if (lim->uid >= 0) {
        gid_t g = (gid_t)lim->uid;
        uid_t u = (uid_t)lim->uid;
        if (setgroups(0, NULL) != 0 || setresgid(g, g, g) != 0 || setresuid(u, u, u) != 0) {
            fprintf(stderr, "grade-sandbox: becoming uid %ld: %s\n", lim->uid, strerror(errno));
            _exit(127);
        }
    }
    /* a clean environment: nothing of the grader's leaks in; C messages */
    clearenv();
    setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
    setenv("HOME", lim->dir ? lim->dir : "/", 1);
    setenv("LC_ALL", "C", 1);
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[0], argv);
    fprintf(stderr, "grade-sandbox: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* ---- its output: from the pipe to the log, at most --output bytes ---- */

typedef struct output_sink {
    int from, to;
    long copied, cap; /* cap 0: no limit */
    bool over;        /* it printed more than cap */
    bool closed;      /* every writer has closed it: nothing more will come */
} output_sink;

/* Copy what is in the pipe now (at most reads times 64 KiB, so that a
 * flood with no cap still lets the caller check its clock) to the log;
 * true once it is over the cap. */
static bool pump(output_sink *s, int reads)
{
    char buf[65536];
    ssize_t n = -1;
    while (reads-- > 0 && (n = read(s->from, buf, sizeof buf)) != 0) {
        if (n < 0) /* EAGAIN: nothing now (or an error: then nothing either) */
            break;
        long keep = s->cap == 0 || s->copied + n <= s->cap ? (long)n : s->cap - s->copied;
        if (keep > 0 && mp_write_full(s->to, buf, (size_t)keep) != 0)
            die("write to the log");
        s->copied += keep;
        if (keep < n)
            s->over = true;
    }
    if (n == 0)
        s->closed = true;
    return s->over;
}

/* ---- the checks before a run ---- */

static void check_uid(long uid)
{
    if (geteuid() != 0)
        usage_error("--uid needs root (not root, leave it out: the program runs as you)", NULL);
    if (uid == 0)
        usage_error("--uid 0 is root: the limits would not bind", NULL);
    struct passwd *pw = getpwuid((uid_t)uid);
    if (pw) {
        fprintf(stderr, "grade-sandbox: uid %ld is %s's: pick a uid with no account (its files in /tmp are removed)\n",
                uid, pw->pw_name);
        exit(2);
    }
    if (count_uid(uid, NULL, NULL) > 0) {
        fprintf(stderr, "grade-sandbox: uid %ld already has processes running: is another grading running? "
                        "Pick another uid\n", uid);
        exit(1);
    }
}

static limits parse_args(int argc, char **argv, int *prog)
{
    limits lim = {.uid = -1, .wall_s = 20, .cpu_s = 0, .mem_mib = 0, .procs = 0, .output = 0, .file_mib = 1024,
                  .shm_mib = 0};
    static const struct option opts[] = {
        {"uid", required_argument, NULL, 'u'},   {"wall", required_argument, NULL, 'w'},
        {"cpu", required_argument, NULL, 'c'},   {"mem", required_argument, NULL, 'm'},
        {"procs", required_argument, NULL, 'p'}, {"output", required_argument, NULL, 'o'},
        {"log", required_argument, NULL, 'l'},   {"dir", required_argument, NULL, 'd'},
        {"file-mib", required_argument, NULL, 'f'}, {"shm-mib", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'u': lim.uid = number_arg("--uid", optarg, 1, 2147483646); break;
        case 'w': lim.wall_s = (double)number_arg("--wall", optarg, 1, 86400); break;
        case 'c': lim.cpu_s = number_arg("--cpu", optarg, 1, 86400); break;
        case 'm': lim.mem_mib = number_arg("--mem", optarg, 16, 1 << 20); break;
        case 'p': lim.procs = number_arg("--procs", optarg, 2, 1 << 20); break;
        case 'o': lim.output = number_arg("--output", optarg, 1024, 1L << 40); break;
        case 'f': lim.file_mib = number_arg("--file-mib", optarg, 1, 1 << 20); break;
        case 's': lim.shm_mib = number_arg("--shm-mib", optarg, 1, 1 << 20); break;
        case 'l': lim.log = optarg; break;
        case 'd': lim.dir = optarg; break;
        case 'h':
            printf("usage: grade-sandbox [--uid U] [--wall S] [--cpu S] [--mem MIB] [--procs N] [--output BYTES]\n"
                   "                     [--file-mib M] [--shm-mib M] [--log FILE] [--dir DIR] -- PROGRAM ARG...\n"
                   "Runs PROGRAM with these limits and prints one result= line (tools/grade-sandbox.c says more).\n");
            exit(0);
        default: exit(2); /* getopt_long has said what was wrong */
        }
    }
    if (optind >= argc)
        usage_error("no program to run given after the flags", NULL);
    if (lim.shm_mib > 0 && lim.uid < 0)
        usage_error("--shm-mib needs --uid (a mount of its own needs root)", NULL);
    *prog = optind;
    return lim;
}

/* ---- the keeper: when the sandbox itself is killed ---- */

/* The sandbox may itself be killed with SIGKILL (a test runner stopping a
 * whole process group), and then cannot clean up. So it runs as the child
 * of a keeper in a session of its own, out of reach of signals sent to the
 * grader's group: the keeper only waits, and if the sandbox died of a
 * signal it kills, as the subreaper the orphans come to, what is left, then
 * ends the way the sandbox did. */
static pid_t kept; /* the sandbox */

static void pass_on(int sig) { kill(kept, sig); }

static int keep(const limits *lim, pid_t sandbox)
{
    kept = sandbox;
    /* Ctrl-C, kill: passed on to the sandbox, which stops cleanly (setsid
     * fails in a group of its own: then Ctrl-C reaches both, no harm) */
    struct sigaction sa = {.sa_handler = pass_on};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    setsid();
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    int st;
    while (waitpid(sandbox, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    int unused_status;
    bool unused_done;
    kill_everything(lim, 0, &unused_status, &unused_done);
    clean_temp(lim->uid);
    signal(WTERMSIG(st), SIG_DFL);
    raise(WTERMSIG(st));
    return 1;
}

int main(int argc, char **argv)
{
    int prog;
    limits lim = parse_args(argc, argv, &prog);
    if (lim.uid >= 0)
        check_uid(lim.uid);
    fflush(NULL);
    pid_t keeper = getpid();
    pid_t sandbox = fork();
    if (sandbox < 0)
        die("fork");
    if (sandbox > 0)
        return keep(&lim, sandbox);
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* the keeper killed: stop, cleanly */
    if (getppid() != keeper)          /* it was, before that line */
        return 1;

    /* Orphans of the program become our children, so that we see them all. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        die("prctl PR_SET_CHILD_SUBREAPER");
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    /* The log is written here, as the caller, with what the program prints
     * into a pipe: so its output can be cut at --output bytes. */
    int log_fd = open(lim.log ? lim.log : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        fprintf(stderr, "grade-sandbox: open %s: %s\n", lim.log, strerror(errno));
        return 1;
    }
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        die("pipe2");
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    output_sink sink = {.from = out[0], .to = log_fd, .cap = lim.output};
    int cleaned = clean_temp(lim.uid); /* a previous run's, if it was itself killed */
    lim.have = 0;
    if (lim.uid < 0)
        count_uid((long)getuid(), &lim.have, NULL);

    uint64_t t0 = mp_now_ns();
    uint64_t deadline = t0 + (uint64_t)(lim.wall_s * 1e9);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0)
        run_child(&lim, out[1], argv + prog);
    close(out[1]);

    int status = 0;
    bool done = false;
    const char *result = NULL;
    uint64_t last_scan = 0;
    while (!done && !stop_signal) {
        reap_ended(pid, &status, &done);
        if (done)
            break;
        if (mp_now_ns() > deadline) {
            result = "timeout";
            break;
        }
        /* /proc is read every SCAN_NS at most (a program that prints
         * wakes this loop far more often) */
        uint64_t now = mp_now_ns();
        if (lim.procs > 0 && now - last_scan >= SCAN_NS) {
            long tasks = 0;
            last_scan = now;
            if (lim.uid >= 0)
                count_uid(lim.uid, &tasks, NULL);
            else
                tasks = count_descendants();
            if (tasks >= lim.procs) {
                result = "process-limit";
                break;
            }
        }
        /* a program that closed its output (all its processes did) makes
         * the pipe readable at once, forever: then it is not polled */
        struct pollfd pf = {sink.closed ? -1 : out[0], POLLIN, 0};
        if (poll(&pf, 1, 10) > 0 && pump(&sink, 16)) {
            result = "output-limit";
            break;
        }
    }
    double seconds = mp_ns_to_s(mp_now_ns() - t0);
    bool main_done = done;
    int left = kill_everything(&lim, pid, &status, &done);
    if (!main_done && left > 0)
        left--; /* the program itself, stopped at a limit, is not a leftover */
    cleaned += clean_temp(lim.uid);
    pump(&sink, INT_MAX); /* what it printed last (every writer is gone: then EOF) */
    close(out[0]);
    close(log_fd);

    if (stop_signal) { /* stopped from outside: nothing left, then stop as asked */
        fprintf(stderr, "grade-sandbox: stopped by signal %d; everything the program started was killed\n",
                (int)stop_signal);
        signal((int)stop_signal, SIG_DFL);
        raise((int)stop_signal);
        return 1;
    }

    int code = -1, sig = 0;
    if (!result) {
        if (WIFSIGNALED(status)) {
            sig = WTERMSIG(status);
            result = sink.over ? "output-limit" : sig == SIGXCPU ? "cpu-limit" : "signaled";
        } else {
            code = WEXITSTATUS(status);
            result = sink.over ? "output-limit" : "exited";
        }
    }
    char signame[32] = "-";
    if (sig)
        snprintf(signame, sizeof signame, "SIG%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    printf("result=%s code=%d signal=%s seconds=%.3f left=%d cleaned=%d\n", result, code, signame, seconds, left,
           cleaned);
    return 0;
}
