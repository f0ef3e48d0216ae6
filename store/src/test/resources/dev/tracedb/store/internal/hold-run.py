# Allocates a run the way the native recorder does (docs/formats/inputs-journal.md) from a process
# that is not a JVM: fcntl lock on DIR/catalog.lock, id = 1 + the largest run directory, mkdir, fcntl
# lock on the run's writer.lock, an empty inputs.journal, catalog.lock released. Prints the run id,
# then holds writer.lock until stdin closes, as a recorder holds it until it exits.
import fcntl
import os
import re
import sys

db = sys.argv[1]
runs = os.path.join(db, "runs")
os.makedirs(runs, exist_ok=True)
catalog_lock = open(os.path.join(db, "catalog.lock"), "a")
fcntl.lockf(catalog_lock, fcntl.LOCK_EX)
taken = [int(n[1:]) for n in os.listdir(runs)
         if re.fullmatch(r"r\d{4,}", n) and os.path.isdir(os.path.join(runs, n))]
run = "r%04d" % (max(taken, default=0) + 1)
run_dir = os.path.join(runs, run)
os.mkdir(run_dir)
writer_lock = open(os.path.join(run_dir, "writer.lock"), "a")
fcntl.lockf(writer_lock, fcntl.LOCK_EX)
open(os.path.join(run_dir, "inputs.journal"), "w").close()
fcntl.lockf(catalog_lock, fcntl.LOCK_UN)
catalog_lock.close()
print(run, flush=True)
sys.stdin.read()
