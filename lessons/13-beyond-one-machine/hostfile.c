/* Lesson 13, part 5 -- beyond this machine: a hostfile.
 *
 * The MPI program does not change to run on several machines; the launch
 * does. A hostfile lists the machines, one per line, with how many ranks
 * each takes (MPICH's form: `node1:4`; a name alone takes 1), and
 *
 *     mpiexec.mpich -f hosts.txt -n 8 /path/to/lesson13-ranks primes 3 ...
 *
 * starts one proxy on each machine (over ssh), and each proxy starts that
 * machine's ranks. The README says what each machine needs.
 *
 * --hostfile FILE: the lesson checks the file before anything runs (a
 * missing or unreadable file, a line it cannot read, no host at all: one
 * line and status 2), then prints the exact commands for it. If every host
 * in it is this machine (localhost, 127.0.0.1, its own name), it runs the
 * hello job with it; another machine needs ssh and MPICH there, so the
 * lesson only prints the command. Without --hostfile, it writes a hostfile
 * naming this machine twice (localhost and 127.0.0.1: two names, so MPICH
 * takes them for two hosts) and runs the hello job with it: the ranks hang
 * off two proxies, as they would on two machines.
 *
 * The shared flags (lib/cli.h) take numbers and choices only, so --hostfile
 * is taken out of the command line before they are parsed. */
#define _XOPEN_SOURCE 700 /* realpath: POSIX, in its XSI part */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "lesson13.h"

#define PROG "lesson-13"

static bool refuse(int *status, const char *value, const char *why)
{
    if (value)
        fprintf(stderr, PROG ": --hostfile '%s': %s\n", value, why);
    else
        fprintf(stderr, PROG ": --hostfile: %s\n", why);
    *status = 2;
    return false;
}

static bool is_this_machine(const char *host)
{
    char me[256] = "";
    gethostname(me, sizeof me);
    me[sizeof me - 1] = '\0';
    size_t short_len = strcspn(me, ".");
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
           strcmp(host, me) == 0 || (strlen(host) == short_len && strncmp(host, me, short_len) == 0);
}

/* Read and check the file: MPICH's hostfile, `host` or `host:N` per line,
 * `#` starting a comment. */
