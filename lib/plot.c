#include "plot.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

/* Into gnuplot's single quotes: a quote is written twice. */
static void gp_quote(const char *in, char *out, size_t len)
{
    size_t k = 0;
    for (const char *t = in; *t && k + 3 < len; t++) {
        if (*t == '\'')
            out[k++] = '\'';
        out[k++] = *t;
    }
    out[k] = '\0';
}

/* ---- the reference run beside this one (plot.h) ---- */
static char ref_dir[PATH_MAX];
static char ref_label[200];

void mp_plot_reference(const char *dir)
{
    ref_dir[0] = ref_label[0] = '\0';
    if (!dir || !*dir || strlen(dir) >= sizeof ref_dir - 64)
        return;
    snprintf(ref_dir, sizeof ref_dir, "%s", dir);
    snprintf(ref_label, sizeof ref_label, "an earlier run");
    /* machine.txt (scripts/reference.sh writes it): "label: " names the machine */
    char path[PATH_MAX + 16], line[256];
    snprintf(path, sizeof path, "%s/machine.txt", dir);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "label: ", 7) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(ref_label, sizeof ref_label, "%.190s", line + 7);
            break;
        }
    fclose(f);
}

const char *mp_plot_reference_dir(void) { return ref_dir[0] ? ref_dir : NULL; }

/* Data blocks in a gnuplot data file, as `index` counts them: runs of lines
 * parted by two blank lines or more. -1 if it cannot be read. */
static int count_blocks(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int blocks = 0, blanks = 2;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        if (line[strspn(line, " \t\r\n")] == '\0') {
            blanks++;
            continue;
        }
        if (blanks >= 2)
            blocks++;
        blanks = 0;
    }
    fclose(f);
    return blocks;
}

/* The next data line's first field (a "quoted label" or the first word),
 * blank and # lines skipped; false at the end. */
static bool next_label(FILE *f, char *out, size_t len)
{
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        const char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#')
            continue;
        size_t n = *p == '"' ? strcspn(p + 1, "\"") + 2 : strcspn(p, " \t,\r\n");
        snprintf(out, len, "%.*s", (int)n, p);
        return true;
    }
    return false;
}

/* Do two data files have the same rows, by their first fields, in the
 * same order? A bar chart pairs the reference's bars with the run's by row. */
