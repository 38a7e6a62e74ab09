"""Lesson 07, part 5: CPython's multiprocessing.Pipe, measured the C lesson's way.

Throughput: a sender process streams messages of each size through a one-way
Pipe with Connection.send_bytes after a 0-byte "ready", the main process
receives them with recv_bytes; messages per second from the first to the
last. Round trips: the main process sends a message on a duplex Pipe and
waits for the child to send it back, many times; the median and the 99th
percentile. Bytes only (send_bytes/recv_bytes), as the kit sends: no pickle.

The C lesson gives the sizes and the message counts, so both sides do the
same work. Prints `version X.Y.Z`, then lines
    pipe,BYTES,MSGS_PER_S_MEDIAN,MIN,MAX
    latency,BYTES,MEDIAN_US,P99_US
Run it alone to see the raw numbers:

    python3 lessons/07-pipe/cpython_pipe.py --quick
    python3 lessons/07-pipe/cpython_pipe.py --sizes 64:40000,4096:8192 --rounds 64:3000 --repeat 3
"""
import argparse
import ctypes
import multiprocessing as mp
import os
import platform
import signal
import statistics
import time


def die_with_parent():
    """A lesson stopped by Ctrl-C or a kill takes this script's main process
    with it; ask the kernel (Linux) to kill its children too, as the kit's
    own children are."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before we asked
        os._exit(1)


def sender(conn, size, count):
    die_with_parent()
    m = bytes(size)
    conn.send_bytes(b"")  # ready
    for _ in range(count):
        conn.send_bytes(m)
    conn.close()


def echo(conn, rounds):
    die_with_parent()
    for _ in range(rounds):
        conn.send_bytes(conn.recv_bytes())
    conn.close()


def stream_once(size, count):
    r, w = mp.Pipe(duplex=False)
    p = mp.Process(target=sender, args=(w, size, count))
    p.start()
    w.close()  # the child has its own copy: EOF would need ours closed too
    r.recv_bytes()
    t0 = time.perf_counter()
    for _ in range(count):
        r.recv_bytes()
    s = time.perf_counter() - t0
    r.close()
    p.join()
    return count / s


def ping_pong(size, rounds):
    a, b = mp.Pipe(duplex=True)
    p = mp.Process(target=echo, args=(b, rounds))
    p.start()
    b.close()
    m = bytes(size)
    us = []
    for _ in range(rounds):
        t = time.perf_counter_ns()
        a.send_bytes(m)
        a.recv_bytes()
        us.append((time.perf_counter_ns() - t) / 1e3)
    a.close()
    p.join()
    return us


def pairs(text):
    """'64:40000,4096:8192' -> [(64, 40000), (4096, 8192)]"""
    return [tuple(int(x) for x in item.split(":")) for item in text.split(",") if item]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="64:2000,4096:1000,65536:64", help="BYTES:MESSAGES,... for throughput")
    ap.add_argument("--rounds", default="64:300", help="BYTES:ROUND_TRIPS,... for latency")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--start", default="fork", choices=["fork", "spawn", "forkserver"])
    ap.add_argument("--quick", action="store_true", help="(the C lesson already scaled the counts down)")
    args = ap.parse_args()
    mp.set_start_method(args.start)
    print("version", platform.python_version(), flush=True)
    sizes, rounds = pairs(args.sizes), pairs(args.rounds)
    rates = {s: [] for s, _ in sizes}
    lat = {s: [] for s, _ in rounds}
    for _ in range(args.repeat):
        for size, count in sizes:
            rates[size].append(stream_once(size, count))
        for size, n in rounds:
            lat[size].extend(ping_pong(size, n))
    for size, _ in sizes:
        r = rates[size]
        print(f"pipe,{size},{statistics.median(r):.1f},{min(r):.1f},{max(r):.1f}", flush=True)
    for size, _ in rounds:
        us = sorted(lat[size])
        p99 = us[min(len(us) - 1, int(0.99 * len(us)))]
        print(f"latency,{size},{statistics.median(us):.2f},{p99:.2f}", flush=True)


if __name__ == "__main__":
    main()
