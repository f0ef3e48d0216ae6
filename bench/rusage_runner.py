"""The runner behind bench/rusage-ab.py and bench/speedup-rounds.py: runs commands interleaved, the
order rotated each round (round r starts with command r mod k, so no command always runs right after
another), and keeps each run's whole rusage from wait4 and its wall time.

On this shared VM one command's CPU time comes in two speeds, the slow runs in stretches of tens of
seconds (docs/compiling.md, Ninth round): comparing commands run in the same round (paired ratios)
and timing a command against itself (a null control) is what tells a difference from that noise."""
import os
import statistics
import subprocess
import time


def run_rounds(commands, rounds, names=None, capture_dir=None):
    """Runs each shell command once per round, rotated; returns per command a list of runs (dicts).

    With capture_dir, each run's stdout and stderr go to files there (run["out"], run["err"]) so
    that the caller can check the output; otherwise to /dev/null."""
    names = names or [str(i) for i in range(len(commands))]
    k = len(commands)
    runs = [[] for _ in commands]
    for r in range(rounds):
        for j in range(k):
            i = (r + j) % k
            run = run_once(commands[i], capture_dir and os.path.join(capture_dir, f"{i}.{r}"))
            run.update(round=r, position=j, name=names[i])
            runs[i].append(run)
    return runs


def run_once(command, capture_prefix=None):
    load = os.getloadavg()[0]
    if capture_prefix:
        out, err = open(capture_prefix + ".out", "wb"), open(capture_prefix + ".err", "wb")
    else:
        out = err = subprocess.DEVNULL
    started = time.perf_counter()
    child = subprocess.Popen(command, shell=True, stdout=out, stderr=err)
    _, status, u = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    run = dict(cpu=u.ru_utime + u.ru_stime, user=u.ru_utime, sys=u.ru_stime, wall=wall,
               minflt=u.ru_minflt, nvcsw=u.ru_nvcsw, nivcsw=u.ru_nivcsw, load=load,
               status=os.waitstatus_to_exitcode(status))
    if capture_prefix:
        out.close(), err.close()
        run.update(out=capture_prefix + ".out", err=capture_prefix + ".err")
    return run


def quartiles(xs):
    """(q1, median, q3); with fewer than 4 values (min, median, max)."""
    if len(xs) < 4:
        return min(xs), statistics.median(xs), max(xs)
    q = statistics.quantiles(xs, n=4)
    return q[0], q[1], q[2]


def paired(base, other, key="cpu"):
    """Per round base/other (> 1: other was faster in that round)."""
    return [b[key] / o[key] for b, o in zip(base, other)]
