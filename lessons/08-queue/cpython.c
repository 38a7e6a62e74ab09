/* Lesson 08, part 5 (continued) -- CPython's Queue and Pipe on this machine.
 *
 * lessons/08-queue/cpython_queue.py sends the same items (bytes of each
 * size, stamped with the same clock) from a producer process through
 * multiprocessing.Queue and through a Pipe, with the same --repeat and
 * --start; the lesson reads its lines and puts them beside its own. */
#include <stdio.h>

#include "lesson08.h"

void part_cpython(mp_lesson *L, speed_result *R)
{
    mp_section("5b. the same items through CPython's Queue and Pipe");
    R->cpython_missing = "python3 is not installed";
    if (!mp_have_program("python3")) {
        mp_say("skipped: python3 is not installed (apt-get install python3 to compare)");
        return;
    }
    char script[PATH_MAX], sizes[64] = "", repeat[16];
    snprintf(script, sizeof script, "%s/lessons/08-queue/cpython_queue.py", mp_root());
    for (int s = 0; s < SPEED_SIZES; s++) {
        size_t len = strlen(sizes);
        snprintf(sizes + len, sizeof sizes - len, "%s%ld", s ? "," : "", R->sizes[s]);
    }
    snprintf(repeat, sizeof repeat, "%d", L->o.repeat);
    char *argv[] = {"python3", script, "--sizes", sizes, "--repeat", repeat, "--start",
                    (char *)mp_start_names[L->o.start], L->o.quick ? "--quick" : NULL, NULL};
    mp_say("running: python3 %s --sizes %s --repeat %s --start %s%s", script, sizes, repeat,
           mp_start_names[L->o.start], L->o.quick ? " --quick" : "");
    pid_t pid;
    int out;
    if (mp_program_start(argv, &pid, &out) != 0) { /* registered: a Ctrl-C stops it too */
        R->cpython_missing = "python3 could not be started";
        return;
    }
    FILE *p = fdopen(out, "r");
    if (!p) {
        mp_syserr("fdopen", errno);
        close(out);
        mp_program_wait(pid);
        R->cpython_missing = "python3 could not be started";
        return;
    }
    char line[256], version[32] = "?";
    int rows = 0;
    while (fgets(line, sizeof line, p)) {
        char name[32];
        long size;
        double per_s, p50, p99, lo, hi;
        if (sscanf(line, "version %31s", version) == 1)
            continue;
        if (sscanf(line, "%31[^,],1,1,%ld,%lf,%lf,%lf,%lf,%lf", name, &size, &per_s, &p50, &p99, &lo, &hi) != 7)
            continue;
        int t = !strcmp(name, "cpython-queue") ? T_CPY_QUEUE : !strcmp(name, "cpython-pipe") ? T_CPY_PIPE : -1;
        for (int s = 0; s < SPEED_SIZES && t >= 0; s++)
            if (R->sizes[s] == size) {
                R->by_size[t][s] = (rate){{lo, per_s, hi, (size_t)L->o.repeat}, p50, p99, true};
                rows++;
            }
    }
    fclose(p);
    int st = mp_program_wait(pid);
    if (st != 0 || rows != 2 * SPEED_SIZES) {
        mp_say("the CPython script failed (exit code %d) or printed too little: no comparison", st);
        R->cpython_missing = "the CPython script failed";
        for (int t = T_CPY_QUEUE; t <= T_CPY_PIPE; t++)
            for (int s = 0; s < SPEED_SIZES; s++)
                R->by_size[t][s].have = false;
        return;
    }
    R->cpython_missing = NULL;
    mp_table t;
    mp_table_header(&t, "CPython transport|item bytes|items/s|min|max|p50 us|p99 us");
    for (int tr = T_CPY_QUEUE; tr <= T_CPY_PIPE; tr++)
        for (int s = 0; s < SPEED_SIZES; s++) {
            const rate *r = &R->by_size[tr][s];
            mp_table_row(&t, "%s|%ld|%.0f|%.0f|%.0f|%.1f|%.1f", transport_names[tr], R->sizes[s], r->per_s.median,
                         r->per_s.min, r->per_s.max, r->p50_us, r->p99_us);
        }
    mp_say("CPython %s; the kit's queue at 64 B moved %.0fx the items CPython's Queue did", version,
           R->by_size[T_QUEUE][0].per_s.median / R->by_size[T_CPY_QUEUE][0].per_s.median);
}
