"""Lesson 08, part 5: CPython's multiprocessing.Queue and Pipe, measured.

One producer process sends numbered items, each stamped with
time.monotonic_ns() (the same clock as the C lesson's mp_now_ns), to the
main process, which receives them and notes how long each took from put to
get. Queue.put/get and Connection.send/recv, the same objects (bytes of the
given size) both ways, so the comparison is the one T0 quotes ("pipes are
1.5-2x faster than queues"). Queue and Pipe take turns within each repeat.

Prints `version X.Y.Z`, then one line per measurement, the C lesson's
queue.csv columns:
    transport,producers,consumers,item_bytes,items_per_s,p50_us,p99_us
Run it alone to see the raw numbers:

    python3 lessons/08-queue/cpython_queue.py --quick
    python3 lessons/08-queue/cpython_queue.py --sizes 64,65536 --repeat 3 --start spawn
"""
import argparse
import ctypes
import multiprocessing as mp
import os
import platform
import signal
import statistics
import struct
import time

HEAD = struct.Struct("<IQ")  # the item's number and its put time (ns)
TIME_LIMIT = 0.2             # seconds of sending per run at most (--quick: 0.05): a slow machine sends fewer items


def stamp(i, pad):
    return HEAD.pack(i, time.monotonic_ns()) + pad


def die_with_parent():
    """If the lesson is stopped (Ctrl-C, kill), it kills this script's main
    process; a producer blocked on a full queue would then wait forever. Ask
    the kernel (Linux) to kill us when our parent dies, as the kit's own
    children do."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before we asked
        os._exit(1)


def queue_producer(q, n, size, limit):
    die_with_parent()
    pad = bytes(max(0, size - HEAD.size))
    deadline = time.monotonic() + limit
    for i in range(n):
        q.put(stamp(i, pad))
        if time.monotonic() > deadline:
            break
    q.put(None)  # the sentinel
    q.close()
    q.join_thread()  # everything flushed to the pipe before we exit


def pipe_producer(conn, n, size, limit):
    die_with_parent()
    pad = bytes(max(0, size - HEAD.size))
    deadline = time.monotonic() + limit
    for i in range(n):
        conn.send(stamp(i, pad))
        if time.monotonic() > deadline:
            break
    conn.send(None)
    conn.close()


def receive(get):
    """Get until the sentinel: (items per second, latencies in us)."""
    lat = []
    first = last = None
    while True:
        item = get()
        now = time.monotonic_ns()
        if item is None:
            break
        lat.append((now - HEAD.unpack_from(item)[1]) / 1e3)
        if first is None:
            first = now
        last = now
    rate = (len(lat) - 1) / ((last - first) / 1e9) if len(lat) > 1 and last > first else 0.0
    return rate, lat


def run_queue(ctx, n, size, limit):
    q = ctx.Queue(maxsize=max(16, (64 << 10) // size))  # 64 KiB of items (at least 16), as in C
    p = ctx.Process(target=queue_producer, args=(q, n, size, limit))
    p.start()
    result = receive(q.get)
    p.join()
    return result


def run_pipe(ctx, n, size, limit):
    r, w = ctx.Pipe(duplex=False)
    p = ctx.Process(target=pipe_producer, args=(w, n, size, limit))
    p.start()
    w.close()  # ours: the producer holds the sending end now
    result = receive(r.recv)
    p.join()
    r.close()
    return result


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="64,1024,4096,65536")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--start", default="fork", choices=["fork", "spawn", "forkserver"])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    ctx = mp.get_context(a.start)
    limit = 0.05 if a.quick else TIME_LIMIT
    print("version", platform.python_version(), flush=True)
    runs = {("cpython-queue", s): [] for s in map(int, a.sizes.split(","))}
    runs.update({("cpython-pipe", s): [] for s in map(int, a.sizes.split(","))})
    for _ in range(a.repeat):
        for size in map(int, a.sizes.split(",")):
            n = max(200, min(5000, (4 << 20) // size))  # 4 MiB, 200 to 5 000 items
            if a.quick:
                n //= 10
            runs[("cpython-queue", size)].append(run_queue(ctx, n, size, limit))
            runs[("cpython-pipe", size)].append(run_pipe(ctx, n, size, limit))
    for (name, size), rs in runs.items():
        rate = statistics.median(r for r, _ in rs)
        p50 = statistics.median(quantile(lat, 0.5) for _, lat in rs)
        p99 = statistics.median(quantile(lat, 0.99) for _, lat in rs)
        mins, maxs = min(r for r, _ in rs), max(r for r, _ in rs)
        print(f"{name},1,1,{size},{rate:.0f},{p50:.2f},{p99:.2f},{mins:.0f},{maxs:.0f}", flush=True)


if __name__ == "__main__":
    main()
