/* trace: a cheap log of who ran what when, across threads and processes.
 *
 * No Python counterpart in multiprocessing (viztracer does this for Python).
 * A lesson marks the start and end of each task; the trace turns the marks
 * into a timeline (a Gantt chart PNG, one lane per thread of each process)
 * and a Chrome trace JSON that https://ui.perfetto.dev opens.
 *
 * How it stays cheap and bounded: the log lives in one shared segment
 * (shm.h) made before any child starts, so children's events land in the
 * same place the parent reads: a forked child inherits the mapping, a
 * spawned or forkserver child is handed the segment's descriptor with its
 * start request and attaches it. Each thread (of any process) claims its own slot,
 * a fixed array of events, on its first event; recording is a clock read and
 * a few stores, no lock and no system call. A full slot drops further events
 * and counts them; a thread that finds no free slot is counted too. Nothing
 * grows, nothing crashes.
 */
#ifndef MP_TRACE_H
#define MP_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#define MP_TRACE_NAME_LEN 23

typedef enum {
    MP_EV_BEGIN = 'B',
    MP_EV_END = 'E',
    MP_EV_INSTANT = 'i',
    MP_EV_FLOW_START = 's', /* a hand-off starts here (mp_trace_flow) */
    MP_EV_FLOW_END = 'f',   /* and arrives here */
} mp_event_kind;

typedef struct mp_event {
    uint64_t t_ns;                      /* mp_now_ns() */
    char kind;                          /* mp_event_kind */
    char name[MP_TRACE_NAME_LEN];
} mp_event;

/* Make the shared log: `slots` threads at most, `capacity` events each
 * (0, 0: defaults of 2048 slots x 8192 events: 512 MiB of address space, of
 * which only the pages threads write to are ever backed by memory). Call
 * before starting workers. Returns 0 or -errno (-EINVAL for sizes that do
 * not fit). mp_trace_off_reason() then says why tracing is off. */
int mp_trace_init(int slots, int capacity);
void mp_trace_close(void);
/* NULL while the log exists; otherwise why there is none ("not set up",
 * "mmap: Cannot allocate memory"). */
const char *mp_trace_off_reason(void);

/* The log's descriptor (its shm segment), and mapping it in a spawned child,
 * which inherits no memory from its parent: only descriptors. attach takes
 * ownership of fd on success. */
int mp_trace_fd(void);
int mp_trace_attach(int fd, bool enable);

/* Recording is off until enabled; children forked afterwards inherit it. */
void mp_trace_enable(bool on);
bool mp_trace_enabled(void);

/* Forget every event recorded so far (no thread may be recording meanwhile). */
void mp_trace_reset(void);

/* An event with a time of your choosing (mp_now_ns() clock), for spans whose
 * start or end is known only afterwards (the GIL's holders, lesson 03).
 * Events of one thread must still be recorded in time order. */
void mp_trace_at(mp_event_kind kind, const char *name, uint64_t t_ns);

void mp_trace_begin(const char *name);
void mp_trace_end(const char *name);
void mp_trace_instant(const char *name);

/* A flow: an arrow from one place to another, in Perfetto, such as a task
 * handed from the thread that submitted it to the worker that ran it.
 * Record MP_EV_FLOW_START with an id where it leaves and MP_EV_FLOW_END with
 * the same id where it arrives, each inside a span (begin..end) of its own
 * lane: Chrome's trace format ties the arrow to the spans around its ends
 * ("s" and "f" events, "bp":"e"). The id is kept as text in the event's name. */
void mp_trace_flow(mp_event_kind kind, uint64_t id);

/* Counts over all slots. */
typedef struct mp_trace_counts {
    uint64_t events;   /* recorded */
    uint64_t dropped;  /* not recorded: a slot was full, or no slot was free */
    int threads;       /* slots in use */
} mp_trace_counts;
mp_trace_counts mp_trace_count(void);

/* One thread's recorded events, for reading (tests, renderers). */
typedef struct mp_trace_lane {
    int pid, tid;
    char role[24];
    uint64_t dropped; /* events that did not fit: all of them after the last one kept */
    uint32_t count;
    const mp_event *events;
} mp_trace_lane;
int mp_trace_lanes(mp_trace_lane *lanes, int max); /* returns how many */

/* Write DIR/STEM.json (Chrome trace: one complete event per span, which
 * Perfetto opens) and DIR/STEM.dat (one span a line), and plot DIR/STEM.png
 * with plots/timeline.gp unless no_plot. Only what happened between from_ns
 * and to_ns (mp_now_ns() clock; to_ns 0: until now) is written, spans cut to
 * that window: a lesson marks the time before an experiment and draws just
 * that experiment, while --trace keeps the whole run for trace-all.
 * One line says what was written, and when events were dropped, that the
 * timeline is incomplete. Returns 0; 1 when nothing was written (tracing is
 * off, or nothing was recorded in the window: a line says which) or when
 * only the plot was skipped; -errno when a file could not be written (the
 * path and the error are reported). */
int mp_trace_write_window(const char *dir, const char *stem, const char *title, uint64_t from_ns, uint64_t to_ns,
                          bool no_plot);
/* The whole log: mp_trace_write_window(dir, stem, title, 0, 0, no_plot). */
int mp_trace_write(const char *dir, const char *stem, const char *title, bool no_plot);

#endif
