#!/usr/bin/env python3
"""Distributions of whole commands' CPU time, interleaved: bench/rusage-ab.py [--csv FILE] ROUNDS NAME=COMMAND ...

Like bench/cpu-ab.py, but for telling a loss from noise: the order of the commands rotates each
round (round r starts with command r mod k, so no command always runs right after another), and
each run keeps its whole rusage from wait4 (user and sys time, minor faults, voluntary and
involuntary context switches) and the 1-minute load when it started. Prints per command the median,
quartiles and range of the CPU time (user+sys), the median user and sys time, faults and
involuntary switches, the ratio of the CPU medians (first/this, > 1: faster than the first), and the
paired ratios: per round first/this, their median and quartiles, and in how many rounds this
command was the faster. --csv writes every run (for plots). No hardware counters on this VM
(perf stat: <not supported>), so rusage is what there is."""
import csv
import os
import statistics
import sys

from rusage_runner import quartiles, run_rounds

args = sys.argv[1:]
csv_path = None
if args[:1] == ["--csv"]:
    csv_path, args = args[1], args[2:]
if len(args) < 2 or any("=" not in a for a in args[1:]):
    sys.exit(__doc__)
rounds = int(args[0])
names = [a.split("=", 1)[0] for a in args[1:]]
commands = [a.split("=", 1)[1] for a in args[1:]]
runs = run_rounds(commands, rounds, names)
rows = sorted((run for per in runs for run in per), key=lambda run: (run["round"], run["position"]))
if csv_path:
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

base = [run["cpu"] for run in runs[0]]
loads = [run["load"] for run in rows]
print(f"{rounds} rounds, order rotated; load {min(loads):.1f}-{max(loads):.1f} "
      f"(median {statistics.median(loads):.1f}); {os.cpu_count()} cores")
print(f"{'':14} {'cpu median':>10} {'q1-q3':>15} {'min-max':>15} {'user':>7} {'sys':>6} "
      f"{'minflt':>7} {'invcs':>5} {'ratio':>7} {'paired q1/med/q3':>20} {'wins':>6}")
for i, name in enumerate(names):
    cpu = [run["cpu"] * 1000 for run in runs[i]]
    q1, med, q3 = quartiles(cpu)
    user = statistics.median(run["user"] * 1000 for run in runs[i])
    sys_ = statistics.median(run["sys"] * 1000 for run in runs[i])
    flt = statistics.median(run["minflt"] for run in runs[i])
    inv = statistics.median(run["nivcsw"] for run in runs[i])
    paired = [b / run["cpu"] for b, run in zip(base, runs[i])]
    p1, pm, p3 = quartiles(paired)
    wins = sum(p > 1 for p in paired)
    bad = sum(run["status"] != 0 for run in runs[i])
    print(f"{name:14} {med:8.1f}ms {q1:7.1f}-{q3:<7.1f} {min(cpu):7.1f}-{max(cpu):<7.1f} {user:7.1f} "
          f"{sys_:6.1f} {flt:7.0f} {inv:5.0f} {statistics.median(base) * 1000 / med:6.3f}x "
          f"{p1:6.3f}/{pm:6.3f}/{p3:6.3f} {wins:3d}/{rounds}" + (f"  {bad} FAILED" if bad else ""))
