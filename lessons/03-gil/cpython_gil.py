"""Lesson 03, part 6: the countdown and the convoy in real CPython.

Prints one line per measurement, `experiment,setup,median,min,max,unit`,
which the C lesson reads, writes to cpython.csv and compares with its
simulation (min and max: over the repeats, or over the batches of requests).
Run it alone to see the raw numbers:

    python3 lessons/03-gil/cpython_gil.py --quick
    python3 lessons/03-gil/cpython_gil.py --workers 2 --start spawn --repeat 3 --intervals 5000,1000,100
"""
import argparse
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time

DELAY = 0.0002  # the server answers after 200 us, as in the C lesson


def countdown(n):
    while n > 0:
        n -= 1


def ticks_for(seconds):
    """How far to count down to keep one thread busy this long."""
    probe = 200_000
    t0 = time.perf_counter()
    countdown(probe)
    took = max(time.perf_counter() - t0, 1e-6)
    return max(1000, int(probe * seconds / took))


def timed(fns, repeat):
    """Time each function `repeat` times, taking turns (so that a machine
    getting faster or slower meanwhile affects them all alike): a
    (median, min, max) per function."""
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [(statistics.median(ts), min(ts), max(ts)) for ts in times]


def in_threads(n, workers):
    ts = [threading.Thread(target=countdown, args=(n,)) for _ in range(workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def in_processes(n, workers):
    ps = [mp.Process(target=countdown, args=(n,)) for _ in range(workers)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()


def server(requests, answers, *parents_ends):
    """The "network": answer each byte after DELAY, until EOF."""
    for conn in parents_ends:  # or EOF would never come: we would hold a writer
        conn.close()
    r, w = requests.fileno(), answers.fileno()
    while True:
        b = os.read(r, 1)
        if not b:
            return
        time.sleep(DELAY)
        os.write(w, b)


def spin(stop):
    n = 0
    while not stop.is_set():
        n -= 1


def spin_forever():
    n = 0
    while True:
        n -= 1


def convoy(to_server, from_server, cpu_threads, in_process, batch, batches):
    """Round trips beside `cpu_threads` CPU-bound threads (or one CPU-bound
    process): (median, min, max) in us, min and max over the batch medians."""
    stop = threading.Event()
    workers = [threading.Thread(target=spin, args=(stop,)) for _ in range(cpu_threads)]
    if in_process:
        workers = [mp.Process(target=spin_forever)]
    for w in workers:
        w.start()
    time.sleep(0.01)
    lat = []
    for _ in range(batch * batches):
        t0 = time.perf_counter()
        os.write(to_server, b"q")  # each call releases the GIL and takes it back
        os.read(from_server, 1)
        lat.append((time.perf_counter() - t0) * 1e6)
    stop.set()
    for w in workers:
        if in_process:
            w.terminate()
        w.join()
    meds = [statistics.median(lat[i * batch:(i + 1) * batch]) for i in range(batches)]
    return statistics.median(lat), min(meds), max(meds)


def per_batch(quick, seconds_each):
    """Requests in a batch: as the C lesson, fewer where each is slow."""
    most = 10 if quick else 20
    budget = 0.1 if quick else 0.2
    return max(3, min(most, int(budget / seconds_each)))


def say(experiment, setup, value, unit, fmt):
    median, lo, hi = value
    print(f"{experiment},{setup},{median:{fmt}},{lo:{fmt}},{hi:{fmt}},{unit}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--start", default="fork", choices=["fork", "spawn", "forkserver"])
    ap.add_argument("--intervals", default="5000,1000,100")
    a = ap.parse_args()
    mp.set_start_method(a.start)
    print("version", sys.version.split()[0], flush=True)

    ticks_for(0.05)  # warm up: the first loops of a run are slower
    in_processes(0, 1)  # and start the forkserver (--start forkserver) before the timing
    each = ticks_for(0.1 if a.quick else 0.2) // a.workers
    seq, threads, procs = timed([lambda: countdown(each * a.workers), lambda: in_threads(each, a.workers),
                                 lambda: in_processes(each, a.workers)], a.repeat)
    say("countdown", "sequential", seq, "s", ".6f")
    say("countdown", "threads", threads, "s", ".6f")
    say("countdown", "processes", procs, "s", ".6f")

    req_r, req_w = mp.Pipe(duplex=False)
    ans_r, ans_w = mp.Pipe(duplex=False)
    srv = mp.Process(target=server, args=(req_r, ans_w, req_w, ans_r))
    srv.start()
    req_r.close()
    ans_w.close()
    to_server, from_server = req_w.fileno(), ans_r.fileno()
    try:
        alone = per_batch(a.quick, DELAY)
        say("convoy", "alone", convoy(to_server, from_server, 0, False, alone, a.repeat), "us", ".1f")
        for us in [int(x) for x in a.intervals.split(",")]:
            sys.setswitchinterval(us / 1e6)
            n = per_batch(a.quick, DELAY + us / 1e6)
            say("convoy", f"threads-{us}", convoy(to_server, from_server, 1, False, n, a.repeat), "us", ".1f")
        sys.setswitchinterval(0.005)
        say("convoy", "process", convoy(to_server, from_server, 0, True, alone, a.repeat), "us", ".1f")
    finally:
        req_w.close()  # EOF: the server ends
        ans_r.close()
        srv.join(5)
        if srv.is_alive():
            srv.kill()
            srv.join()


if __name__ == "__main__":
    main()
