#define _GNU_SOURCE /* strsignal */
#include "lesson.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "children.h"
#include "cpus.h"
#include "plot.h"
#include "pool.h"
#include "process.h"
#include "trace.h"

/* --out must be a folder we can write to: said now, with status 2, rather
 * than discovered when the first CSV file fails halfway through the run. */
static int check_out(const mp_lesson *L)
{
    const char *why = NULL;
    int rc = mp_mkdirs(L->o.out);
    struct stat st;
    char probe[PATH_MAX];
    if (rc != 0)
        why = strerror(-rc);
    else if (stat(L->o.out, &st) != 0 || !S_ISDIR(st.st_mode))
        why = "not a folder";
    else if (mp_out_path(probe, sizeof probe, L->o.out, ".mpkit-probe-XXXXXX") != 0)
        why = "path too long";
    else {
        int fd = mkstemp(probe);
        if (fd < 0)
            why = strerror(errno);
        else {
            close(fd);
            unlink(probe);
        }
    }
    if (!why)
        return 0;
    fprintf(stderr, "%s: --out '%s': cannot write there: %s\n", L->cli->prog, L->o.out, why);
    return -1;
}

bool mp_lesson_begin(mp_lesson *L, const mp_cli *cli, int argc, char **argv, int *status)
{
    memset(L, 0, sizeof *L);
    L->cli = cli;
    if (!mp_cli_parse(cli, argc, argv, &L->o, status))
        return false;
    if (check_out(L) != 0) {
        *status = 2;
        return false;
    }
    mp_set_role("main");
    mp_set_start_method(L->o.start);
    mp_say("%s: %s", cli->prog, cli->summary);
    mp_say("CPUs online %d, usable by this process %d; workers %d, max workers %d, repeat %d, start %s%s",
           mp_cpus_online(), mp_cpus_usable(), L->o.workers, L->o.max_workers, L->o.repeat,
           mp_start_names[L->o.start], L->o.quick ? ", quick" : "");
    mp_say("data and plots go to %s/", L->o.out);
    /* the reference run's folder is named like the default --out's last part */
    if (!L->o.no_reference) {
        const char *name = strrchr(cli->default_out, '/');
        char ref[PATH_MAX];
        snprintf(ref, sizeof ref, "%s/plots/reference/%s", mp_root(), name ? name + 1 : cli->default_out);
        mp_plot_reference(ref);
    } else {
        mp_plot_reference(NULL);
    }
    /* The log is made before any worker starts, so every child shares it. */
    if (mp_trace_init(0, 0) == 0)
        mp_trace_enable(L->o.trace);
    else
        mp_say("%s: tracing is off, so no timeline will be drawn: %s", L->o.trace ? "--trace" : "note",
               mp_trace_off_reason());
    L->t0 = mp_now_ns();
    return true;
}

static void end_part(mp_lesson *L)
{
    if (L->part[0])
        mp_trace_end(L->part);
    L->part[0] = '\0';
}

