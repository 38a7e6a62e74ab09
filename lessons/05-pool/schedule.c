/* Lesson 05: what the parts share -- the two output files, the bar charts,
 * making and finishing a pool, and reading a schedule out of mp_task_info (who ran
 * which task, from when to when). */
#include <stdlib.h>

#include "lesson05.h"

mp_csv pool_csv, tasks_csv;

void outputs_open(const mp_lesson *L)
{
    CHECK(mp_csv_open(&pool_csv, L->o.out, "pool.csv", "experiment,backend,workers,tasks,chunksize,median_s,min_s,max_s"));
    CHECK(mp_csv_open(&tasks_csv, L->o.out, "tasks.csv", "experiment,task,worker_pid,start_us,end_us"));
}

void outputs_close(void)
{
    CHECK(mp_csv_close(&pool_csv));
    CHECK(mp_csv_close(&tasks_csv));
}

void pool_row(const char *experiment, const char *backend, int workers, size_t tasks, size_t chunksize,
              const mp_stats *s)
{
    CHECK(mp_csv_row(&pool_csv, "%s,%s,%d,%zu,%zu,%.6f,%.6f,%.6f", experiment, backend, workers, tasks, chunksize,
                     s->median, s->min, s->max));
}

FILE *bars_open(const mp_lesson *L, const char *stem, char *dat, const char *header)
{
    char name[64];
    snprintf(name, sizeof name, "%s.dat", stem);
    CHECK(mp_out_path(dat, PATH_MAX, L->o.out, name));
    FILE *f = mp_file_create(dat);
    if (f)
        fprintf(f, "%s\n", header);
    return f;
}

void bars_draw(const mp_lesson *L, FILE *f, const char *dat, const char *stem, const char *title, const char *vars)
{
    if (mp_file_close(f, dat) == 0)
        mp_plot_png("bars.gp", dat, L->o.out, stem, title, vars, L->o.no_plot);
}

static uint64_t first_start(const mp_task_info *info, size_t n)
{
    uint64_t t0 = 0;
    for (size_t i = 0; i < n; i++)
        if (info[i].start_ns && (t0 == 0 || info[i].start_ns < t0))
            t0 = info[i].start_ns;
    return t0;
}

void task_rows(const char *experiment, const mp_task_info *info, size_t n, uint64_t t0_ns)
{
    if (t0_ns == 0)
        t0_ns = first_start(info, n);
    for (size_t i = 0; i < n; i++)
        CHECK(mp_csv_row(&tasks_csv, "%s,%zu,%d,%.1f,%.1f", experiment, i, (int)info[i].pid,
                         (double)(int64_t)(info[i].start_ns - t0_ns) / 1e3,
                         (double)(int64_t)(info[i].end_ns - t0_ns) / 1e3));
}

/* ---- the schedule ---- */

void task_gantt(const mp_lesson *L, const char *stem, const char *title, const mp_task_info *info, size_t n,
                uint64_t t0_ns, bool labels)
{
    pid_t pids[MP_POOL_WORKERS_MAX];
    int counts[MP_POOL_WORKERS_MAX];
    int lanes = tasks_per_worker(info, n, pids, counts, MP_POOL_WORKERS_MAX);
    if (t0_ns == 0)
        t0_ns = first_start(info, n);
    char dat[PATH_MAX], name[128];
    snprintf(name, sizeof name, "%s.dat", stem);
    CHECK(mp_out_path(dat, sizeof dat, L->o.out, name));
    FILE *f = mp_file_create(dat);
    if (!f)
        return;
    fprintf(f, "# lane start_ms end_ms task\n");
    for (size_t i = 0; i < n; i++) {
        int lane = 0;
        while (lane < lanes && pids[lane] != info[i].pid)
            lane++;
        if (info[i].start_ns)
            fprintf(f, "%d %.4f %.4f %zu\n", lane, (double)(int64_t)(info[i].start_ns - t0_ns) / 1e6,
                    (double)(int64_t)(info[i].end_ns - t0_ns) / 1e6, i);
    }
    if (mp_file_close(f, dat) != 0)
        return;
    char vars[4096];
    size_t used = (size_t)snprintf(vars, sizeof vars, "nlanes=%d; labels=%d; lanes='(", lanes, labels ? 1 : 0);
    for (int k = 0; k < lanes && used < sizeof vars - 64; k++)
        used += (size_t)snprintf(vars + used, sizeof vars - used, "%s\"pid %d\" %d", k ? ", " : "", (int)pids[k], k);
    snprintf(vars + used, sizeof vars - used, ")'");
    mp_plot("tasks.gp", dat, L->o.out, stem, title, vars, L->o.no_plot);
}

typedef struct edge { uint64_t t; int delta; } edge;

static int by_time(const void *a, const void *b)
{
    const edge *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->delta - y->delta; /* an end before a start at the same instant: back to back is no overlap */
}

int max_overlap(const mp_task_info *info, size_t n)
{
    edge *e = malloc(2 * n * sizeof *e + 1);
    if (!e)
        mp_lesson_abort();
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (info[i].start_ns && info[i].end_ns >= info[i].start_ns) {
            e[k++] = (edge){info[i].start_ns, +1};
            e[k++] = (edge){info[i].end_ns, -1};
        }
    qsort(e, k, sizeof *e, by_time);
    int now = 0, most = 0;
    for (size_t i = 0; i < k; i++) {
        now += e[i].delta;
        if (now > most)
            most = now;
    }
    free(e);
    return most;
}

int tasks_per_worker(const mp_task_info *info, size_t n, pid_t *pids, int *counts, int max)
{
    int d = 0;
    for (size_t i = 0; i < n; i++) {
        int k = 0;
        while (k < d && pids[k] != info[i].pid)
            k++;
        if (k == d) {
            if (d == max)
                continue;
            pids[d] = info[i].pid;
            counts[d++] = 0;
        }
        counts[k]++;
    }
    return d;
}

void say_spread(const char *what, const mp_task_info *info, size_t n)
{
    pid_t pids[MP_POOL_WORKERS_MAX];
    int counts[MP_POOL_WORKERS_MAX];
    int d = tasks_per_worker(info, n, pids, counts, MP_POOL_WORKERS_MAX);
    char line[1024] = "";
    for (int k = 0; k < d; k++) {
        size_t len = strlen(line);
        snprintf(line + len, sizeof line - len, "%spid %d: %d", k ? ", " : "", (int)pids[k], counts[k]);
    }
    mp_say("%-12s tasks per worker: %s; at most %d running at once", what, line, max_overlap(info, n));
}
