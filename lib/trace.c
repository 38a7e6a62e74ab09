#define _GNU_SOURCE /* memfd_create, gettid: Linux-specific */
#include "trace.h"

#include <errno.h>
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

static header *hdr;       /* the shared mapping; NULL until mp_trace_init */
static size_t map_bytes;
static int trace_fd = -1; /* its memfd, kept for spawned children to map */
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

int mp_trace_init(int slots, int capacity)
{
    if (hdr)
        return 0;
    if (slots <= 0) slots = 256;
    if (capacity <= 0) capacity = 8192;
    size_t slot_bytes = sizeof(slot_header) + (size_t)capacity * sizeof(mp_event);
    map_bytes = sizeof(header) + (size_t)slots * slot_bytes;
    /* memfd rather than MAP_ANONYMOUS: a descriptor can later be handed to a
     * child that does not inherit our memory (spawn). It is not a /dev/shm
     * name, so nothing can be left behind. */
    int fd = memfd_create("mpkit-trace", MFD_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        mp_syserr("memfd_create", e);
        return -e;
    }
    if (ftruncate(fd, (off_t)map_bytes) != 0) {
        int e = errno;
        mp_syserr("ftruncate", e);
        close(fd);
        return -e;
    }
    void *p = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        mp_syserr("mmap", e);
        close(fd);
        return -e;
    }
    hdr = p;
    trace_fd = fd; /* close-on-exec: only handed on deliberately (spawn) */
    hdr->magic = TRACE_MAGIC;
    hdr->nslots = (uint32_t)slots;
    hdr->capacity = (uint32_t)capacity;
    hdr->slot_bytes = slot_bytes;
    forget_slots_at_fork();
    return 0;
}

int mp_trace_fd(void) { return trace_fd; }

int mp_trace_attach(int fd, bool enable)
{
    struct stat st;
    if (hdr || fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(header))
        return -EINVAL;
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    header *h = p;
    if (h->magic != TRACE_MAGIC ||
        (size_t)st.st_size < sizeof(header) + (size_t)h->nslots * h->slot_bytes) { /* not a trace log */
        munmap(p, (size_t)st.st_size);
        return -EINVAL;
    }
    hdr = h;
    map_bytes = (size_t)st.st_size;
    trace_fd = fd;
    enabled = enable;
    forget_slots_at_fork();
    return 0;
}

void mp_trace_close(void)
{
    if (hdr)
        munmap(hdr, map_bytes);
    if (trace_fd >= 0)
        close(trace_fd);
    trace_fd = -1;
    hdr = NULL;
    enabled = false;
    my_slot = NULL;
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
        lanes[i].events = events_of(s);
    }
    return n;
}

/* ---- rendering ---- */

static uint64_t first_time(const mp_trace_lane *lanes, int n)
{
    uint64_t t0 = UINT64_MAX;
    for (int i = 0; i < n; i++)
        if (lanes[i].count && lanes[i].events[0].t_ns < t0)
            t0 = lanes[i].events[0].t_ns;
    return t0 == UINT64_MAX ? 0 : t0;
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

static int write_json(const char *path, const mp_trace_lane *lanes, int n, uint64_t t0)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    bool first = true;
    for (int i = 0; i < n; i++) {
        const mp_trace_lane *l = &lanes[i];
        fprintf(f, "%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":",
                first ? "" : ",\n", l->pid, l->tid);
        json_string(f, l->role);
        fprintf(f, "}}");
        first = false;
        for (uint32_t k = 0; k < l->count; k++) {
            const mp_event *e = &l->events[k];
            fprintf(f, ",\n{\"name\":");
            json_string(f, e->name);
            fprintf(f, ",\"ph\":\"%c\",\"ts\":%.3f,\"pid\":%d,\"tid\":%d%s}", e->kind,
                    (double)(e->t_ns - t0) / 1e3, l->pid, l->tid, e->kind == MP_EV_INSTANT ? ",\"s\":\"t\"" : "");
        }
    }
    fprintf(f, "\n]}\n");
    return fclose(f) == 0 ? 0 : -errno;
}

/* Spans for the Gantt chart: "lane start_ms end_ms name", pairing each end
 * with the latest open begin of the same lane (spans nest). */
static int write_spans(const char *path, const mp_trace_lane *lanes, int n, uint64_t t0, char *ytics, size_t ylen)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "# lane start_ms end_ms name\n");
    size_t used = (size_t)snprintf(ytics, ylen, "(");
    for (int i = 0; i < n; i++) {
        const mp_trace_lane *l = &lanes[i];
        if (used < ylen)
            used += (size_t)snprintf(ytics + used, ylen - used, "%s\"%s %d\" %d", i ? ", " : "", l->role, l->tid, i);
        uint32_t open[64];
        int depth = 0;
        for (uint32_t k = 0; k < l->count; k++) {
            const mp_event *e = &l->events[k];
            if (e->kind == MP_EV_BEGIN && depth < 64) {
                open[depth++] = k;
            } else if (e->kind == MP_EV_END && depth > 0) {
                const mp_event *b = &l->events[open[--depth]];
                fprintf(f, "%d %.4f %.4f %s\n", i, (double)(b->t_ns - t0) / 1e6, (double)(e->t_ns - t0) / 1e6,
                        b->name[0] ? b->name : "-");
            } else if (e->kind == MP_EV_INSTANT) {
                double t = (double)(e->t_ns - t0) / 1e6;
                fprintf(f, "%d %.4f %.4f %s\n", i, t, t, e->name[0] ? e->name : "-");
            }
        }
    }
    if (used < ylen)
        snprintf(ytics + used, ylen - used, ")");
    return fclose(f) == 0 ? 0 : -errno;
}

int mp_trace_write(const char *dir, const char *stem, const char *title, bool no_plot)
{
    enum { MAX_LANES = 1024 };
    static mp_trace_lane lanes[MAX_LANES];
    int n = mp_trace_lanes(lanes, MAX_LANES);
    int rc = mp_mkdirs(dir);
    if (rc != 0)
        return rc;
    uint64_t t0 = first_time(lanes, n);
    char json[4200], dat[4200], ytics[8192];
    snprintf(json, sizeof json, "%s/%s.json", dir, stem);
    snprintf(dat, sizeof dat, "%s/%s.dat", dir, stem);
    if ((rc = write_json(json, lanes, n, t0)) != 0 || (rc = write_spans(dat, lanes, n, t0, ytics, sizeof ytics)) != 0) {
        mp_syserr("writing the trace", rc);
        return rc;
    }
    mp_trace_counts c = mp_trace_count();
    mp_say("trace: %llu events from %d threads (%llu dropped) -> %s", (unsigned long long)c.events, c.threads,
           (unsigned long long)c.dropped, json);
    char vars[9000];
    snprintf(vars, sizeof vars, "lanes='%s'; nlanes=%d", ytics, n);
    return mp_plot("timeline.gp", dat, dir, stem, title, vars, no_plot);
}
