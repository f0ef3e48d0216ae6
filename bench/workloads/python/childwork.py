"""The work children.py and workers.py give each process: a checksum loop of n steps seeded by k,
pure computation whose result shows that a child ran as a plain run's would. Not a workload itself."""


def work(k, n):
    s = 0
    for i in range(n):
        s = (s * 31 + i * k) % 1_000_003
    return s
