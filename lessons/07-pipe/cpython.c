/* Lesson 07, part 5 (continued) -- CPython's Pipe on this machine.
 *
 * lessons/07-pipe/cpython_pipe.py streams and ping-pongs the same message
 * sizes through multiprocessing.Pipe (send_bytes/recv_bytes: bytes, no
 * pickle, as the kit sends), with the same --repeat and --start; the lesson
 * reads its lines and puts them beside its own. CPython is given a quarter
 * of the messages (half of the round trips): a rate does not depend on how
 * long it is measured, and the lesson stays within its time.
 */
#include "lesson07.h"

static long at_least(long n, long low) { return n < low ? low : n; }

void part_cpython(mp_lesson *L, speed_result *R)
{
    mp_section("5b. the same messages through CPython's multiprocessing.Pipe");
    char sizes[256] = "", rounds[128] = "";
    for (int s = 0; s < SPEED_SIZES; s++) {
        size_t len = strlen(sizes);
        snprintf(sizes + len, sizeof sizes - len, "%s%ld:%ld", s ? "," : "", R->sizes[s],
                 at_least(speed_count(L, R->sizes[s]) / 4, 4));
    }
    for (int s = 0; s < LATENCY_SIZES; s++) {
        size_t len = strlen(rounds);
        snprintf(rounds + len, sizeof rounds - len, "%s%ld:%ld", s ? "," : "", R->lat_sizes[s],
                 at_least(latency_rounds(L, R->lat_sizes[s]) / 2, 10));
    }
    char *args[] = {"--sizes", sizes, "--rounds", rounds, NULL};
    mp_python py;
    if (!mp_python_start(L, &py, "lessons/07-pipe/cpython_pipe.py", args, &R->cpython_missing))
        return;
    char line[256];
    int rows = 0;
    while (mp_python_line(&py, line, sizeof line)) {
        long size;
        double a, b, c;
        if (sscanf(line, "pipe,%ld,%lf,%lf,%lf", &size, &a, &b, &c) == 4) {
            for (int s = 0; s < SPEED_SIZES; s++)
                if (R->sizes[s] == size) {
                    R->msgs_per_s[T_CPYTHON][s] = (mp_stats){.min = b, .median = a, .max = c, .n = (size_t)L->o.repeat};
                    rows++;
                }
        } else if (sscanf(line, "latency,%ld,%lf,%lf", &size, &a, &b) == 3) {
            for (int s = 0; s < LATENCY_SIZES; s++)
                if (R->lat_sizes[s] == size) {
                    R->median_us[T_CPYTHON][s] = a;
                    R->p99_us[T_CPYTHON][s] = b;
                    rows++;
                }
        }
    }
    int st = mp_python_end(&py);
    if (st != 0 || rows != SPEED_SIZES + LATENCY_SIZES) {
        mp_say("the CPython script failed (exit code %d) or printed too little: no comparison", st);
        R->cpython_missing = "the CPython script failed";
        return;
    }
    R->cpython_missing = NULL;
    R->have[T_CPYTHON] = true;
    mp_table t;
    mp_table_header(&t, "CPython|bytes  |messages/s|MB/s|the kit's one-way pipe, x");
    for (int s = 0; s < SPEED_SIZES; s++) {
        double m = R->msgs_per_s[T_CPYTHON][s].median;
        mp_table_row(&t, "%s|%ld|%.0f|%.1f|%.1f", "pipe", R->sizes[s], m, m * (double)R->sizes[s] / 1e6,
                     R->msgs_per_s[T_PIPE][s].median / m);
    }
    mp_table_header(&t, "CPython|bytes  |round trip median us|p99 us|the kit's duplex pipe, x faster");
    for (int s = 0; s < LATENCY_SIZES; s++)
        mp_table_row(&t, "%s|%ld|%.1f|%.1f|%.1f", "pipe", R->lat_sizes[s], R->median_us[T_CPYTHON][s],
                     R->p99_us[T_CPYTHON][s], R->median_us[T_CPYTHON][s] / R->median_us[T_PIPE_DUPLEX][s]);
    mp_say("CPython %s", py.version);
}
