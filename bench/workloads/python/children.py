"""Child processes without threads: os.fork workers that send results through pipes, subprocess
(CPython's vfork/exec path) with and without captured output, and os.system. The recorder follows
the parent; children run natively. Usage: children.py N"""
import os
import subprocess
import sys

# The shared work lives next to this script (sys.path[0]). No __pycache__ for it: every run then
# makes the same system calls (recordings of two runs compare), and the source tree stays clean.
sys.dont_write_bytecode = True
from childwork import work  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000


def forked(k):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, str(work(k, n)).encode())
        os._exit(k)
    os.close(w)
    with os.fdopen(r) as f:
        result = f.read()
    _, status = os.waitpid(pid, 0)
    return result, os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    print("forked", [forked(k) for k in range(1, 4)])
    sys.stdout.flush()
    done = subprocess.run(["/bin/echo", "echo via subprocess"])
    print("subprocess exit", done.returncode)
    captured = subprocess.run(["/bin/sh", "-c", "echo captured; exit 3"], capture_output=True, text=True)
    print("captured", repr(captured.stdout), captured.returncode)
    sys.stdout.flush()
    print("system", os.waitstatus_to_exitcode(os.system("echo via os.system; exit 2")))
    print("parent", work(12, n))
