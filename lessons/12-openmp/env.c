/* Lesson 12, part 4 -- how many threads does OpenMP start?
 *
 * omp_get_max_threads() is the team a parallel region gets: by default one
 * per CPU this process may use (libgomp reads the affinity mask, so under
 * `taskset -c 0` it is 1), and OMP_NUM_THREADS sets it. The lesson runs
 * itself three times with --omp-info: plain, with OMP_NUM_THREADS=3, and
 * under taskset -c 0 (if taskset is installed). */
#include <stdlib.h>
#include <sys/wait.h>

#include "lesson12.h"

int print_omp_info(void)
{
    printf("omp_threads %d cpus %d\n", omp_get_max_threads(), mp_cpus_usable());
    return 0;
}

/* Run `cmd` (a shell line) and read its --omp-info line. */
static bool ask(const char *cmd, int *threads, int *cpus)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    char line[128];
    bool ok = false;
    while (fgets(line, sizeof line, p))
        ok = ok || sscanf(line, "omp_threads %d cpus %d", threads, cpus) == 2;
    return pclose(p) == 0 && ok;
}

void part_env(mp_lesson *L, env_result *R)
{
    mp_lesson_part(L, "4. How many threads: the usable CPUs, OMP_NUM_THREADS, taskset");
    *R = (env_result){.pinned_threads = -1, .pinned_cpus = -1};
    char self[4096], cmd[4300];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        mp_lesson_abort();
    self[n] = '\0';
    snprintf(cmd, sizeof cmd, "env -u OMP_NUM_THREADS '%s' --omp-info", self);
    if (!ask(cmd, &R->plain_threads, &R->plain_cpus))
        mp_lesson_abort();
    int cpus;
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=3 '%s' --omp-info", self);
    if (!ask(cmd, &R->three_threads, &cpus))
        mp_lesson_abort();
    R->have_taskset = mp_have_program("taskset");
    if (R->have_taskset) {
        snprintf(cmd, sizeof cmd, "env -u OMP_NUM_THREADS taskset -c 0 '%s' --omp-info", self);
        if (!ask(cmd, &R->pinned_threads, &R->pinned_cpus))
            R->have_taskset = false;
    }
    mp_say("plain: OpenMP starts %d threads; %d CPUs usable", R->plain_threads, R->plain_cpus);
    mp_say("OMP_NUM_THREADS=3: %d threads (more than the CPUs: they take turns)", R->three_threads);
    if (R->have_taskset)
        mp_say("taskset -c 0: %d thread(s); %d CPU usable", R->pinned_threads, R->pinned_cpus);
    else
        mp_say("taskset is not installed (Debian: util-linux): the pinned run is skipped");
}