static bool same_rows(const char *a, const char *b)
{
    FILE *fa = fopen(a, "re"), *fb = fa ? fopen(b, "re") : NULL;
    bool same = fa && fb;
    char la[512], lb[512];
    while (same) {
        bool more_a = next_label(fa, la, sizeof la), more_b = next_label(fb, lb, sizeof lb);
        same = more_a == more_b && (!more_a || strcmp(la, lb) == 0);
        if (!more_a)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/* Does plots/SCRIPT draw the reference? It says so in a line of its own,
 * "# mpkit-reference: ..." (the others would ignore the variables), and
 * "# mpkit-reference: by rows" when it pairs the reference's rows with the
 * run's (bar charts): then only a reference with the same rows is drawn. */
enum { REF_NONE, REF_ANY, REF_BY_ROWS };
static int draws_reference(const char *script_path)
{
    FILE *f = fopen(script_path, "re");
    if (!f)
        return REF_NONE;
    char line[512];
    int how = REF_NONE;
    while (how == REF_NONE && fgets(line, sizeof line, f))
        if (strncmp(line, "# mpkit-reference:", 18) == 0)
            how = strncmp(line + 18, " by rows", 8) == 0 ? REF_BY_ROWS : REF_ANY;
    fclose(f);
    return how;
}

/* No reference to draw: the variables are still set, so that no script has
 * to ask whether they exist. refblocks=0, and refdata the run's own data
 * (never drawn: an empty iteration over a missing file would still warn). */
static void no_reference_vars(const char *qdata, char *buf, size_t len)
{
    snprintf(buf, len, "; refdata='%s'; refblocks=0; reflabel=''", qdata);
}

/* The reference's gnuplot variables for a plot of `data` (quoted: qdata)
 * with plots/SCRIPT (script_path) into buf, with a leading "; ", and true;
 * or no_reference_vars and false when there is no reference to draw. */
static bool reference_vars(const char *script_path, const char *data, const char *qdata, char *buf, size_t len)
{
    no_reference_vars(qdata, buf, len);
    int how = ref_dir[0] ? draws_reference(script_path) : REF_NONE;
    if (how == REF_NONE)
        return false;
    const char *base = strrchr(data, '/');
    base = base ? base + 1 : data;
    char ref[PATH_MAX + 256];
    snprintf(ref, sizeof ref, "%s/%s", ref_dir, base);
    struct stat r, d;
    if (stat(ref, &r) != 0 || !S_ISREG(r.st_mode))
        return false; /* no such file: nothing to compare with */
    if (stat(data, &d) == 0 && d.st_dev == r.st_dev && d.st_ino == r.st_ino)
        return false; /* this run wrote into the reference itself */
    int blocks = count_blocks(ref);
    if (blocks <= 0 || (how == REF_BY_ROWS && !same_rows(data, ref)))
        return false;
    char qref[2 * sizeof ref], qlabel[2 * sizeof ref_label];
    gp_quote(ref, qref, sizeof qref);
    gp_quote(ref_label, qlabel, sizeof qlabel);
    snprintf(buf, len, "; refdata='%s'; refblocks=%d; reflabel='reference: %s'", qref, blocks, qlabel);
    return true;
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
    char path[PATH_MAX], png[PATH_MAX], a[50000], safe_title[512], qdata[2 * PATH_MAX];
    char with_ref[3 * PATH_MAX], without_ref[3 * PATH_MAX];
    snprintf(path, sizeof path, "%s/plots/%s", mp_root(), script);
    gp_quote(title, safe_title, sizeof safe_title);
    gp_quote(data, qdata, sizeof qdata);
    bool beside = reference_vars(path, data, qdata, with_ref, sizeof with_ref);
    no_reference_vars(qdata, without_ref, sizeof without_ref);
    snprintf(png, sizeof png, "%s/%s.png", dir, stem);
    int cols, rows;
    mp_terminal_size(&cols, &rows);
    const char *terms[] = {"png", "dumb"};
    int nterms = terminal && !mp_report_is_quiet() ? 2 : 1; /* quiet: the PNG only */
    for (int i = 0; i < nterms; i++) {
        /* the reference goes to the PNG only (plot.h says why) */
        snprintf(a, sizeof a, "data='%s'; png='%s'; title='%s'; term='%s'; cols=%d; rows=%d; %s%s", qdata, png,
                 safe_title, terms[i], cols, rows, vars ? vars : "", i == 0 ? with_ref : without_ref);
        int rc = run_gnuplot(a, path);
        if (rc != 0) {
            char what[128];
            snprintf(what, sizeof what, "gnuplot failed (%s, %s terminal) drawing", script, terms[i]);
            mp_output_error(what, png, rc);
            mp_say("the data is in %s", data);
            return rc;
        }
    }
    char notes[300] = "";
    if (beside)
        snprintf(notes, sizeof notes, " (beside the reference run: %s)", ref_label);
    mp_say("plot: %s%s%s", png, notes, terminal ? "" : " (in the terminal: the table above)");
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
    /* the categories are the first series' x values: a reference point
     * goes to the place of its value (lines.gp) */
    char xcats[MP_SERIES_MAX * 16] = "";
    for (int k = 0; nseries > 0 && k < series[0].n; k++) {
        size_t u = strlen(xcats);
        snprintf(xcats + u, sizeof xcats - u, "%s%g", k ? " " : "", series[0].x[k]);
    }
    char vars[2400 + sizeof xcats];
    snprintf(vars, sizeof vars,
             "nseries=%d; titles='%s'; xlabel='%s'; ylabel='%s'; logy=%d; xcat=%d; logx=%d; xcats='%s'", nseries,
             titles, xlabel, ylabel, !!(flags & MP_PLOT_LOGY), !!(flags & MP_PLOT_XCAT), !!(flags & MP_PLOT_LOGX),
             xcats);
    return mp_plot("lines.gp", path, dir, stem, title, vars, no_plot);
}
