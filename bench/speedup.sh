#!/usr/bin/env bash
# The payoff benchmark (issue 4): for each workload, record a small input, compile the hot traces,
# then time the plain program against the whole `tracedb run --cache …` command on a larger input
# (a different input from the recorded one), interleaved, and print the median of each, the
# speed-up ratio, and the geometric mean.
# Outputs must be identical; a workload whose outputs differ is reported as WRONG and fails the script.
#
#   bench/speedup.sh [--runs N] [--only NAME] [--keep DIR] [--engine inputs|dbi] [--no-values]
#
# The small input is recorded with --engine inputs (default) so that compile can expand it again
# with value probes and guard the traces' instruction words (value guards, on by default); with
# --engine dbi, or --no-values, the caches have no value guards (as before the eighth round).
#
# Ratios > 1 mean the cached run is faster. The machine is shared and noisy: read medians and ratios.
# CPU_SPEEDUP is the same ratio in CPU time (user+sys of the whole command and its children, from
# bash's `times`), which a loaded machine disturbs much less than wall time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workloads="$root/bench/workloads"
runs=5 only="" keep="" engine=inputs values=""
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --engine) engine="$2"; shift 2 ;;
    --no-values) values="--no-values"; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "speedup.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

work="${keep:-$(mktemp -d -t tracedb-speedup.XXXXXX)}"
mkdir -p "$work"
[[ -n "$keep" ]] || trap 'rm -rf "$work"' EXIT
db="$work/db"
rm -rf "$db"   # a kept directory from an earlier run: its recordings would make the run names ambiguous
tracedb=("$root/tracedb" --db "$db")
"$root/tracedb" --version >/dev/null   # build once, outside the timings

# name | recorded command (small input) | measured command (larger input)
table=(
  "lua-numeric|lua5.4 $workloads/lua/numeric.lua 120|lua5.4 $workloads/lua/numeric.lua 1200"
  "lua-recursion|lua5.4 $workloads/lua/recursion.lua 20|lua5.4 $workloads/lua/recursion.lua 34"
  "lua-tables|lua5.4 $workloads/lua/tables.lua 20000|lua5.4 $workloads/lua/tables.lua 1000000"
  "lua-strings|lua5.4 $workloads/lua/strings.lua 10000|lua5.4 $workloads/lua/strings.lua 600000"
  "lua-closures|lua5.4 $workloads/lua/closures.lua 30000|lua5.4 $workloads/lua/closures.lua 3000000"
  "py-loops|/usr/bin/python3 $workloads/python/loops.py 20000|/usr/bin/python3 $workloads/python/loops.py 4000000"
  "py-objects|/usr/bin/python3 $workloads/python/objects.py 5000|/usr/bin/python3 $workloads/python/objects.py 1500000"
  "py-recursion|/usr/bin/python3 $workloads/python/recursion.py 15|/usr/bin/python3 $workloads/python/recursion.py 30"
)

now_ns() { date +%s%N; }
# CPU time: `times >FILE` (a builtin: no fork, so its second line is the user and sys time of every
# child this shell has waited for) right around each timed command, read afterwards by cpu_us so
# that nothing else runs between the two snapshots.
cpu_us() {
  awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
                 printf "%d\n", t * 1e6 }' "$1"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Start-up cost of applying a cache: a Lua cache applied to lua5.4 running an empty chunk.
startup() {
  local cache="$1" plain=() cached=()
  for ((i = 0; i < runs; i++)); do
    local t0; t0=$(now_ns); lua5.4 -e '' ; plain+=($(( $(now_ns) - t0 )))
    t0=$(now_ns); "$root/tracedb" run --cache "$cache" -- lua5.4 -e '' >/dev/null 2>&1 || true
    cached+=($(( $(now_ns) - t0 )))
  done
  printf '%s\n' "${plain[@]}" | median; printf '%s\n' "${cached[@]}" | median
}

