#!/usr/bin/env python3
"""One workload of bench/speedup.sh, or its summary, or the loader's start-up:

  bench/speedup-rounds.py ROUNDS TSV NAME COVERAGE PLAIN_COMMAND CACHED_COMMAND
  bench/speedup-rounds.py --summary TSV
  bench/speedup-rounds.py --header
  bench/speedup-rounds.py --startup ROUNDS PLAIN_COMMAND CACHED_COMMAND [WHICH]

Each round runs the plain program, the cached command and the plain program again (a null control),
in an order rotated each round (bench/rusage_runner.py). On this VM one command's CPU time comes in
two speeds, the slow runs in stretches of tens of seconds (docs/compiling.md, Ninth round): a
median of each command alone measures mostly how many of its runs were slow, while the three runs
of one round mostly share a speed. So the speed-up is the median of the per-round ratios
plain/cached (> 1: the cache is faster), with their interquartile range, next to the same for
plain/plain-again, which would be 1.000x on a quiet machine: its spread is the noise floor. Both in
CPU time (user+sys of the whole command and its children, from wait4) and in wall time (the whole
`tracedb run --cache ...` command as the user experiences it). Every run's stdout, stderr (less the
loader's own `tracedb: ` lines) and exit status must equal the first plain run's, or the workload is
WRONG. Appends one row to TSV and prints it."""
import math
import os
import statistics
import sys
import tempfile

from rusage_runner import paired, quartiles, run_rounds

LUA, PYTHON = "lua-", "py-"


def program_stderr(path):
    with open(path, "rb") as f:
        return b"".join(line for line in f if not line.startswith(b"tracedb: "))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def first_loader_line(runs):
    for run in runs:
        for line in read(run["err"]).splitlines():
            if line.startswith(b"tracedb: "):
                return line[len(b"tracedb: "):].decode(errors="replace")
    return ""


def fmt(q):
    return f"{q[1]:.3f}x ({q[0]:.3f}-{q[2]:.3f})"


def workload(rounds, tsv, name, coverage, plain, cached):
    with tempfile.TemporaryDirectory(prefix="tracedb-rounds.") as capture:
        plain_runs, cached_runs, again_runs = run_rounds(
            [plain, cached, plain], rounds, ["plain", "cached", "plain-again"], capture)
        expected = plain_runs[0]
        want = (read(expected["out"]), read(expected["err"]), expected["status"])
        wrong = any((read(r["out"]), program_stderr(r["err"]), r["status"]) != want
                    for r in plain_runs + cached_runs + again_runs)
        note = "WRONG OUTPUT" if wrong else ""
        loader = first_loader_line(cached_runs)
        if loader and not note:
            note = "loader: " + loader
    cpu = quartiles(paired(plain_runs, cached_runs))
    control = quartiles(paired(plain_runs, again_runs))
    wall = quartiles(paired(plain_runs, cached_runs, "wall"))
    wall_control = quartiles(paired(plain_runs, again_runs, "wall"))
    plain_ms = statistics.median(r["cpu"] for r in plain_runs) * 1000
    cached_ms = statistics.median(r["cpu"] for r in cached_runs) * 1000
    loads = [r["load"] for r in plain_runs + cached_runs + again_runs]
    row = [name, f"{plain_ms:.1f}", f"{cached_ms:.1f}", *(f"{x:.4f}" for x in cpu + control + wall + wall_control),
           coverage or "-", f"{min(loads):.1f}", f"{max(loads):.1f}", note]
    with open(tsv, "a") as f:
        f.write("\t".join(row) + "\n")
    print_row(row)
    return 1 if wrong else 0


HEADER = (f"{'WORKLOAD':14} {'PLAIN_CPU':>9} {'CACHED':>9} {'CPU SPEED-UP (IQR)':>24} {'CONTROL (IQR)':>24} "
          f"{'WALL SPEED-UP (IQR)':>24} {'WALL CONTROL':>13} {'COVERAGE':>8}  NOTE")


def print_row(row):
    name, plain_ms, cached_ms = row[:3]
    q = [float(x) for x in row[3:15]]
    coverage, note = row[15], row[18]
    print(f"{name:14} {float(plain_ms):7.1f}ms {float(cached_ms):7.1f}ms {fmt(q[0:3]):>24} {fmt(q[3:6]):>24} "
          f"{fmt(q[6:9]):>24} {q[10]:12.3f}x {coverage:>8}  {note}", flush=True)


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def summary(tsv):
    rows = [line.rstrip("\n").split("\t") for line in open(tsv)]
    loads = [float(x) for r in rows for x in r[16:18]]
    for label, prefix in (("Lua", LUA), ("Python", PYTHON)):
        chosen = [r for r in rows if r[0].startswith(prefix) and r[18] != "WRONG OUTPUT"]
        if not chosen:
            continue
        cpu, control, wall = ([float(r[i]) for r in chosen] for i in (4, 7, 10))
        print(f"geometric mean over the {len(chosen)} {label} workloads: {geomean(cpu):.3f}x CPU "
              f"(control {geomean(control):.3f}x), {geomean(wall):.3f}x wall")
    lua = [r for r in rows if r[0].startswith(LUA)]
    if lua:
        lua_mean = geomean([float(r[4]) for r in lua])
        below = [f"{r[0]} {float(r[4]):.3f}x" for r in rows if float(r[4]) < 0.99]
        met = lua_mean >= 1.25 and not below and len(lua) == 5
        print(f"goal (Lua geometric mean >= 1.25x CPU, no workload below 0.99x): "
              f"{'met' if met else 'not met'} (Lua {lua_mean:.3f}x"
              + (f"; below 0.99x: {', '.join(below)}" if below else "")
              + ("" if len(lua) == 5 else f"; only {len(lua)} of 5 Lua workloads ran") + ")")
    print(f"load {min(loads):.1f}-{max(loads):.1f} during the timed runs")


def startup(rounds, plain, cached, which=""):
    plain_runs, cached_runs = run_rounds([plain, cached], rounds)
    p_wall, c_wall = (statistics.median(r["wall"] for r in runs) * 1000 for runs in (plain_runs, cached_runs))
    p_cpu, c_cpu = (statistics.median(r["cpu"] for r in runs) * 1000 for runs in (plain_runs, cached_runs))
    through = f"tracedb run ({which})" if which else "tracedb run"
    print(f"loader start-up (medians of {rounds} rounds): {p_wall:.1f} ms wall plain, {c_wall:.1f} ms under "
          f"{through} (+{c_wall - p_wall:.1f} ms); CPU {p_cpu:.1f} ms, {c_cpu:.1f} ms (+{c_cpu - p_cpu:.1f} ms)")


args = sys.argv[1:]
if args == ["--header"]:
    print(HEADER)
elif args[:1] == ["--summary"] and len(args) == 2:
    summary(args[1])
elif args[:1] == ["--startup"] and len(args) in (4, 5):
    startup(int(args[1]), *args[2:])
elif len(args) == 6:
    sys.exit(workload(int(args[0]), *args[1:]))
else:
    sys.exit(__doc__)
