#!/usr/bin/env bash
# Instruction counts (valgrind's callgrind) of a program run plainly and with trace caches applied,
# the repeatable witness next to the noisy CPU A/Bs (docs/compiling.md, Fourteenth round (b)):
#
#   bench/callgrind-cache.sh OUTDIR -|CACHE... -- PROGRAM ARGS...
#
# One callgrind run per argument before `--` (`-`: the plain program), each printing its
# "Collected" count; the profiles stay in OUTDIR (callgrind_annotate reads them). The caches' code
# runs under valgrind's translation as it runs natively (--smc-check=all: the head patches are
# written before the code runs, but to file-backed pages valgrind would not re-check otherwise).
#
# Why not `valgrind tracedb run --cache …`: valgrind runs an exec'd program through its launcher
# (/usr/bin/valgrind.bin, a dynamic program), so the shim in LD_PRELOAD runs in the launcher,
# takes itself out of the environment there (as it must for the program's children) and never
# reaches the program ("no such module was loaded", as the ninth round saw). This script builds a
# measurement copy of the shim that leaves the environment alone when TRACEDB_VG_KEEP is set,
# and runs `env LD_PRELOAD=copy TRACEDB_CACHE=… PROGRAM` under --trace-children=yes: the launcher
# passes the shim on and the program applies the cache as tracedb-run's would (what the runner
# itself does is not counted). Set PYTHONHASHSEED=0 for python3: its counts then repeat exactly.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(($# >= 3)) || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
out="$1"; shift
runs=()
while (($#)) && [[ "$1" != "--" ]]; do runs+=("$1"); shift; done
[[ "${1:-}" == "--" ]] || { echo "callgrind-cache.sh: no -- before the program" >&2; exit 2; }
shift
mkdir -p "$out"
shim="$out/shim-vg.so"
src="$(mktemp -d -t tracedb-vgshim.XXXXXX)"
trap 'rm -rf "$src"' EXIT
cp "$root"/loader/src/main/c/*.c "$root"/loader/src/main/c/*.h "$src/"
python3 - "$src/preload.c" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
head = 'static void restore_environment(void) {\n'
assert head in s, "preload.c: restore_environment not found"
s = s.replace(head, head + '    if (getenv("TRACEDB_VG_KEEP") != NULL) return; /* measurement copy: valgrind\'s launcher passes it on */\n', 1)
open(p, "w").write(s)
EOF
gcc -O2 -g -fno-strict-aliasing -shared -fPIC -fvisibility=hidden -Wl,-z,now -o "$shim" \
    "$src/preload.c" "$src/cachefile.c" "$src/crc32c.c"
n=0
for cache in "${runs[@]}"; do
  n=$((n + 1))
  log="$out/run$n.log"
  if [[ "$cache" == "-" ]]; then
    valgrind --tool=callgrind --callgrind-out-file="$out/run$n.%p" --smc-check=all "$@" >"$out/run$n.out" 2>"$log"
  else
    valgrind --tool=callgrind --callgrind-out-file="$out/run$n.%p" --smc-check=all --trace-children=yes \
        env LD_PRELOAD="$shim" TRACEDB_VG_KEEP=1 TRACEDB_CACHE="$(readlink -f "$cache")" TRACEDB_VERBOSE=1 "$@" \
        >"$out/run$n.out" 2>"$log"
  fi
  # (the log also holds the shim's lines from valgrind's launcher, which the cache does not fit)
  printf '%-50s %15s instructions\n' "$cache" "$(grep -o 'Collected : [0-9]*' "$log" | tail -1 | cut -d' ' -f3)"
done
