"""Forked workers and threads: a multiprocessing pool (fork start method; the parent runs the pool's
helper threads) and a plain os.fork. A recording steps aside at the pool's first thread (one run
records one thread), so this one is only run with a cache compiled from the other workloads.
Usage: workers.py N"""
import multiprocessing
import os
import sys

# The shared work lives next to this script (sys.path[0]). No __pycache__ for it: every run then
# makes the same system calls (recordings of two runs compare), and the source tree stays clean.
sys.dont_write_bytecode = True
from childwork import work  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    with multiprocessing.Pool(3) as pool:
        print("pool", pool.starmap(work, [(k, n) for k in range(1, 9)]))
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        print("child", work(11, n))
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)
    print("parent", work(12, n))
