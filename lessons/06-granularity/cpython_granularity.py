"""Lesson 06, part 6: the task-cost sweep in CPython.

The same question as the C sweep -- from what task cost on does a pool pay
off? -- asked of multiprocessing.Pool and multiprocessing.pool.ThreadPool,
with the same task costs and the same task counts as the C lesson gives on
the command line. A task is a loop of a tunable number of steps, calibrated
here to take the asked-for time in this interpreter. Each run is T4's: start
a pool, map with the default chunksize, close, join.

Prints `version X.Y.Z`, then
    start,BACKEND,median_s,min_s,max_s          (an idle pool: start, close, join)
    serial,TASK_NS,N,median_s,min_s,max_s
    BACKEND,TASK_NS,N,CHUNKSIZE,median_s,min_s,max_s
with BACKEND cpython-process or cpython-thread. Run it alone to see them:

    python3 lessons/06-granularity/cpython_granularity.py --costs 1000,100000 --tasks 2000,100 --workers 2
"""
import argparse
import ctypes
import multiprocessing as mp
import multiprocessing.pool
import os
import platform
import signal
import statistics
import time


def die_with_parent():
    """A pool worker dies with the script (PR_SET_PDEATHSIG, Linux), so a
    Ctrl-C of the lesson never leaves one behind."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        os._exit(1)


def spin(arg):
    steps, seed = arg
    x = seed | 1
    for _ in range(steps):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    return x


def steps_per_ns():
    """Steps of spin per nanosecond: the fastest of a few runs."""
    probe, best = 20000, None
    for _ in range(5):
        t0 = time.perf_counter_ns()
        spin((probe, 1))
        took = time.perf_counter_ns() - t0
        best = took if best is None else min(best, took)
    return probe / max(best, 1)


def chunksize_for(n, workers):
    """Pool.map's default: divmod(n, workers * 4), plus one if a remainder."""
    chunks, extra = divmod(n, workers * 4)
    return chunks + 1 if extra else chunks


def make_pool(backend, workers, ctx):
    if backend == "cpython-process":
        return ctx.Pool(workers, initializer=die_with_parent)
    return mp.pool.ThreadPool(workers)


def timed(repeat, fn):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--costs", required=True, help="task costs in ns, comma-separated")
    ap.add_argument("--tasks", required=True, help="task counts, one per cost")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--start", default="fork", choices=["fork", "spawn", "forkserver"])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    costs = [float(c) for c in a.costs.split(",")]
    counts = [int(n) for n in a.tasks.split(",")]
    if len(costs) != len(counts):
        ap.error("--costs and --tasks need as many values each")
    ctx = mp.get_context(a.start)
    print("version", platform.python_version(), flush=True)
    rate = steps_per_ns()
    backends = ("cpython-process", "cpython-thread")
    for b in backends:
        def idle():
            p = make_pool(b, a.workers, ctx)
            p.close()
            p.join()
        print("start,%s,%.6f,%.6f,%.6f" % ((b,) + timed(a.repeat, idle)), flush=True)
    for cost, n in zip(costs, counts):
        steps = max(1, round(cost * rate))
        args = [(steps, i + 1) for i in range(n)]
        want = [spin(x) for x in args]
        print("serial,%.0f,%d,%.6f,%.6f,%.6f" % ((cost, n) + timed(a.repeat, lambda: [spin(x) for x in args])),
              flush=True)
        cs = chunksize_for(n, a.workers)
        for b in backends:
            got = []

            def run():
                p = make_pool(b, a.workers, ctx)
                got[:] = p.map(spin, args)  # the default chunksize
                p.close()
                p.join()
            m = timed(a.repeat, run)
            if got != want:
                raise SystemExit("%s gave wrong results at %.0f ns" % (b, cost))
            print("%s,%.0f,%d,%d,%.6f,%.6f,%.6f" % ((b, cost, n, cs) + m), flush=True)


if __name__ == "__main__":
    main()
