#define _GNU_SOURCE /* gettid: Linux-specific */
#include "trace.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "plot.h"
#include "report.h"
#include "shm.h"

typedef struct slot {
    int32_t pid, tid;
    char role[24];
    _Atomic uint32_t count;   /* events written; published with release order */
    _Atomic uint64_t dropped; /* events that did not fit */
} slot_header;

#define TRACE_MAGIC 0x4d50545247ull /* "MPTRG": what mp_trace_attach expects to find */

typedef struct header {
    uint64_t magic;
    _Atomic uint32_t next_slot;
    _Atomic uint32_t generation; /* bumped by mp_trace_reset: cached slots go stale */
    _Atomic uint64_t no_slot;    /* events from threads that found no free slot */
    uint32_t nslots, capacity;
    size_t slot_bytes;
} header;

static header *hdr;       /* the shared log: NULL until mp_trace_init or attach */
static mp_shm log_shm = {NULL, 0, -1}; /* its segment: any child can be handed it */
static bool enabled;      /* per process; a forked child inherits the value */

static _Thread_local slot_header *my_slot;
static _Thread_local uint32_t my_generation;

static slot_header *slot_at(uint32_t i)
{
    return (slot_header *)((char *)(hdr + 1) + (size_t)i * hdr->slot_bytes);
}

static mp_event *events_of(slot_header *s) { return (mp_event *)(s + 1); }

/* After fork only the forking thread exists in the child, and its cached
 * slot belongs to the parent's thread: forget it, claim a new one. */
static void forget_slot_in_child(void) { my_slot = NULL; }
static void register_atfork(void) { pthread_atfork(NULL, NULL, forget_slot_in_child); }

static void forget_slots_at_fork(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_atfork);
}

static char off_reason[96] = "not set up";

const char *mp_trace_off_reason(void) { return hdr ? NULL : off_reason; }

static int trace_failed(const char *call, int e)
{
    snprintf(off_reason, sizeof off_reason, "%s: %s", call, strerror(e));
    return -e;
}

int mp_trace_init(int slots, int capacity)
{
    if (hdr)
        return 0;
    if (slots <= 0) slots = 2048;
    if (capacity <= 0) capacity = 8192;
    /* sizes whose product does not fit are refused, never wrapped */
    const size_t limit = (size_t)1 << 40;
    size_t slot_bytes = sizeof(slot_header) + (size_t)capacity * sizeof(mp_event);
    if ((size_t)capacity > limit / sizeof(mp_event) || slot_bytes > limit / (size_t)slots)
        return trace_failed("mp_trace_init", EINVAL);
    /* a shared segment (lib/shm.h), so that every child, however started,
     * can be handed the log; pages are only backed once a thread writes */
    int rc = mp_shm_create(&log_shm, "mpkit-trace", sizeof(header) + (size_t)slots * slot_bytes);
    if (rc != 0)
        return trace_failed("the trace log's shared memory", -rc);
    hdr = log_shm.p;
    hdr->magic = TRACE_MAGIC;
    hdr->nslots = (uint32_t)slots;
    hdr->capacity = (uint32_t)capacity;
    hdr->slot_bytes = slot_bytes;
    forget_slots_at_fork();
    return 0;
}

int mp_trace_fd(void) { return log_shm.fd; }

int mp_trace_attach(int fd, bool enable)
{
    if (hdr)
        return -EINVAL;
    mp_shm s;
    int rc = mp_shm_attach(&s, fd);
    if (rc != 0)
        return rc;
    header *h = s.p;
    if (s.bytes < sizeof(header) || h->magic != TRACE_MAGIC ||
        s.bytes < sizeof(header) + (size_t)h->nslots * h->slot_bytes) { /* not a trace log */
        s.fd = -1; /* not ours to close: the caller still owns fd */
        mp_shm_close(&s);
        return -EINVAL;
    }
    log_shm = s;
    hdr = h;
    enabled = enable;
    forget_slots_at_fork();
    return 0;
}

void mp_trace_close(void)
{
    mp_shm_close(&log_shm);
    hdr = NULL;
    enabled = false;
    my_slot = NULL;
    snprintf(off_reason, sizeof off_reason, "closed");
}

void mp_trace_enable(bool on) { enabled = on && hdr; }
bool mp_trace_enabled(void) { return enabled; }

