"""A hot loop interrupted by a 1 ms interval timer whose Python handler only counts, so the checksum
does not depend on where the signals land. Usage: timer.py N [TIMER]; TIMER 0 (the default) sets no
timer."""
import signal
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
timer = len(sys.argv) > 2 and sys.argv[2] != "0"
ticks = 0


def on_alarm(signum, frame):
    global ticks
    ticks += 1


if timer:
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
acc = 0
words = {}
for i in range(n):
    acc = (acc * 31 + i) % 1_000_003
    key = "k%d" % (i % 101)
    words[key] = words.get(key, 0) + (acc & 7)
if timer:
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    print("timer signals:", ticks, file=sys.stderr)  # varies from run to run: not part of the result
print("timer", n, acc, sum(words.values()), len(words))
