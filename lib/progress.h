/* progress: a progress bar for work done piece by piece.
 *
 * Layer 2 (records). No multiprocessing counterpart: tutorials wrap
 * Pool.imap in tqdm, and this is that bar. On a terminal it is redrawn in
 * place (a carriage return, no new line) at most 10 times a second:
 *
 *     tasks  42/100  42% |########            |  81.2/s  0:00.5 < 0:00.7
 *
 * done/total, the percentage, a bar, the rate, the time elapsed and the time
 * left at this rate (ETA). When the output is not a terminal (a file, a
 * pipe, a test), no bar is drawn: one summary line is written at the end,
 *
 *     tasks: 100/100 (100%) in 1.23 s, 81.3/s
 *
 * so a log gets the result without a hundred redrawn lines.
 */
#ifndef MP_PROGRESS_H
#define MP_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_PROGRESS_EVERY_NS 100000000ull /* redraw at most every 0.1 s */

typedef struct mp_progress {
    char label[32];
    size_t total, done;
    int fd;            /* where it is drawn (stderr, as tqdm) */
    bool tty;          /* fd is a terminal: draw the bar */
    bool finished;
    uint64_t t0_ns, last_draw_ns;
    int draws;         /* how many times the bar was drawn */
} mp_progress;

/* Start a bar for total pieces on fd (label NULL: "tasks"). */
void mp_progress_start(mp_progress *p, const char *label, size_t total, int fd);
/* done pieces so far: redraws if 0.1 s passed since the last drawing (or all are done). */
void mp_progress_update(mp_progress *p, size_t done);
/* The end: the last drawing and a new line on a terminal, else the summary line. Safe twice. */
void mp_progress_finish(mp_progress *p);

/* The bar's text for these numbers (no \r, no new line), width columns for
 * the bar itself: a pure function, tested with fixed numbers. Returns the length. */
int mp_progress_format(char *buf, size_t len, const char *label, size_t done, size_t total, double elapsed_s,
                       int width);
/* The summary line (no new line). */
int mp_progress_summary(char *buf, size_t len, const char *label, size_t done, size_t total, double elapsed_s);

#endif
