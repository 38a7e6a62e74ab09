#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"

void mp_progress_start(mp_progress *p, const char *label, size_t total, int fd)
{
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label ? label : "tasks");
    p->total = total;
    p->fd = fd;
    p->tty = isatty(fd) == 1;
    p->t0_ns = mp_now_ns();
}

/* m:ss.s, or h:mm:ss past an hour */
static void clock_text(char *buf, size_t len, double s)
{
    if (s < 0 || s != s)
        s = 0;
    if (s >= 3600)
        snprintf(buf, len, "%d:%02d:%02d", (int)(s / 3600), (int)(s / 60) % 60, (int)s % 60);
    else
        snprintf(buf, len, "%d:%04.1f", (int)(s / 60), s - 60 * (int)(s / 60));
}

int mp_progress_format(char *buf, size_t len, const char *label, size_t done, size_t total, double elapsed_s,
                       int width)
{
    double frac = total ? (double)done / (double)total : 1.0;
    if (frac > 1)
        frac = 1;
    char bar[256];
    if (width < 1)
        width = 1;
    if (width > (int)sizeof bar - 1)
        width = (int)sizeof bar - 1;
    int full = (int)(frac * width);
    memset(bar, '#', (size_t)full);
    memset(bar + full, ' ', (size_t)(width - full));
    bar[width] = '\0';
    double rate = elapsed_s > 0 ? (double)done / elapsed_s : 0;
    char el[16], eta[16];
    clock_text(el, sizeof el, elapsed_s);
    if (rate > 0)
        clock_text(eta, sizeof eta, (double)(total - (done < total ? done : total)) / rate);
    else
        snprintf(eta, sizeof eta, "?");
    return snprintf(buf, len, "%s %zu/%zu %3d%% |%s| %.1f/s %s < %s", label, done, total, (int)(frac * 100), bar,
                    rate, el, eta);
}

int mp_progress_summary(char *buf, size_t len, const char *label, size_t done, size_t total, double elapsed_s)
{
    double rate = elapsed_s > 0 ? (double)done / elapsed_s : 0;
    int pct = total ? (int)(100.0 * (double)done / (double)total) : 100;
    return snprintf(buf, len, "%s: %zu/%zu (%d%%) in %.2f s, %.1f/s", label, done, total, pct, elapsed_s, rate);
}

static void draw(mp_progress *p, uint64_t now)
{
    char line[512];
    int n = mp_progress_format(line + 1, sizeof line - 2, p->label, p->done, p->total,
                               (double)(now - p->t0_ns) / 1e9, 20);
    line[0] = '\r';
    if (n < 0)
        return;
    size_t len = 1 + ((size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 3);
    (void)mp_write_full(p->fd, line, len); /* a bar that cannot be drawn is not an error */
    p->last_draw_ns = now;
    p->draws++;
}

void mp_progress_update(mp_progress *p, size_t done)
{
    p->done = done;
    if (!p->tty || p->finished)
        return;
    uint64_t now = mp_now_ns();
    if (p->draws == 0 || now - p->last_draw_ns >= MP_PROGRESS_EVERY_NS)
        draw(p, now);
}

void mp_progress_finish(mp_progress *p)
{
    if (p->finished)
        return;
    p->finished = true;
    uint64_t now = mp_now_ns();
    if (p->tty) {
        draw(p, now);
        (void)mp_write_full(p->fd, "\n", 1);
        return;
    }
    char line[256];
    int n = mp_progress_summary(line, sizeof line - 1, p->label, p->done, p->total, (double)(now - p->t0_ns) / 1e9);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line - 1 ? (size_t)n : sizeof line - 2;
    line[len++] = '\n';
    (void)mp_write_full(p->fd, line, len);
}
