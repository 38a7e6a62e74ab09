#define _GNU_SOURCE /* gettid() */
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static _Thread_local char role[32];
/* atomic: a test may turn it on or off while another thread prints */
static _Atomic int quiet;

void mp_set_role(const char *r)
{
    /* a plain copy, not snprintf: a forked child calls this first thing, and
     * printf's deep stack frame would cost it page faults (copy on write) */
    size_t i = 0;
    for (; r && r[i] && i < sizeof role - 1; i++)
        role[i] = r[i];
    role[i] = '\0';
}

const char *mp_role(void)
{
    if (role[0])
        return role;
    return gettid() == getpid() ? "main" : "thread";
}

void mp_report_quiet(int q) { quiet = q; }
int mp_report_is_quiet(void) { return quiet; }

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* nowhere left to report it */
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* One tagged line to fd: the tag, then prefix (may be ""), then the text. */
static void vsay(int fd, const char *prefix, const char *fmt, va_list ap)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "[pid %d tid %d %s] %s", (int)getpid(), (int)gettid(), mp_role(), prefix);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    fflush(stdout); /* keep order with anything printed through stdio */
    write_all(fd, line, len);
}

void mp_say(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsay(STDOUT_FILENO, "", fmt, ap);
    va_end(ap);
}

void mp_section(const char *fmt, ...)
{
    if (quiet)
        return;
    char title[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(title, sizeof title, fmt, ap);
    va_end(ap);
    fflush(stdout);
    write_all(STDOUT_FILENO, "\n", 1);
    mp_say("== %s ==", title);
}

static void say_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(STDERR_FILENO, "", fmt, ap);
    va_end(ap);
}

void mp_error(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsay(STDERR_FILENO, "error: ", fmt, ap);
    va_end(ap);
}

void mp_syserr(const char *call, int err)
{
    if (quiet)
        return;
    say_err("error: %s: %s", call, strerror(err < 0 ? -err : err));
}

/* ---- tables ---- */

static bool looks_numeric(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '.' && *s != 'x' && *s != '%' && *s != 'e')
            return false;
    return true;
}

/* Split line at '|' into at most MP_TABLE_MAX_COLS cells (in place). */
static int split_cells(char *line, char *cells[])
{
    int n = 0;
    char *p = line;
    while (n < MP_TABLE_MAX_COLS) {
        cells[n++] = p;
        p = strchr(p, '|');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

static void print_cells(mp_table *t, char *cells[], int n)
{
    char out[1024];
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof out; i++) {
        int w = i < t->ncols ? t->width[i] : 0;
        bool right = looks_numeric(cells[i]);
        int k = snprintf(out + len, sizeof out - len, right ? "%*s  " : "%-*s  ", w, cells[i]);
        if (k > 0)
            len += (size_t)k;
    }
    if (len >= sizeof out)
        len = sizeof out - 1;
    while (len > 0 && out[len - 1] == ' ')
        len--;
    out[len] = '\0';
    mp_say("%s", out);
}

void mp_table_header(mp_table *t, const char *header)
{
    char buf[1024], *cells[MP_TABLE_MAX_COLS];
    snprintf(buf, sizeof buf, "%s", header);
    t->ncols = split_cells(buf, cells);
    for (int i = 0; i < t->ncols; i++) {
        int w = (int)strlen(cells[i]);
        t->width[i] = w < 8 ? 8 : w;
    }
    print_cells(t, cells, t->ncols);
}

void mp_table_row(mp_table *t, const char *fmt, ...)
{
    char buf[1024], *cells[MP_TABLE_MAX_COLS];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    print_cells(t, cells, split_cells(buf, cells));
}

/* ---- files ---- */

int mp_mkdirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -ENAMETOOLONG;
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return -errno;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
}

static atomic_int output_failures;

int mp_output_failures(void) { return atomic_load(&output_failures); }

void mp_output_error(const char *what, const char *path, int err)
{
    atomic_fetch_add(&output_failures, 1);
    if (!quiet)
        say_err("error: %s %s: %s", what, path, strerror(err < 0 ? -err : err));
}

FILE *mp_file_create(const char *path)
{
    FILE *f = fopen(path, "we"); /* close-on-exec, like every descriptor of ours */
    if (!f)
        mp_output_error("cannot create", path, errno);
    return f;
}

/* Close f after a write to it failed with err (0: unknown), and report it. */
static int close_failed(FILE *f, const char *path, int err)
{
    if (fflush(f) != 0 && err == 0)
        err = errno; /* the unwritten buffer fails again, with the reason */
    fclose(f);
    if (err == 0)
        err = EIO;
    mp_output_error("writing", path, err);
    return -err;
}

int mp_file_close(FILE *f, const char *path)
{
    if (!f)
        return 0;
    if (ferror(f))
        return close_failed(f, path, 0);
    if (fflush(f) != 0)
        return close_failed(f, path, errno);
    if (fclose(f) != 0) {
        int e = errno;
        mp_output_error("writing", path, e);
        return -e;
    }
    return 0;
}

static int count_fields(const char *line)
{
    int n = 1;
    for (; *line; line++)
        n += (*line == ',');
    return n;
}

int mp_csv_open(mp_csv *csv, const char *dir, const char *name, const char *header)
{
    csv->f = NULL;
    int rc = mp_mkdirs(dir);
    if (rc != 0) {
        mp_output_error("cannot create the folder", dir, rc);
        return rc;
    }
    if (snprintf(csv->path, sizeof csv->path, "%s/%s", dir, name) >= (int)sizeof csv->path)
        return -ENAMETOOLONG;
    csv->f = mp_file_create(csv->path);
    if (!csv->f)
        return -errno;
    csv->ncols = count_fields(header);
    if (fprintf(csv->f, "%s\n", header) < 0) {
        rc = close_failed(csv->f, csv->path, errno);
        csv->f = NULL;
        return rc;
    }
    return 0;
}

int mp_csv_row(mp_csv *csv, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (!csv->f || n < 0 || n >= (int)sizeof line || count_fields(line) != csv->ncols)
        return -EINVAL;
    /* a failed write is seen (and reported with the path) at close, or now
     * when stdio already knows */
    if (fprintf(csv->f, "%s\n", line) < 0 || ferror(csv->f)) {
        int rc = close_failed(csv->f, csv->path, errno);
        csv->f = NULL;
        return rc;
    }
    return 0;
}

int mp_csv_close(mp_csv *csv)
{
    int rc = mp_file_close(csv->f, csv->path);
    csv->f = NULL;
    return rc;
}