printf '%-14s %10s %10s %8s %11s %9s  %s\n' WORKLOAD PLAIN_MS CACHED_MS SPEEDUP CPU_SPEEDUP COVERAGE NOTE
status=0 logsum=0 counted=0 lualogsum=0 luacounted=0 cpulualogsum=0 cpulogsum=0 first_cache=""
for row in "${table[@]}"; do
  IFS='|' read -r name recorded measured <<<"$row"
  [[ -z "$only" || "$only" == "$name" ]] || continue
  cache="$work/$name.tcache"
  if ! "${tracedb[@]}" record --engine "$engine" --quiet --name "$name" -- $recorded >/dev/null 2>"$work/$name.record.err"; then
    printf '%-14s %10s %10s %8s %11s %9s  %s\n' "$name" - - - - - "record failed: $(tail -1 "$work/$name.record.err")"
    status=1; continue
  fi
  if ! "${tracedb[@]}" compile $values "$name" -o "$cache" >"$work/$name.compile.out" 2>&1; then
    printf '%-14s %10s %10s %8s %11s %9s  %s\n' "$name" - - - - - "compile failed: $(tail -1 "$work/$name.compile.out")"
    status=1; continue
  fi
  [[ "$name" != lua-* ]] || first_cache="${first_cache:-$cache}"
  # compile prints "forecast: 89.7% of 9,623,217 instructions inside traces"
  coverage=$(grep -oE 'forecast: [0-9.]+%' "$work/$name.compile.out" | head -1 | cut -d' ' -f2 || true)
  # The program's stdout, stderr and exit status must be the plain run's; the loader's own
  # "tracedb: …" lines on stderr are not the program's output (the first one is shown as a note).
  expected="$($measured 2>"$work/expected.err")" && expected_rc=0 || expected_rc=$?
  plain=() cached=() plain_cpu=() cached_cpu=() note=""
  for ((i = 0; i < runs; i++)); do
    t0=$(now_ns); times >"$work/cpu0"
    out="$($measured 2>"$work/plain.err")" && rc=0 || rc=$?
    times >"$work/cpu1"; plain+=($(( $(now_ns) - t0 )))
    t0=$(now_ns); times >"$work/cpu2"
    out2="$("$root/tracedb" run --cache "$cache" -- $measured 2>"$work/cached.err")" && rc2=0 || rc2=$?
    times >"$work/cpu3"; cached+=($(( $(now_ns) - t0 )))
    plain_cpu+=($(( $(cpu_us "$work/cpu1") - $(cpu_us "$work/cpu0") )))
    cached_cpu+=($(( $(cpu_us "$work/cpu3") - $(cpu_us "$work/cpu2") )))
    grep -v '^tracedb: ' "$work/cached.err" >"$work/cached.program.err" || true
    if [[ "$out" != "$expected" || "$out2" != "$expected" || $rc != "$expected_rc" || $rc2 != "$expected_rc" ]] \
        || ! cmp -s "$work/plain.err" "$work/expected.err" || ! cmp -s "$work/cached.program.err" "$work/expected.err"; then
      note="WRONG OUTPUT"; status=1
    fi
    loader_note=$(grep -m1 '^tracedb: ' "$work/cached.err" || true)
    [[ -z "$loader_note" || -n "$note" ]] || note="loader: ${loader_note#tracedb: }"
  done
  p=$(printf '%s\n' "${plain[@]}" | median); c=$(printf '%s\n' "${cached[@]}" | median)
  ratio=$(awk -v p="$p" -v c="$c" 'BEGIN {printf "%.3f", p / c}')
  pc=$(printf '%s\n' "${plain_cpu[@]}" | median); cc=$(printf '%s\n' "${cached_cpu[@]}" | median)
  cpu_ratio=$(awk -v p="$pc" -v c="$cc" 'BEGIN {printf "%.3f", (c > 0 ? p / c : 0)}')
  logsum=$(awk -v s="$logsum" -v r="$ratio" 'BEGIN {print s + log(r)}'); counted=$((counted + 1))
  cpulogsum=$(awk -v s="$cpulogsum" -v r="$cpu_ratio" 'BEGIN {print s + log(r)}')
  if [[ "$name" == lua-* ]]; then
    lualogsum=$(awk -v s="$lualogsum" -v r="$ratio" 'BEGIN {print s + log(r)}'); luacounted=$((luacounted + 1))
    cpulualogsum=$(awk -v s="$cpulualogsum" -v r="$cpu_ratio" 'BEGIN {print s + log(r)}')
  fi
  printf '%-14s %10.1f %10.1f %7sx %10sx %9s  %s\n' "$name" "$(awk -v n="$p" 'BEGIN{print n/1e6}')" \
    "$(awk -v n="$c" 'BEGIN{print n/1e6}')" "$ratio" "$cpu_ratio" "${coverage:--}" "$note"
done
if ((luacounted)); then
  awk -v s="$lualogsum" -v c="$cpulualogsum" -v n="$luacounted" \
    'BEGIN {printf "geometric mean speed-up over the %d Lua workloads: %.3fx (CPU time: %.3fx)\n", n, exp(s / n), exp(c / n)}'
fi
if ((counted)); then
  awk -v s="$logsum" -v c="$cpulogsum" -v n="$counted" \
    'BEGIN {printf "geometric mean speed-up over %d workloads: %.3fx (CPU time: %.3fx)\n", n, exp(s / n), exp(c / n)}'
fi
if [[ -n "$first_cache" ]]; then
  read -r -d '' p c < <(startup "$first_cache"; printf '\0') || true
  awk -v p="$p" -v c="$c" 'BEGIN {printf "loader start-up: lua5.4 -e \"\" %.1f ms plain, %.1f ms under tracedb run (+%.1f ms)\n", p/1e6, c/1e6, (c-p)/1e6}'
fi
echo "medians of $runs interleaved runs; recorded with --engine $engine${values:+, $values}; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
exit $status
