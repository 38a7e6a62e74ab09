/* costplot: speedup against task cost, drawn with plots/granularity.gp (costplot.h). */
#include "costplot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "granularity.h"
#include "plot.h"
#include "report.h"

const char *mp_ns_text(double ns, char *buf, size_t len)
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

/* Append to a fixed buffer; false once it no longer fits. */
static bool add(char *buf, size_t len, const char *fmt, const char *word)
{
    size_t used = strlen(buf);
    int n = snprintf(buf + used, len - used, fmt, word);
    return n >= 0 && (size_t)n < len - used;
}

int mp_cost_plot(const char *dir, const char *stem, const char *title, const char *xlabel, const mp_cost_series *s,
                 int n, double mark_x, const char *mark_label, bool no_plot)
{
    char dat[4200];
    if ((size_t)snprintf(dat, sizeof dat, "%s/%s.dat", dir, stem) >= sizeof dat) {
        mp_output_error("cannot create", dat, ENAMETOOLONG);
        return -ENAMETOOLONG;
    }
    FILE *f = mp_file_create(dat);
    if (!f)
        return -errno;
    /* granularity.gp reads one word per series from each of these lists */
    char titles[2048] = "", dashed[256] = "", bes[1024] = "";
    bool fits = true;
    for (int k = 0; k < n; k++) {
        fprintf(f, "# %s\n", s[k].title);
        for (int i = 0; i < s[k].points; i++)
            fprintf(f, "%g %g\n", s[k].cost_ns[i], s[k].speedup[i]);
        fprintf(f, "\n\n");
        double be = s[k].model ? NAN : mp_breakeven(s[k].cost_ns, s[k].speedup, s[k].points);
        char num[32];
        snprintf(num, sizeof num, "%g", isfinite(be) ? be : 0.0);
        fits = fits && add(titles, sizeof titles, k ? " \"%s\"" : "\"%s\"", s[k].title) &&
               add(dashed, sizeof dashed, k ? " %s" : "%s", s[k].model ? "1" : "0") &&
               add(bes, sizeof bes, k ? " %s" : "%s", num);
    }
    int rc = mp_file_close(f, dat);
    if (rc < 0)
        return rc;
    if (!fits) {
        mp_say("plot %s skipped: too many series (%d) to name in its key", stem, n);
        return 1;
    }
    char vars[4096];
    snprintf(vars, sizeof vars, "nseries=%d; titles='%s'; dashed='%s'; bes='%s'; xlabel='%s'; mark=%g; marklabel='%s'",
             n, titles, dashed, bes, xlabel ? xlabel : "cost of one task (ns)", mark_label ? mark_x : 0.0,
             mark_label ? mark_label : "");
    return mp_plot("granularity.gp", dat, dir, stem, title, vars, no_plot);
}