static bool read_hostfile(hostfile *h, const char *path, int *status)
{
    memset(h, 0, sizeof *h);
    if (!*path)
        return refuse(status, path, "must not be empty");
    if (!realpath(path, h->path)) {
        char why[300];
        snprintf(why, sizeof why, "cannot read it: %s", strerror(errno));
        return refuse(status, path, why);
    }
    FILE *f = fopen(h->path, "r");
    if (!f) {
        char why[300];
        snprintf(why, sizeof why, "cannot read it: %s", strerror(errno));
        return refuse(status, path, why);
    }
    char line[1024], why[1200];
    h->all_here = true;
    for (int no = 1; fgets(line, sizeof line, f); no++) {
        line[strcspn(line, "#\r\n")] = '\0';
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        char *end = p + strlen(p);
        while (end > p && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (!*p)
            continue;
        long slots = 1;
        char *colon = strrchr(p, ':');
        if (colon && strchr(p, ':') == colon) { /* host:N (an IPv6 address has several colons) */
            *colon = '\0';
            if (mp_parse_long(colon + 1, 1, 100000, &slots) != 0) {
                snprintf(why, sizeof why, "line %d: '%s:%s': the number after ':' must be a whole number from 1",
                         no, p, colon + 1);
                fclose(f);
                return refuse(status, path, why);
            }
        }
        if (strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:") != strlen(p) ||
            strlen(p) >= sizeof h->name[0]) {
            snprintf(why, sizeof why, "line %d: '%.200s' is not a host name (lines are HOST or HOST:RANKS)", no, p);
            fclose(f);
            return refuse(status, path, why);
        }
        if (h->hosts == HOSTS_MAX) {
            snprintf(why, sizeof why, "more than %d hosts: this lesson shows commands for at most %d", HOSTS_MAX,
                     HOSTS_MAX);
            fclose(f);
            return refuse(status, path, why);
        }
        memcpy(h->name[h->hosts++], p, strlen(p) + 1); /* it fits: checked above */
        h->slots += (int)slots;
        h->all_here = h->all_here && is_this_machine(p);
    }
    bool failed = ferror(f);
    int err = errno;
    fclose(f);
    if (failed) {
        snprintf(why, sizeof why, "cannot read it: %s", strerror(err));
        return refuse(status, path, why);
    }
    if (h->hosts == 0)
        return refuse(status, path, "no host in it (one per line: HOST or HOST:RANKS)");
    return true;
}

bool take_hostfile_flag(int *argc, char **argv, hostfile *h, bool *given, int *status)
{
    *given = false;
    *status = 0;
    for (int i = 1; i < *argc;) {
        const char *value;
        int words;
        if (strcmp(argv[i], "--hostfile") == 0) {
            if (i + 1 >= *argc)
                return refuse(status, NULL, "needs a value");
            value = argv[i + 1];
            if (value[0] == '-' && value[1] == '-')
                return refuse(status, NULL, "needs a value (the next word is a flag)");
            words = 2;
        } else if (strncmp(argv[i], "--hostfile=", 11) == 0) {
            value = argv[i] + 11;
            words = 1;
        } else {
            i++;
            continue;
        }
        if (!read_hostfile(h, value, status))
            return false;
        *given = true;
        for (int k = i; k + words <= *argc; k++) /* argv[argc] is NULL: it moves down too */
            argv[k] = argv[k + words];
        *argc -= words;
    }
    return true;
}

void hostfile_help(void)
{
    printf("  --hostfile FILE   MPICH's hostfile (HOST or HOST:RANKS per line): part 5 prints the commands that run\n"
           "                    this lesson's MPI program on those machines (and runs it, if they are all this one)\n");
}

/* The hello job with a hostfile; how many proxies the ranks hang off. */
static void run_hello(mp_lesson *L, const char *path, int ranks, hosts_result *R)
{
    (void)L;
    mpi_job j;
    char *args[] = {"hello", NULL};
    mpi_start(&j, "part 5's hello job", ranks, path, args, 30, false);
    int seen[HELLO_MAX] = {0};
    pid_t proxies[HELLO_MAX];
    R->proxies = 0;
    for (const char *line; (line = mpi_line(&j));) {
        int rank, size;
        pid_t pid, ppid;
        char host[64];
        if (!parse_hello(line, &rank, &size, &pid, &ppid, host, sizeof host))
            continue;
        mp_say("  a rank printed: %s", line);
        if (rank < 0 || rank >= ranks || size != ranks)
            mpi_fail(&j, "an unexpected line: %s", line);
        seen[rank]++;
        bool known = false;
        for (int i = 0; i < R->proxies; i++)
            known = known || proxies[i] == ppid;
        if (!known)
            proxies[R->proxies++] = ppid;
    }
    mpi_finish(&j);
    R->ran = true;
    R->ranks = ranks;
    R->all_once = true;
    for (int r = 0; r < ranks; r++)
        R->all_once = R->all_once && seen[r] == 1;
}

static void print_commands(const char *path, int ranks)
{
    char cmd[4096];
    char *hello[] = {"hello", NULL}, *primes[] = {"primes", "3", "2000000", NULL};
    mpi_command(cmd, sizeof cmd, ranks, path, hello);
    mp_say("  %s", cmd);
    mpi_command(cmd, sizeof cmd, ranks, path, primes);
    mp_say("  %s", cmd);
}

void part_hosts(mp_lesson *L, const hostfile *given, hosts_result *R)
{
    memset(R, 0, sizeof *R);
    mp_lesson_part(L, "5. Beyond this machine: the same program on the machines of a hostfile");
    if (given) {
        mp_say("--hostfile %s: %d host%s, %d rank%s in all:", given->path, given->hosts, given->hosts == 1 ? "" : "s",
               given->slots, given->slots == 1 ? "" : "s");
        for (int i = 0; i < given->hosts; i++)
            mp_say("  %s%s", given->name[i], is_this_machine(given->name[i]) ? " (this machine)" : "");
        mp_say("the commands (from this machine; the hello job, then the primes job on every rank):");
        print_commands(given->path, given->slots);
        if (!given->all_here) {
            mp_say("not run here: a host in it is another machine. The commands above need ssh without a password "
                   "to each host, and MPICH and %s at the same path on each (README: 'Beyond this machine')",
                   mpi_program());
            return;
        }
        int ranks = given->slots < HELLO_MAX ? given->slots : HELLO_MAX;
        mp_say("every host is this machine, so the hello job runs with it (%d ranks):", ranks);
        run_hello(L, given->path, ranks, R);
    } else {
        char path[PATH_MAX];
        CHECK(mp_out_path(path, sizeof path, L->o.out, "hosts-demo.txt"));
        FILE *f = mp_file_create(path);
        if (!f)
            mp_lesson_abort();
        fprintf(f, "# two names of this machine: MPICH starts a proxy for each, as for two machines\n"
                   "localhost:1\n127.0.0.1:1\n");
        if (mp_file_close(f, path) != 0)
            mp_lesson_abort();
        mp_say("a hostfile naming this machine twice, %s (localhost:1 and 127.0.0.1:1), and 4 ranks: one rank per "
               "host in turn", path);
        run_hello(L, path, 4, R);
        mp_say("with --hostfile FILE this part prints the commands for the machines in FILE; for two machines of "
               "2 CPUs each, FILE would read 'node1:2' and 'node2:2'");
    }
    mp_say("the ranks hung off %d prox%s: %s starts one proxy per host (over ssh on another machine), each proxy "
           "starts its host's ranks", R->proxies, R->proxies == 1 ? "y" : "ies", MPIEXEC);
}
