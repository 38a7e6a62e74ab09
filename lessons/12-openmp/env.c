/* Lesson 12, part 4 -- how many threads does OpenMP start?
 *
 * omp_get_max_threads() is the team a parallel region without a
 * num_threads clause gets. By default libgomp makes it one thread per CPU
 * this process may use -- it reads the affinity mask, as the kit's
 * mp_cpus_usable() and Python's os.process_cpu_count() do, so under
 * `taskset -c 0` it is 1 -- and OMP_NUM_THREADS overrides it, even beyond
 * the CPUs there are. (This lesson passes num_threads(--workers) to every
 * loop; without it, these are the numbers its loops would get.)
 *
 * The environment is read once, when the program starts, so the lesson runs
 * itself again, with --omp-info, under four settings: as it is, with
 * OMP_NUM_THREADS=3, under taskset -c CPU, and both. Each child prints one
 * line; they are started as registered children (a Ctrl-C stops them too). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_ISSET: which CPU to pin the child to */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "lesson12.h"

int print_omp_info(void)
{
    printf("omp-info: max_threads %d num_procs %d usable %d\n", omp_get_max_threads(), omp_get_num_procs(),
           mp_cpus_usable());
    return fflush(stdout) == 0 ? 0 : 1;
}

static const char *const setting_names[NSETTINGS] = {"plain", "omp3", "pinned", "pinned-omp3"};

/* The first CPU this process may run on: the one taskset pins the child to. */
static int first_usable_cpu(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set))
                return c;
    return 0;
}

/* Run argv (argv[0] on the PATH) and read its --omp-info line into *s. */
static void ask(char *const argv[], env_setting *s, char *cmd, size_t len)
{
    cmd[0] = '\0';
    for (int i = 0; argv[i]; i++)
        snprintf(cmd + strlen(cmd), len - strlen(cmd), "%s%s", i ? " " : "", argv[i]);
    pid_t pid;
    int fd;
    CHECK(mp_program_start(argv, &pid, &fd));
    FILE *f = fdopen(fd, "r");
    if (!f) {
        mp_syserr("fdopen", errno);
        mp_lesson_abort();
    }
    char line[256];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "omp-info: max_threads %d num_procs %d usable %d", &s->max_threads, &s->num_procs,
                   &s->usable) == 3)
            s->ran = true;
    fclose(f);
    int code = mp_program_wait(pid);
    if (code != 0 || !s->ran) {
        mp_error("%s: %s", cmd, code != 0 ? "did not end with exit code 0" : "printed no omp-info line");
        mp_lesson_abort();
    }
}

void part_env(mp_lesson *L, env_result *R)
{
    mp_lesson_part(L, "4. How many threads: the usable CPUs, OMP_NUM_THREADS, taskset");
    *R = (env_result){.have_taskset = mp_have_program("taskset")};
    const char *mine = getenv("OMP_NUM_THREADS");
    mp_say("this run: omp_get_max_threads() %d, omp_get_num_procs() %d, CPUs online %d, usable %d, OMP_NUM_THREADS "
           "%s", omp_get_max_threads(), omp_get_num_procs(), mp_cpus_online(), mp_cpus_usable(),
           mine ? mine : "not set");
    char exe[4096], cpu[16], cmd[4400];
    snprintf(exe, sizeof exe, "%s", mp_spawn_exe());
    snprintf(cpu, sizeof cpu, "%d", first_usable_cpu());
    char *argv[NSETTINGS][9] = {
        {"env", "-u", "OMP_NUM_THREADS", exe, "--omp-info", NULL},
        {"env", "OMP_NUM_THREADS=3", exe, "--omp-info", NULL},
        {"env", "-u", "OMP_NUM_THREADS", "taskset", "-c", cpu, exe, "--omp-info", NULL},
        {"env", "OMP_NUM_THREADS=3", "taskset", "-c", cpu, exe, "--omp-info", NULL},
    };
    if (!R->have_taskset)
        mp_say("taskset is not installed (Debian: util-linux), so the pinned runs are skipped");
    mp_table t;
    mp_table_header(&t, "command|omp_get_max_threads|omp_get_num_procs|usable CPUs (kit)");
    for (int s = 0; s < NSETTINGS; s++) {
        if ((s == E_PINNED || s == E_PINNED_THREE) && !R->have_taskset)
            continue;
        env_setting *e = &R->s[s];
        ask(argv[s], e, cmd, sizeof cmd);
        /* the command as one would type it, without the long path */
        char shown[200] = "";
        for (int i = 1; argv[s][i]; i++)
            snprintf(shown + strlen(shown), sizeof shown - strlen(shown), "%s%s", i > 1 ? " " : "",
                     argv[s][i] == exe ? "lesson-12" : argv[s][i]);
        mp_table_row(&t, "%s|%d|%d|%d", shown, e->max_threads, e->num_procs, e->usable);
        CHECK(mp_csv_row(&threads_csv, "%s,%s,%s,%d,%d,%d", setting_names[s],
                         s == E_THREE || s == E_PINNED_THREE ? "3" : "unset",
                         s == E_PINNED || s == E_PINNED_THREE ? cpu : "none", e->max_threads, e->num_procs,
                         e->usable));
    }
    mp_say("(env -u: the variable removed; each line is this program run again with --omp-info)");
}
