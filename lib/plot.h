/* plot: gnuplot draws what a lesson measured, as a PNG and in the terminal.
 *
 * Layer 2 (memory and records).
 *
 * Plays the part matplotlib plays in the Python tutorials. A lesson writes
 * its data (CSV), then mp_plot() runs one of the scripts in plots/ twice:
 * once to DIR/STEM.png, once to the terminal (gnuplot's `dumb` text
 * terminal), so you see the shape of the result without opening a file.
 * With --no-plot, or without gnuplot, only the data is written and one line
 * says so.
 *
 * Speedup plots carry two reference curves:
 *  - the ideal line, speedup = workers;
 *  - Amdahl's law fitted to the measured points. If a fraction s of the work
 *    is serial, n workers can at best reach 1 / (s + (1 - s) / n). The fit
 *    finds the s that best explains the measurements: a lesson prints it,
 *    and it says how much of the run did not parallelise.
 */
#ifndef MP_PLOT_H
#define MP_PLOT_H

#include <stdbool.h>

/* Run plots/SCRIPT with gnuplot on DATA. gnuplot gets the variables
 *   data, png, title, term ('png' or 'dumb'), cols and rows (the terminal
 *   plot's size, see mp_terminal_size)
 * plus `vars` (more gnuplot assignments, "a=1; b='x'", may be NULL).
 * Writes DIR/STEM.png and shows the plot in the terminal. Returns 0, or
 * 1 when skipped (no_plot, or gnuplot missing: one line says how to get it),
 * or -errno when gnuplot fails. */
int mp_plot(const char *script, const char *data, const char *dir, const char *stem, const char *title,
            const char *vars, bool no_plot);

/* The same, PNG only: for charts that text cannot draw legibly (bars with
 * long labels). The lesson prints the numbers as a table instead; the line
 * naming the PNG says so. */
int mp_plot_png(const char *script, const char *data, const char *dir, const char *stem, const char *title,
                const char *vars, bool no_plot);

/* The reference run (`make reference`, plots/reference/NN-name/): what
 * some machine measured with the same lesson, drawn faintly beside this
 * run so that a student sees how their machine compares. Every script gets
 * three more gnuplot variables:
 *   refdata   the reference's data file: the file in `dir` named like the
 *             plot's data file (same format)
 *   refblocks its data blocks (one per series; a CSV file is one block);
 *             0 when there is nothing to draw (refdata is then the run's
 *             own data, never drawn)
 *   reflabel  "reference: <machine>", the label line of dir/machine.txt
 * refblocks is above 0 only for the PNG of a script that says it draws the
 * reference in a line of its own, "# mpkit-reference:" (speedup, lines,
 * granularity, sweep, depth: thin dotted lines in the colours of this run's
 * series; one key entry), when `dir` holds that file. Bar charts (bars,
 * convoy) say "# mpkit-reference: by rows": they pair the reference's rows
 * with the run's (a dashed black line across each bar), so they get it only
 * when both files have the same rows (first field of each line, in order).
 * Timelines and task schedules have no such line and are drawn as before.
 * The terminal plot never has it: in characters the two runs would blur
 * into one. The line naming the PNG says when the reference is on it.
 * mp_lesson_begin sets dir from the lesson's name unless --no-reference;
 * NULL turns it off. */
void mp_plot_reference(const char *dir);
/* The folder set, or NULL when off. */
const char *mp_plot_reference_dir(void);

/* The terminal plot's size in characters: the terminal's width (TIOCGWINSZ
 * on stdout, else $COLUMNS, else 80), between 60 and 200; rows from
 * $LINES or the terminal, between 20 and 40. */
void mp_terminal_size(int *cols, int *rows);

/* Is gnuplot (or another program) on the PATH? */
bool mp_have_gnuplot(void);
bool mp_have_program(const char *name);

/* Where the kit's files are: $MPKIT_ROOT, else the source tree it was built
 * in. plots/, lessons/ and so on are found below it. */
const char *mp_root(void);

/* Amdahl's law: the best speedup n workers can reach with serial fraction s. */
double mp_amdahl_speedup(double s, double n);

/* Least-squares serial fraction s in [0, 1] for measured speedups.
 * Amdahl's law in time form, T(n)/T(1) = s + (1 - s)/n, is linear in s:
 * 1/S - 1/n = s (1 - 1/n). Minimising the squared error of that line gives
 * s = sum(x y) / sum(x x) with x = 1 - 1/n, y = 1/S - 1/n. Points with
 * n == 1 carry no information (x = 0). Returns -1 if no point has n > 1. */
double mp_amdahl_fit(const double *workers, const double *speedup, int n);

/* A speedup plot: one curve per series (workers on x, speedup on y, with
 * min..max bars), the ideal line, and for series with fit set, the fitted
 * Amdahl curve; the fitted serial fraction is stored in s (-1: no fit).
 * Labels are single words ("thread-cpu"): gnuplot lists them in the key.
 * Writes DIR/STEM.dat, then plots DIR/STEM.png with plots/speedup.gp. */
#define MP_SERIES_MAX 64
typedef struct mp_series {
    const char *label;
    bool fit;
    double fit_upto; /* fit only the points with x <= fit_upto (0: all): Amdahl's
                      * law is about serial work, and past the CPUs there are
                      * more workers than CPUs, which is not serial work */
    int n;
    double x[MP_SERIES_MAX], y[MP_SERIES_MAX], lo[MP_SERIES_MAX], hi[MP_SERIES_MAX];
    double s; /* out: the fitted serial fraction */
} mp_series;

/* Add a speedup point: x = workers, y = base / median, bars from base/max
 * to base/min. */
void mp_series_add(mp_series *s, double workers, double base, double median, double min, double max);
/* Add any point, with its bar from lo to hi. */
void mp_series_point(mp_series *s, double x, double y, double lo, double hi);

int mp_speedup_plot(const char *dir, const char *stem, const char *title, mp_series *series, int nseries,
                    bool no_plot);

/* Any series against x (plots/lines.gp). flags: MP_PLOT_LOGY for a log y
 * axis, MP_PLOT_LOGX for a log x axis; MP_PLOT_XCAT to space the x values
 * evenly and label them with their values (0, 64, 256, 1024 MiB: a linear
 * axis crowds the small ones together, a log axis has no place for 0).
 * Labels are single words (titles are split at spaces). */
enum { MP_PLOT_LOGY = 1, MP_PLOT_XCAT = 2, MP_PLOT_LOGX = 4 };
int mp_lines_plot(const char *dir, const char *stem, const char *title, const mp_series *series, int nseries,
                  const char *xlabel, const char *ylabel, unsigned flags, bool no_plot);

#endif
