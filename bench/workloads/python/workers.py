"""Forked workers and threads: a multiprocessing pool (fork start method; the parent runs the pool's
helper threads) and a plain os.fork. The recorder refuses fork and threads, so this one is only run
with a cache compiled from the other workloads. Usage: workers.py N"""
import multiprocessing
import os
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000


def work(k):
    s = 0
    for i in range(n):
        s = (s * 31 + i * k) % 1_000_003
    return s


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    with multiprocessing.Pool(3) as pool:
        print("pool", pool.map(work, range(1, 9)))
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        print("child", work(11))
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)
    print("parent", work(12))
