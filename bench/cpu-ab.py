#!/usr/bin/env python3
"""CPU-time A/B of whole commands: bench/cpu-ab.py ROUNDS 'COMMAND A' 'COMMAND B' ...

Runs the commands interleaved (A, B, ..., A, B, ...) ROUNDS times through sh, output discarded, and
prints per command the median CPU time (user+sys of the command and all its children, from wait4)
and the median wall time, with the ratio first/this of the CPU medians (> 1: faster than the first).
On a shared, loaded machine CPU time is much steadier than wall time (README, Measured)."""
import os
import statistics
import subprocess
import sys
import time

if len(sys.argv) < 3:
    sys.exit(__doc__)
rounds, commands = int(sys.argv[1]), sys.argv[2:]
cpu = [[] for _ in commands]
wall = [[] for _ in commands]
for _ in range(rounds):
    for i, command in enumerate(commands):
        started = time.perf_counter()
        child = subprocess.Popen(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(child.pid, 0)
        wall[i].append(time.perf_counter() - started)
        cpu[i].append(usage.ru_utime + usage.ru_stime)
first = statistics.median(cpu[0])
for i, command in enumerate(commands):
    c, w = statistics.median(cpu[i]), statistics.median(wall[i])
    print(f"cpu {c * 1000:9.2f} ms  wall {w * 1000:9.2f} ms  {first / c:6.3f}x  {command}")