uint64_t mp_lesson_part(mp_lesson *L, const char *fmt, ...)
{
    char title[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(title, sizeof title, fmt, ap);
    va_end(ap);
    end_part(L);
    mp_section("%s", title);
    /* the span's name: the part's number and first words */
    snprintf(L->part, sizeof L->part, "part %.60s", title);
    mp_trace_begin(L->part);
    return mp_now_ns();
}

void mp_lesson_verdicts(mp_lesson *L)
{
    end_part(L);
    int cpus = mp_cpus_usable();
    mp_section("what this machine shows (%d CPU%s usable)", cpus, cpus == 1 ? "" : "s");
}

static bool lesson_uses(const mp_lesson *L, const char *flag)
{
    for (const mp_unused *u = L->cli->unused; u && u->flag; u++)
        if (strcmp(u->flag, flag) == 0)
            return false;
    return true;
}

int mp_lesson_end(mp_lesson *L)
{
    end_part(L);
    int given = L->held + L->failed + L->unsure + L->not_here;
    if (given) {
        mp_say("verdicts: %d yes, %d NO, %d can't tell (too noisy), %d not shown on this machine", L->held, L->failed,
               L->unsure, L->not_here);
        if (L->o.repeat == 1 && lesson_uses(L, "repeat"))
            mp_say("one run per measurement (--repeat 1%s): no spread to judge the noise by; --repeat 5 gives one",
                   L->o.quick ? ", as --quick sets" : "");
    }
    if (L->o.trace) {
        mp_trace_enable(false);
        mp_trace_write_window(L->o.out, "trace-all", "the whole run (--trace)", L->t0, 0, L->o.no_plot);
    }
    mp_trace_close();
    int lost = mp_output_failures();
    if (lost) {
        mp_error("%d output file(s) could not be written (see the errors above): the data in %s/ is incomplete",
                 lost, L->o.out);
        return 1;
    }
    mp_say("done in %.1f s; CSV data%s in %s/", mp_ns_to_s(mp_now_ns() - L->t0),
           L->o.no_plot || !mp_have_gnuplot() ? "" : " and plots", L->o.out);
    return 0;
}

int mp_measure(int repeat, void (*run)(void *), void *arg, mp_stats *wall, mp_stats *cpu)
{
    if (repeat < 1)
        return -EINVAL;
    double *w = malloc((size_t)repeat * 2 * sizeof *w);
    if (!w)
        return -ENOMEM;
    double *c = w + repeat;
    for (int i = 0; i < repeat; i++) {
        uint64_t c0 = mp_process_cpu_ns() + mp_children_cpu_ns();
        uint64_t t0 = mp_now_ns();
        run(arg);
        w[i] = mp_ns_to_s(mp_now_ns() - t0);
        c[i] = mp_ns_to_s(mp_process_cpu_ns() + mp_children_cpu_ns() - c0);
    }
    int rc = mp_stats_of(w, (size_t)repeat, wall);
    if (rc == 0 && cpu)
        rc = mp_stats_of(c, (size_t)repeat, cpu);
    free(w);
    return rc;
}

double mp_spread(const mp_stats *s)
{
    if (!s || s->n < 2 || s->median <= 0)
        return 0;
    return (s->max - s->min) / s->median;
}

double mp_decisive(double ratio, double threshold, double spread)
{
    if (ratio <= 0 || threshold <= 0)
        return spread;
    double clear = ratio > threshold ? ratio / threshold : threshold / ratio;
    return clear > 1 + spread ? 0 : spread;
}

double mp_decisive2(double spread, double r1, double t1, double r2, double t2)
{
    return fmax(mp_decisive(r1, t1, spread), mp_decisive(r2, t2, spread));
}

mp_outcome mp_verdict(mp_lesson *L, bool holds, double spread, const char *not_here, const char *fmt, ...)
{
    char claim[700], end[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(claim, sizeof claim, fmt, ap);
    va_end(ap);
    mp_outcome o;
    if (not_here) {
        o = MP_NOT_HERE;
        L->not_here++;
        snprintf(end, sizeof end, "not shown here: %s", not_here);
    } else if (spread > MP_SPREAD_LIMIT) {
        o = MP_UNSURE;
        L->unsure++;
        int more = L->o.repeat < 3 ? 5 : L->o.repeat * 3 > MP_MAX_REPEAT ? MP_MAX_REPEAT : L->o.repeat * 3;
        snprintf(end, sizeof end,
                 "can't tell: the runs spread %.0f%% (over %.0f%%), too wide for the medians (%s) to settle it; "
                 "run it again with --repeat %d, on a quieter machine",
                 100 * spread, 100 * MP_SPREAD_LIMIT, holds ? "they say yes" : "they say no", more);
    } else {
        o = holds ? MP_HOLDS : MP_FAILS;
        if (holds)
            L->held++;
        else
            L->failed++;
        snprintf(end, sizeof end, "%s", holds ? "yes" : "NO");
    }
    mp_say("%s -- %s", claim, end);
    return o;
}

int mp_lesson_join(mp_process *p, double timeout_s)
{
    int rc = mp_process_join(p, timeout_s);
    if (rc == -ETIMEDOUT)
        mp_error("%s (pid %d) did not end within %.0f s", p->name, (int)p->pid, timeout_s);
    else if (rc != 0)
        mp_error("joining %s (pid %d): %s", p->name, (int)p->pid, strerror(-rc));
    else if (p->exitcode < 0)
        mp_error("%s (pid %d) was killed by signal %d (%s)", p->name, (int)p->pid, -p->exitcode,
                 strsignal(-p->exitcode));
    else if (p->exitcode > 0)
        mp_error("%s (pid %d) ended with exit code %d", p->name, (int)p->pid, p->exitcode);
    else
        return 0;
    mp_lesson_abort();
}

_Noreturn void mp_lesson_abort(void)
{
    mp_stop_children();
    exit(1);
}

int mp_out_path(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- CPython beside the C ---- */

bool mp_python_start(const mp_lesson *L, mp_python *py, const char *script, char *const args[],
                     const char **missing)
{
    *py = (mp_python){.out = NULL, .pid = -1, .version = "?"};
    if (!mp_have_program("python3")) {
        mp_say("skipped: python3 is not installed (apt-get install python3 to compare)");
        *missing = "python3 is not installed";
        return false;
    }
    char path[PATH_MAX], repeat[16], line[1024];
    snprintf(path, sizeof path, "%s/%s", mp_root(), script);
    snprintf(repeat, sizeof repeat, "%d", L->o.repeat);
    char *argv[40];
    int n = 0;
    argv[n++] = "python3";
    argv[n++] = path;
    for (int i = 0; args && args[i] && n < 32; i++)
        argv[n++] = args[i];
    argv[n++] = "--repeat";
    argv[n++] = repeat;
    argv[n++] = "--start";
    argv[n++] = (char *)mp_start_names[L->o.start];
    if (L->o.quick)
        argv[n++] = "--quick";
    argv[n] = NULL;
    size_t used = 0;
    line[0] = 0;
    for (int i = 0; i < n && used < sizeof line; i++)
        used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", i ? " " : "", argv[i]);
    mp_say("running: %s", line);
    int out;
    if (mp_program_start(argv, &py->pid, &out) != 0) {
        *missing = "python3 could not be started";
        return false;
    }
    if (!(py->out = fdopen(out, "r"))) {
        mp_syserr("fdopen", errno);
        close(out);
        mp_program_wait(py->pid);
        *missing = "python3 could not be started";
        return false;
    }
    return true;
}

char *mp_python_line(mp_python *py, char *buf, size_t len)
{
    while (fgets(buf, (int)len, py->out)) {
        if (sscanf(buf, "version %31s", py->version) == 1)
            continue;
        return buf;
    }
    return NULL;
}

int mp_python_end(mp_python *py)
{
    if (py->out)
        fclose(py->out);
    py->out = NULL;
    return mp_program_wait(py->pid);
}

struct mp_pool *mp_lesson_pool(int backend, int start, int workers, const struct mp_pool_opts *more)
{
    mp_pool_opts o = more ? *more : mp_pool_defaults(backend);
    o.backend = backend;
    o.start = start;
    o.workers = workers;
    mp_pool *p = NULL;
    CHECK(mp_pool_create(&p, &o));
    return p;
}

void mp_lesson_pool_finish(struct mp_pool *p)
{
    mp_pool_close(p);
    CHECK(mp_pool_join(p));
    mp_pool_free(p);
}

void mp_lesson_child(struct mp_process *p, const char *name, mp_target target, const void *args, size_t len,
                     const int *fds, int nfds)
{
    mp_process_init(p, name, target, NULL);
    if (args)
        mp_process_set_args(p, args, len); /* bytes: what spawn and forkserver need */
    for (int i = 0; i < nfds; i++)
        CHECK(mp_process_pass_fd(p, fds[i]));
    CHECK(mp_process_start(p));
}
