"""Threads after single-threaded work: the step and DBI recorders record the first part and step
aside at the first thread (one run records one thread); the program goes on natively. The output
does not depend on scheduling: each thread's result is kept in its slot and printed in order.
Usage: threads.py N [THREADS]"""
import sys
import threading

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
count = int(sys.argv[2]) if len(sys.argv) > 2 else 4


def work(seed, steps):
    x = seed
    for i in range(steps):
        x = (x * 6364136223846793005 + i) % (1 << 61)
    return x


print("single-threaded", work(1, n))
results = [None] * count
threads = [threading.Thread(target=lambda k=k: results.__setitem__(k, work(k + 2, n))) for k in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for k, r in enumerate(results):
    print("thread", k, r)
print("threads alive at the end", threading.active_count())
