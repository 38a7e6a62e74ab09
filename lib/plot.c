#include "plot.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "report.h"

#ifndef MP_ROOT
#define MP_ROOT "."
#endif

const char *mp_root(void)
{
    const char *r = getenv("MPKIT_ROOT");
    return r && *r ? r : MP_ROOT;
}

bool mp_have_program(const char *name)
{
    char path[PATH_MAX];
    return mp_find_program(name, path, sizeof path) == 0;
}

bool mp_have_gnuplot(void) { return mp_have_program("gnuplot"); }

/* gnuplot -e "ASSIGNMENTS" SCRIPT, waiting for it. Output goes where ours
 * goes. A registered child (children.h): a Ctrl-C stops it with the rest. */
static int run_gnuplot(const char *assignments, const char *script)
{
    char *argv[] = {"gnuplot", "-e", (char *)assignments, (char *)script, NULL};
    pid_t pid;
    int rc = mp_program_start(argv, &pid, NULL);
    if (rc != 0)
        return rc;
    rc = mp_program_wait(pid);
    return rc == 0 ? 0 : rc < 0 ? rc : -EIO;
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

void mp_terminal_size(int *cols, int *rows)
{
    struct winsize ws = {0};
    int c = 0, r = 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
        c = ws.ws_col;
        r = ws.ws_row ? ws.ws_row - 4 : 0; /* leave the lines around the plot in view */
    }
    const char *e;
    if (c <= 0 && (e = getenv("COLUMNS")))
        c = atoi(e);
    if (r <= 0 && (e = getenv("LINES")))
        r = atoi(e) - 4;
    *cols = clamp(c > 0 ? c : 80, 60, 200);
    *rows = clamp(r > 0 ? r : 24, 20, 40);
}

static int plot_to(const char *script, const char *data, const char *dir, const char *stem, const char *title,
                   const char *vars, bool no_plot, bool terminal)
{
    static bool told;
    if (no_plot)
        return 1;
    if (!mp_have_gnuplot()) {
        if (!told)
            mp_say("plots skipped: gnuplot is not installed (run scripts/install-deps.sh gnuplot, "
                   "or apt-get install gnuplot-nox); the CSV data is written all the same");
        told = true;
        return 1;
    }
    char path[PATH_MAX], png[PATH_MAX], a[20000], safe_title[512];
    snprintf(path, sizeof path, "%s/plots/%s", mp_root(), script);
    /* inside gnuplot's single quotes, a quote is written twice */
    size_t k = 0;
    for (const char *t = title; *t && k < sizeof safe_title - 3; t++) {
        if (*t == '\'')
            safe_title[k++] = '\'';
        safe_title[k++] = *t;
    }
    safe_title[k] = '\0';
    snprintf(png, sizeof png, "%s/%s.png", dir, stem);
    int cols, rows;
    mp_terminal_size(&cols, &rows);
    const char *terms[] = {"png", "dumb"};
    int nterms = terminal && !mp_report_is_quiet() ? 2 : 1; /* quiet: the PNG only */
    for (int i = 0; i < nterms; i++) {
        snprintf(a, sizeof a, "data='%s'; png='%s'; title='%s'; term='%s'; cols=%d; rows=%d; %s", data, png,
                 safe_title, terms[i], cols, rows, vars ? vars : "");
        int rc = run_gnuplot(a, path);
        if (rc != 0) {
            char what[128];
            snprintf(what, sizeof what, "gnuplot failed (%s, %s terminal) drawing", script, terms[i]);
            mp_output_error(what, png, rc);
            mp_say("the data is in %s", data);
            return rc;
        }
    }
    mp_say(terminal ? "plot: %s" : "plot: %s (in the terminal: the table above)", png);
    return 0;
}

int mp_plot(const char *script, const char *data, const char *dir, const char *stem, const char *title,
            const char *vars, bool no_plot)
{
    return plot_to(script, data, dir, stem, title, vars, no_plot, true);
}

int mp_plot_png(const char *script, const char *data, const char *dir, const char *stem, const char *title,
                const char *vars, bool no_plot)
{
    return plot_to(script, data, dir, stem, title, vars, no_plot, false);
}

double mp_amdahl_speedup(double s, double n)
{
    return 1.0 / (s + (1.0 - s) / n);
}

