#!/usr/bin/env python3
"""Splits the runs of a bench/rusage-ab.py --csv file at a CPU time: bench/rusage-modes.py CSV SPLIT_MS

On the shared VM the CPU time of one and the same command is bimodal (lua-strings ~1.53-1.80 s
or ~2.05-2.35 s, lua-closures ~1.0-1.1 s or ~1.3-1.5 s, lua-numeric 0.78 s or 1.3-1.5 s), the slow
runs coming in stretches of tens of seconds whatever runs (docs/compiling.md, Ninth round). A median over a handful of runs
then measures mostly how many runs landed in the slow mode. This prints per command how many runs
fell below and above SPLIT_MS and the median CPU time within each mode, which compares like with
like."""
import csv
import statistics
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
rows = list(csv.DictReader(open(sys.argv[1])))
split = float(sys.argv[2]) / 1000
names = list(dict.fromkeys(r["name"] for r in rows))


def median_ms(xs):
    return f"{statistics.median(xs) * 1000:7.1f}ms" if xs else "      -  "


fast_base = None
print(f"{'':14} {'fast runs':>9} {'fast median':>11} {'ratio':>7} {'slow runs':>9} {'slow median':>11}")
for name in names:
    cpu = [float(r["cpu"]) for r in rows if r["name"] == name]
    fast = [c for c in cpu if c < split]
    slow = [c for c in cpu if c >= split]
    if fast_base is None and fast:
        fast_base = statistics.median(fast)
    ratio = f"{fast_base / statistics.median(fast):6.3f}x" if fast and fast_base else "     - "
    print(f"{name:14} {len(fast):9d} {median_ms(fast):>11} {ratio:>7} {len(slow):9d} {median_ms(slow):>11}")
