/* report: every line a lesson prints, its tables and its CSV files.
 *
 * Layer 2 (memory and records).
 *
 * Mirrors print(), with the one thing a parallel program's output needs:
 * who said it. Every line is tagged
 *
 *     [pid 4242 tid 4243 worker-1] counted 9592 primes
 *
 * with the process ID, the kernel thread ID and a role name, so that when
 * several processes and threads write to the same terminal you can tell them
 * apart. A line is written with a single write(2), so lines from different
 * processes never mix mid-line.
 */
#ifndef MP_REPORT_H
#define MP_REPORT_H

#include <stdio.h>

/* The role printed in this thread's tags ("main", "worker-2", "child-1"). */
void mp_set_role(const char *role);
const char *mp_role(void);

/* Print one tagged line (a trailing newline is added). */
void mp_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A blank line, then "== title ==": the start of an experiment. */
void mp_section(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An error line, tagged like mp_say, to stderr (so `> log` or `| head`
 * never hides it): "error: " is prepended. */
void mp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a failed system call: "[pid..] error: fork: Resource temporarily
 * unavailable". err is an errno value (positive or negative). */
void mp_syserr(const char *call, int err);

/* Silence mp_say and mp_syserr (tests use it to keep their output readable). */
void mp_report_quiet(int quiet);
int mp_report_is_quiet(void);

/* An aligned table. Cells are separated by '|' in the format string:
 *     mp_table_header(&t, "kind|workers|median s");
 *     mp_table_row(&t, "%s|%d|%.3f", "thread", 2, 0.51);
 * Numbers are right-aligned, words left-aligned. */
#define MP_TABLE_MAX_COLS 16
typedef struct mp_table {
    int ncols;
    int width[MP_TABLE_MAX_COLS];
} mp_table;

void mp_table_header(mp_table *t, const char *header);
void mp_table_row(mp_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A CSV file with a header row. Every row must have as many fields as the
 * header: a row that does not is refused with -EINVAL, so a lesson can never
 * write a file whose columns do not line up. */
typedef struct mp_csv {
    FILE *f;
    int ncols;
    char path[4096];
} mp_csv;

int mp_csv_open(mp_csv *csv, const char *dir, const char *name, const char *header);
int mp_csv_row(mp_csv *csv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mp_csv_close(mp_csv *csv);

/* Output files, checked: mp_file_create opens PATH for writing (NULL, with
 * "error: cannot create PATH: why" reported, on failure); mp_file_close
 * closes it and returns 0, or -errno with "error: writing PATH: why"
 * reported when any write, the flush or the close failed (a full disk). */
FILE *mp_file_create(const char *path);
int mp_file_close(FILE *f, const char *path);
/* Report an output that could not be made ("error: WHAT PATH: why") and
 * count it as a failure. */
void mp_output_error(const char *what, const char *path, int err);
/* How many output files failed so far (created or written): a lesson that
 * lost data must not end with status 0 (mp_lesson_end checks this). */
int mp_output_failures(void);

/* mkdir -p. Returns 0 or -errno. */
int mp_mkdirs(const char *path);

#endif