double mp_amdahl_fit(const double *workers, const double *speedup, int n)
{
    double sxy = 0, sxx = 0;
    for (int i = 0; i < n; i++) {
        if (workers[i] <= 1 || speedup[i] <= 0)
            continue;
        double x = 1.0 - 1.0 / workers[i];
        double y = 1.0 / speedup[i] - 1.0 / workers[i];
        sxy += x * y;
        sxx += x * x;
    }
    if (sxx == 0)
        return -1;
    double s = sxy / sxx;
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

void mp_series_point(mp_series *s, double x, double y, double lo, double hi)
{
    if (s->n >= MP_SERIES_MAX)
        return;
    s->x[s->n] = x;
    s->y[s->n] = y;
    s->lo[s->n] = lo;
    s->hi[s->n] = hi;
    s->n++;
}

void mp_series_add(mp_series *s, double workers, double base, double median, double min, double max)
{
    mp_series_point(s, workers, base / median, base / max, base / min);
}

/* One gnuplot data block per series, separated by two blank lines; the
 * series' labels go to `titles` (space-separated) and the largest x to *xmax. */
static int write_blocks(const char *path, const mp_series *series, int n, char *titles, size_t tlen, double *xmax)
{
    FILE *f = mp_file_create(path);
    if (!f)
        return -errno;
    titles[0] = '\0';
    *xmax = 1;
    for (int i = 0; i < n; i++) {
        const mp_series *s = &series[i];
        fprintf(f, "# %s: x y min max\n", s->label);
        for (int k = 0; k < s->n; k++) {
            fprintf(f, "%g %.6g %.6g %.6g\n", s->x[k], s->y[k], s->lo[k], s->hi[k]);
            if (s->x[k] > *xmax)
                *xmax = s->x[k];
        }
        fprintf(f, "\n\n");
        size_t t = strlen(titles);
        snprintf(titles + t, tlen - t, "%s%s", i ? " " : "", s->label);
    }
    return mp_file_close(f, path);
}

int mp_speedup_plot(const char *dir, const char *stem, const char *title, mp_series *series, int nseries,
                    bool no_plot)
{
    char path[PATH_MAX], titles[1024], fits[1024] = "", tops[1024] = "";
    snprintf(path, sizeof path, "%s/%s.dat", dir, stem);
    double xmax;
    for (int i = 0; i < nseries; i++) {
        mp_series *s = &series[i];
        int upto = 0; /* the points fitted: those up to fit_upto (x ascending) */
        while (upto < s->n && (s->fit_upto <= 0 || s->x[upto] <= s->fit_upto))
            upto++;
        s->s = s->fit ? mp_amdahl_fit(s->x, s->y, upto) : -1;
        double top = 1;
        for (int k = 0; k < upto; k++)
            if (s->x[k] > top)
                top = s->x[k];
        size_t u = strlen(fits), v = strlen(tops);
        snprintf(fits + u, sizeof fits - u, "%s%.4f", i ? " " : "", s->s);
        snprintf(tops + v, sizeof tops - v, "%s%g", i ? " " : "", top);
    }
    int rc = write_blocks(path, series, nseries, titles, sizeof titles, &xmax);
    if (rc != 0)
        return rc;
    char vars[3400];
    snprintf(vars, sizeof vars, "nseries=%d; titles='%s'; fits='%s'; tops='%s'; xmax=%g", nseries, titles, fits,
             tops, xmax);
    return mp_plot("speedup.gp", path, dir, stem, title, vars, no_plot);
}

int mp_lines_plot(const char *dir, const char *stem, const char *title, const mp_series *series, int nseries,
                  const char *xlabel, const char *ylabel, unsigned flags, bool no_plot)
{
    char path[PATH_MAX], titles[1024];
    snprintf(path, sizeof path, "%s/%s.dat", dir, stem);
    double xmax;
    int rc = write_blocks(path, series, nseries, titles, sizeof titles, &xmax);
    if (rc != 0)
        return rc;
    char vars[2400];
    snprintf(vars, sizeof vars, "nseries=%d; titles='%s'; xlabel='%s'; ylabel='%s'; logy=%d; xcat=%d; logx=%d",
             nseries, titles, xlabel, ylabel, !!(flags & MP_PLOT_LOGY), !!(flags & MP_PLOT_XCAT),
             !!(flags & MP_PLOT_LOGX));
    return mp_plot("lines.gp", path, dir, stem, title, vars, no_plot);
}