void mp_trace_reset(void)
{
    if (!hdr)
        return;
    hdr->next_slot = 0;
    hdr->no_slot = 0;
    atomic_fetch_add(&hdr->generation, 1);
}

static slot_header *claim_slot(void)
{
    uint32_t i = atomic_fetch_add(&hdr->next_slot, 1);
    if (i >= hdr->nslots)
        return NULL;
    slot_header *s = slot_at(i);
    s->pid = getpid();
    s->tid = gettid();
    snprintf(s->role, sizeof s->role, "%s", mp_role());
    s->dropped = 0;
    atomic_store_explicit(&s->count, 0, memory_order_release);
    my_generation = hdr->generation;
    return s;
}

static void record(char kind, const char *name, uint64_t t_ns)
{
    if (!enabled)
        return;
    slot_header *s = my_slot;
    if (!s || my_generation != atomic_load_explicit(&hdr->generation, memory_order_relaxed)) {
        s = my_slot = claim_slot();
        if (!s) {
            atomic_fetch_add_explicit(&hdr->no_slot, 1, memory_order_relaxed);
            return;
        }
    }
    uint32_t n = atomic_load_explicit(&s->count, memory_order_relaxed); /* only we write it */
    if (n >= hdr->capacity) {
        atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
        return;
    }
    mp_event *e = &events_of(s)[n];
    e->t_ns = t_ns ? t_ns : mp_now_ns();
    e->kind = kind;
    strncpy(e->name, name, MP_TRACE_NAME_LEN - 1);
    e->name[MP_TRACE_NAME_LEN - 1] = '\0';
    atomic_store_explicit(&s->count, n + 1, memory_order_release);
}

void mp_trace_at(mp_event_kind kind, const char *name, uint64_t t_ns) { record((char)kind, name, t_ns); }
void mp_trace_begin(const char *name) { record(MP_EV_BEGIN, name, 0); }
void mp_trace_end(const char *name) { record(MP_EV_END, name, 0); }

void mp_trace_flow(mp_event_kind kind, uint64_t id)
{
    if (!enabled)
        return;
    char name[MP_TRACE_NAME_LEN];
    snprintf(name, sizeof name, "%llu", (unsigned long long)id);
    record((char)kind, name, 0);
}
void mp_trace_instant(const char *name) { record(MP_EV_INSTANT, name, 0); }

static uint32_t slots_in_use(void)
{
    uint32_t n = atomic_load(&hdr->next_slot);
    return n < hdr->nslots ? n : hdr->nslots;
}

mp_trace_counts mp_trace_count(void)
{
    mp_trace_counts c = {0, 0, 0};
    if (!hdr)
        return c;
    uint32_t n = slots_in_use();
    for (uint32_t i = 0; i < n; i++) {
        slot_header *s = slot_at(i);
        c.events += atomic_load_explicit(&s->count, memory_order_acquire);
        c.dropped += s->dropped;
    }
    c.dropped += hdr->no_slot;
    c.threads = (int)n;
    return c;
}

int mp_trace_lanes(mp_trace_lane *lanes, int max)
{
    if (!hdr)
        return 0;
    int n = (int)slots_in_use();
    if (n > max)
        n = max;
    for (int i = 0; i < n; i++) {
        slot_header *s = slot_at((uint32_t)i);
        lanes[i].pid = s->pid;
        lanes[i].tid = s->tid;
        snprintf(lanes[i].role, sizeof lanes[i].role, "%s", s->role);
        lanes[i].count = atomic_load_explicit(&s->count, memory_order_acquire);
        lanes[i].dropped = atomic_load_explicit(&s->dropped, memory_order_relaxed);
        lanes[i].events = events_of(s);
    }
    return n;
}

/* ---- rendering ---- */

/* A span: one begin paired with its end (or an instant, start == end),
 * already cut to the window being written. */
typedef struct span {
    int lane;
    uint64_t start, end;
    const char *name;
    bool instant;
    char flow;   /* 's' or 'f': a flow's end (name holds its id), else 0 */
} span;

typedef struct window {
    uint64_t from, to;
    span *spans;
    size_t n, cap;
} window;

static int add_span(window *w, int lane, uint64_t start, uint64_t end, const char *name, bool instant, char flow)
{
    if (end < w->from || start > w->to)
        return 0; /* outside the window */
    if (start < w->from) start = w->from;
    if (end > w->to) end = w->to;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 1024;
        span *p = realloc(w->spans, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        w->spans = p;
        w->cap = cap;
    }
    w->spans[w->n++] = (span){lane, start, end, name[0] ? name : "-", instant, flow};
    return 0;
}

