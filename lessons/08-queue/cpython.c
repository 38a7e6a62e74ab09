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
    char sizes[64] = "";
    for (int s = 0; s < SPEED_SIZES; s++) {
        size_t len = strlen(sizes);
        snprintf(sizes + len, sizeof sizes - len, "%s%ld", s ? "," : "", R->sizes[s]);
    }
    char *args[] = {"--sizes", sizes, NULL};
    mp_python py;
    if (!mp_python_start(L, &py, "lessons/08-queue/cpython_queue.py", args, &R->cpython_missing))
        return;
    char line[256];
    int rows = 0;
    while (mp_python_line(&py, line, sizeof line)) {
        char name[32];
        long size;
        double per_s, p50, p99, lo, hi;
        if (sscanf(line, "%31[^,],1,1,%ld,%lf,%lf,%lf,%lf,%lf", name, &size, &per_s, &p50, &p99, &lo, &hi) != 7)
            continue;
        int t = !strcmp(name, "cpython-queue") ? T_CPY_QUEUE : !strcmp(name, "cpython-pipe") ? T_CPY_PIPE : -1;
        for (int s = 0; s < SPEED_SIZES && t >= 0; s++)
            if (R->sizes[s] == size) {
                R->by_size[t][s] = (rate){{lo, per_s, hi, (size_t)L->o.repeat}, p50, p99, true};
                rows++;
            }
    }
    int st = mp_python_end(&py);
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
    mp_say("CPython %s; the kit's queue at 64 B moved %.0fx the items CPython's Queue did", py.version,
           R->by_size[T_QUEUE][0].per_s.median / R->by_size[T_CPY_QUEUE][0].per_s.median);
}
