#!/usr/bin/env bash
# Value guards A/B (issue 4): per Lua workload, record its inputs natively on a small input, compile
# two caches from that one run, without (--no-values) and with value guards (the compile expands the
# run again with probes at the traces' instruction-word loads), then time, interleaved, the plain
# program, the cache without values and the cache with values on a larger input (bench/cpu-ab.py:
# medians of CPU and wall time). Outputs of both caches must equal the plain run's (else WRONG and
# exit 1). Prints the per-workload lines, then the geometric means of the CPU ratios.
#
#   bench/values-ab.sh [--rounds N] [--only NAME] [--keep DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lua="$root/bench/workloads/lua"
rounds=7 only="" keep=""
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "values-ab.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
work="${keep:-$(mktemp -d -t tracedb-values.XXXXXX)}"
mkdir -p "$work"
[[ -n "$keep" ]] || trap 'rm -rf "$work"' EXIT
db="$work/db"; rm -rf "$db"
tracedb=("$root/tracedb" --db "$db")
"$root/tracedb" --version >/dev/null   # build once, outside the timings

# name | recorded arguments (small input) | measured arguments (larger input), as bench/speedup.sh
table=(
  "lua-numeric|$lua/numeric.lua 120|$lua/numeric.lua 1200"
  "lua-recursion|$lua/recursion.lua 20|$lua/recursion.lua 34"
  "lua-tables|$lua/tables.lua 20000|$lua/tables.lua 1000000"
  "lua-strings|$lua/strings.lua 10000|$lua/strings.lua 600000"
  "lua-closures|$lua/closures.lua 30000|$lua/closures.lua 3000000"
)
status=0 sum_plain=0 sum_values=0 n=0
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for row in "${table[@]}"; do
  IFS='|' read -r name recorded measured <<<"$row"
  [[ -z "$only" || "$only" == "$name" ]] || continue
  "${tracedb[@]}" record --engine inputs --quiet --name "$name" -- lua5.4 $recorded >/dev/null
  "${tracedb[@]}" compile --quiet --no-values "$name" -o "$work/$name-plain.tcache" >"$work/$name-plain.out"
  "${tracedb[@]}" compile --quiet "$name" -o "$work/$name-values.tcache" >"$work/$name-values.out" 2>"$work/$name-values.err"
  guards=$(grep -oE '[0-9,]+ applied in [0-9,]+ traces?' "$work/$name-values.out" || echo "0 applied")
  expected="$(lua5.4 $measured 2>&1)"
  for v in plain values; do
    got="$("$root/tracedb" run --cache "$work/$name-$v.tcache" -- lua5.4 $measured 2>&1 | grep -v '^tracedb: ' || true)"
    [[ "$got" == "$expected" ]] || { echo "$name: WRONG OUTPUT with the $v cache"; status=1; }
  done
  python3 "$root/bench/cpu-ab.py" "$rounds" "lua5.4 $measured" \
    "$root/tracedb run --cache $work/$name-plain.tcache -- lua5.4 $measured" \
    "$root/tracedb run --cache $work/$name-values.tcache -- lua5.4 $measured" >"$work/$name.ab"
  r_plain=$(awk 'NR == 2 {print $7}' "$work/$name.ab" | tr -d x)
  r_values=$(awk 'NR == 3 {print $7}' "$work/$name.ab" | tr -d x)
  printf '%-14s no values %6sx  values %6sx  (%s; %s)\n' "$name" "$r_plain" "$r_values" "$guards" \
    "$(awk 'NR == 1 {print "plain cpu " $2 " ms"}' "$work/$name.ab")"
  sum_plain=$(awk -v s="$sum_plain" -v r="$r_plain" 'BEGIN {print s + log(r)}')
  sum_values=$(awk -v s="$sum_values" -v r="$r_values" 'BEGIN {print s + log(r)}')
  n=$((n + 1))
done
((n)) && awk -v a="$sum_plain" -v b="$sum_values" -v n="$n" \
  'BEGIN {printf "geometric mean CPU speed-up over %d Lua workloads: %.3fx without values, %.3fx with values\n", n, exp(a / n), exp(b / n)}'
echo "medians of $rounds interleaved rounds (bench/cpu-ab.py); $(nproc) cores, load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