/* Pair each end with the latest open begin of the same lane (spans nest);
 * a begin still open when the log was read ends at the window's end. */
static int collect(window *w, const mp_trace_lane *lanes, int n)
{
    for (int i = 0; i < n; i++) {
        const mp_trace_lane *l = &lanes[i];
        uint32_t open[64];
        int depth = 0, rc = 0;
        for (uint32_t k = 0; k < l->count && rc == 0; k++) {
            const mp_event *e = &l->events[k];
            if (e->kind == MP_EV_BEGIN && depth < 64)
                open[depth++] = k;
            else if (e->kind == MP_EV_END && depth > 0) {
                const mp_event *b = &l->events[open[--depth]];
                rc = add_span(w, i, b->t_ns, e->t_ns, b->name, false, 0);
            } else if (e->kind == MP_EV_INSTANT)
                rc = add_span(w, i, e->t_ns, e->t_ns, e->name, true, 0);
            else if (e->kind == MP_EV_FLOW_START || e->kind == MP_EV_FLOW_END)
                rc = add_span(w, i, e->t_ns, e->t_ns, e->name, true, e->kind);
        }
        while (depth > 0 && rc == 0) {
            const mp_event *b = &l->events[open[--depth]];
            rc = add_span(w, i, b->t_ns, w->to, b->name, false, 0);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
    fputc('"', f);
}

/* Chrome trace JSON: a name per thread, then one complete event ("X",
 * start and duration) per span, times in microseconds from the window's start. */
static int write_json(const char *path, const window *w, const mp_trace_lane *lanes, int n, uint64_t t0)
{
    FILE *f = mp_file_create(path);
    if (!f)
        return -errno;
    fprintf(f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    for (int i = 0; i < n; i++) {
        const mp_trace_lane *l = &lanes[i];
        fprintf(f, "%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":", i ? ",\n" : "",
                l->pid, l->tid);
        json_string(f, l->role);
        fprintf(f, "}}");
    }
    for (size_t k = 0; k < w->n; k++) {
        const span *s = &w->spans[k];
        const mp_trace_lane *l = &lanes[s->lane];
        fprintf(f, "%s{\"name\":", n || k ? ",\n" : "");
        if (s->flow) { /* the id is the event's name; "bp":"e": tied to the span around it */
            fprintf(f, "\"flow\",\"cat\":\"flow\",\"ph\":\"%c\",%s\"id\":%s,\"ts\":%.3f,\"pid\":%d,\"tid\":%d}",
                    s->flow, s->flow == 'f' ? "\"bp\":\"e\"," : "", s->name, (double)(s->start - t0) / 1e3, l->pid,
                    l->tid);
            continue;
        }
        json_string(f, s->name);
        if (s->instant)
            fprintf(f, ",\"ph\":\"i\",\"s\":\"t\",\"ts\":%.3f,\"pid\":%d,\"tid\":%d}", (double)(s->start - t0) / 1e3,
                    l->pid, l->tid);
        else
            fprintf(f, ",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%d,\"tid\":%d}", (double)(s->start - t0) / 1e3,
                    (double)(s->end - s->start) / 1e3, l->pid, l->tid);
    }
    fprintf(f, "\n]}\n");
    return mp_file_close(f, path);
}

/* For the Gantt chart: "lane start_ms end_ms name", and the lanes' labels. */
static int write_spans(const char *path, const window *w, const mp_trace_lane *lanes, int n, uint64_t t0,
                       char *ytics, size_t ylen)
{
    FILE *f = mp_file_create(path);
    if (!f)
        return -errno;
    fprintf(f, "# lane start_ms end_ms name\n");
    for (size_t k = 0; k < w->n; k++) {
        const span *s = &w->spans[k];
        if (s->flow)
            continue; /* arrows are for Perfetto; the chart draws spans */
        fprintf(f, "%d %.4f %.4f %s\n", s->lane, (double)(s->start - t0) / 1e6, (double)(s->end - t0) / 1e6, s->name);
    }
    size_t used = (size_t)snprintf(ytics, ylen, "(");
    for (int i = 0; i < n && used < ylen; i++)
        used += (size_t)snprintf(ytics + used, ylen - used, "%s\"%s %d\" %d", i ? ", " : "", lanes[i].role,
                                 lanes[i].tid, i);
    if (used + 2 < ylen)
        snprintf(ytics + used, ylen - used, ")");
    else
        ytics[0] = '\0'; /* too many lanes to name: timeline.gp numbers them */
    return mp_file_close(f, path);
}

/* Keep only the lanes that have a span in the window, renumbered 0, 1, ... */
static int keep_busy_lanes(window *w, mp_trace_lane *lanes, int n)
{
    int *map = calloc((size_t)n + 1, sizeof *map);
    if (!map)
        return -ENOMEM;
    for (size_t k = 0; k < w->n; k++)
        map[w->spans[k].lane] = 1;
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (map[i]) {
            lanes[m] = lanes[i];
            map[i] = m++;
        }
    }
    for (size_t k = 0; k < w->n; k++)
        w->spans[k].lane = map[w->spans[k].lane];
    free(map);
    return m;
}

static int count_processes(const mp_trace_lane *lanes, int n)
{
    int p = 0;
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = lanes[j].pid == lanes[i].pid;
        p += !seen;
    }
    return p;
}

int mp_trace_write_window(const char *dir, const char *stem, const char *title, uint64_t from_ns, uint64_t to_ns,
                          bool no_plot)
{
    if (!hdr) {
        mp_say("no %s timeline: tracing is off (%s)", stem, off_reason);
        return 1;
    }
    enum { MAX_LANES = 4096 };
    static mp_trace_lane lanes[MAX_LANES];
    int n = mp_trace_lanes(lanes, MAX_LANES);
    window w = {.from = from_ns, .to = to_ns ? to_ns : mp_now_ns()};
    /* A full buffer drops a thread's later events: the window misses some
     * only if it reaches past the last event that thread could keep
     * (counted over every lane, before the lanes with no span are dropped) */
    uint64_t missed = atomic_load(&hdr->no_slot);
    int full = 0;
    for (int i = 0; i < n; i++)
        if (lanes[i].dropped && lanes[i].count && w.to > lanes[i].events[lanes[i].count - 1].t_ns) {
            missed += lanes[i].dropped;
            full++;
        }
    int rc = collect(&w, lanes, n);
    if (rc == 0)
        rc = n = keep_busy_lanes(&w, lanes, n);
    if (rc < 0) {
        free(w.spans);
        mp_syserr("reading the trace", rc);
        return rc;
    }
    if (w.n == 0) {
        free(w.spans);
        mp_say("timeline %s: nothing was recorded in this window, so no file was written", stem);
        return 1;
    }
    rc = mp_mkdirs(dir);
    if (rc != 0) {
        free(w.spans);
        mp_output_error("cannot create the folder", dir, rc);
        return rc;
    }
    uint64_t t0 = UINT64_MAX;
    for (size_t k = 0; k < w.n; k++)
        if (w.spans[k].start < t0)
            t0 = w.spans[k].start;
    char json[PATH_MAX], dat[PATH_MAX], ytics[16384];
    snprintf(json, sizeof json, "%s/%s.json", dir, stem);
    snprintf(dat, sizeof dat, "%s/%s.dat", dir, stem);
    rc = write_json(json, &w, lanes, n, t0);
    if (rc == 0)
        rc = write_spans(dat, &w, lanes, n, t0, ytics, sizeof ytics);
    size_t nspans = w.n;
    free(w.spans);
    if (rc != 0)
        return rc;
    mp_say("timeline %s: %zu spans from %d threads in %d processes -> %s", stem, nspans, n, count_processes(lanes, n),
           json);
    if (missed)
        mp_say("timeline %s is incomplete: %llu events were dropped (%d thread(s) filled their buffer of %u events; "
               "threads that found no free slot: %llu events)", stem, (unsigned long long)missed, full,
               hdr->capacity, (unsigned long long)atomic_load(&hdr->no_slot));
    char vars[16500];
    snprintf(vars, sizeof vars, "lanes='%s'; nlanes=%d", ytics, n);
    return mp_plot("timeline.gp", dat, dir, stem, title, vars, no_plot);
}

int mp_trace_write(const char *dir, const char *stem, const char *title, bool no_plot)
{
    return mp_trace_write_window(dir, stem, title, 0, 0, no_plot);
}
