/* Lesson 06: the speedup plot every part draws (plots/granularity.gp):
 * speedup against task cost on log axes, the line speedup = 1, each
 * series' break-even marked. */
#include <math.h>

#include "lesson06.h"

const char *ns_text(double ns, char *buf, size_t len)
{
    if (isnan(ns))
        snprintf(buf, len, "not measured");
    else if (isinf(ns))
        snprintf(buf, len, "beyond the sweep");
    else if (ns < 1e3)
        snprintf(buf, len, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, len, "%.3g us", ns / 1e3);
    else
        snprintf(buf, len, "%.3g ms", ns / 1e6);
    return buf;
}

void speedup_plot(const mp_lesson *L, const char *stem, const char *title, const char *xlabel, const gran_series *s,
                  int n, double mark_x, const char *mark_label)
{
    char dat[PATH_MAX], name[96];
    snprintf(name, sizeof name, "%s.dat", stem);
    CHECK(mp_out_path(dat, sizeof dat, L->o.out, name));
    FILE *f = mp_file_create(dat);
    if (!f)
        return;
    char titles[2048] = "", dashed[128] = "", bes[1024] = "";
    for (int k = 0; k < n; k++) {
        fprintf(f, "# %s\n", s[k].title);
        for (int i = 0; i < s[k].points; i++)
            fprintf(f, "%g %g\n", s[k].cost_ns[i], s[k].speedup[i]);
        fprintf(f, "\n\n");
        double be = s[k].model ? NAN : mp_breakeven(s[k].cost_ns, s[k].speedup, s[k].points);
        size_t a = strlen(titles), b = strlen(dashed), c = strlen(bes);
        snprintf(titles + a, sizeof titles - a, "%s\"%s\"", k ? " " : "", s[k].title);
        snprintf(dashed + b, sizeof dashed - b, "%s%d", k ? " " : "", s[k].model);
        snprintf(bes + c, sizeof bes - c, "%s%g", k ? " " : "", isfinite(be) ? be : 0.0);
    }
    if (mp_file_close(f, dat) < 0)
        return;
    char vars[4096];
    snprintf(vars, sizeof vars, "nseries=%d; titles='%s'; dashed='%s'; bes='%s'; xlabel='%s'; mark=%g; marklabel='%s'",
             n, titles, dashed, bes, xlabel ? xlabel : "cost of one task (ns)", mark_label ? mark_x : 0.0,
             mark_label ? mark_label : "");
    mp_plot("granularity.gp", dat, L->o.out, stem, title, vars, L->o.no_plot);
}
