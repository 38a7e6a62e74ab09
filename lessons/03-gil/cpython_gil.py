"""Lesson 03, part 6: the countdown and the convoy in real CPython.

Prints one line per measurement, `experiment,setup,median,unit`, which the C
lesson reads, writes to cpython.csv and compares with its simulation.
Run it alone to see the raw numbers:  python3 lessons/03-gil/cpython_gil.py --quick
"""
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time

QUICK = "--quick" in sys.argv
N = 500_000 if QUICK else 2_000_000     # countdown per worker
REPEAT = 1 if QUICK else 3
REQUESTS = 10 if QUICK else 40
DELAY = 0.0002                          # the server answers after 200 us


def countdown(n):
    while n > 0:
        n -= 1


def timed(fn):
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def in_threads():
    ts = [threading.Thread(target=countdown, args=(N,)) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def in_processes():
    ps = [mp.Process(target=countdown, args=(N,)) for _ in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()


def server(requests, answers, *parents_ends):
    """The "network": answer each byte after DELAY. Raw pipes and os.read /
    os.write, exactly the two blocking calls the C lesson makes."""
    for fd in parents_ends:      # or EOF would never come: we hold a writer
        os.close(fd)
    while True:
        b = os.read(requests, 1)
        if not b:
            return
        time.sleep(DELAY)
        os.write(answers, b)


def spin(stop):
    n = 0
    while not stop.is_set():
        n -= 1


def spin_forever():
    n = 0
    while True:
        n -= 1


def convoy(to_server, from_server, cpu):
    """Median latency (us) of request/response round trips beside `cpu`:
    None, "thread" or "process"."""
    stop = threading.Event()
    worker = None
    if cpu == "thread":
        worker = threading.Thread(target=spin, args=(stop,))
        worker.start()
    elif cpu == "process":
        worker = mp.Process(target=spin_forever)
        worker.start()
    time.sleep(0.01)
    lat = []
    for _ in range(REQUESTS):
        t0 = time.perf_counter()
        os.write(to_server, b"q")   # each call releases the GIL and takes it back
        os.read(from_server, 1)
        lat.append((time.perf_counter() - t0) * 1e6)
    if cpu == "thread":
        stop.set()
        worker.join()
    elif cpu == "process":
        worker.terminate()
        worker.join()
    return statistics.median(lat)


def main():
    mp.set_start_method("fork")
    print("version", sys.version.split()[0], flush=True)
    print(f"countdown,sequential,{timed(lambda: countdown(2 * N)):.6f},s", flush=True)
    print(f"countdown,threads,{timed(in_threads):.6f},s", flush=True)
    print(f"countdown,processes,{timed(in_processes):.6f},s", flush=True)

    req_r, req_w = os.pipe()
    ans_r, ans_w = os.pipe()
    srv = mp.Process(target=server, args=(req_r, ans_w, req_w, ans_r))
    srv.start()
    os.close(req_r)
    os.close(ans_w)
    try:
        print(f"convoy,alone,{convoy(req_w, ans_r, None):.1f},us", flush=True)
        for interval_us in (5000, 1000, 100):
            sys.setswitchinterval(interval_us / 1e6)
            print(f"convoy,threads-{interval_us},{convoy(req_w, ans_r, 'thread'):.1f},us", flush=True)
        sys.setswitchinterval(0.005)
        print(f"convoy,process,{convoy(req_w, ans_r, 'process'):.1f},us", flush=True)
    finally:
        os.close(req_w)          # EOF: the server ends
        os.close(ans_r)
        srv.join(5)
        if srv.is_alive():
            srv.kill()
            srv.join()


if __name__ == "__main__":
    main()
