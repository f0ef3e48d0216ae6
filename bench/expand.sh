#!/usr/bin/env bash
# What expanding costs: per workload, interleaved round by round, the wall time of
#   dbi     tracedb record --engine dbi      (the direct recording of blocks)
#   inputs  tracedb record --engine inputs   (the program natively, its inputs only)
#   expand  tracedb expand RUN               (the inputs run re-executed under the DBI engine)
# and the medians with expand/dbi and (inputs + expand)/dbi. Each command's time includes its JVM's
# start. Every expanded run must verify clean; the script fails otherwise.
#
#   bench/expand.sh            5 rounds of lua and python
#   bench/expand.sh -n 1       one round, for a quick look (not a measurement)
#   bench/expand.sh -w lua     only the workloads whose name contains "lua"
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=5
only=""
while (($#)); do
  case "$1" in
    -n) rounds="$2"; shift 2 ;;
    -w) only="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "expand.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "expand.sh: -n needs a positive number" >&2; exit 2; }

work="$(mktemp -d -t tracedb-expand-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
"$root/tracedb" --help >/dev/null   # builds the jar first if a source changed, outside the timings
db="$work/db"

names=(lua python)
declare -A cmd=(
  [lua]="lua5.4 $root/bench/workloads/interp.lua"
  [python]="/usr/bin/python3 $root/bench/workloads/interp.py"
)

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

declare -A times
for ((round = 1; round <= rounds; round++)); do
  for w in "${names[@]}"; do
    [[ -z "$only" || "$w" == *"$only"* ]] || continue
    # shellcheck disable=SC2086
    t0=$(now); "$root/tracedb" --db "$db" record --quiet --engine dbi -- ${cmd[$w]} >/dev/null; t1=$(now)
    # shellcheck disable=SC2086
    "$root/tracedb" --db "$db" record --quiet --engine inputs -- ${cmd[$w]} >/dev/null; t2=$(now)
    inputs=$("$root/tracedb" --db "$db" runs | awk 'END { print $1 }')
    expanded=$("$root/tracedb" --db "$db" expand --quiet "$inputs"); t3=$(now)
    "$root/tracedb" --db "$db" verify "$expanded" | head -1 | grep -q ': clean: ' \
      || { echo "expand.sh: $w: expanded run $expanded does not verify clean" >&2; exit 1; }
    times[$w,dbi]+="$(echo "$t1 - $t0" | bc) "
    times[$w,inputs]+="$(echo "$t2 - $t1" | bc) "
    times[$w,expand]+="$(echo "$t3 - $t2" | bc) "
    rm -rf "$db"
  done
done

printf '%-8s %10s %10s %10s %12s %18s\n' workload dbi inputs expand expand/dbi '(inputs+expand)/dbi'
for w in "${names[@]}"; do
  [[ -z "$only" || "$w" == *"$only"* ]] || continue
  d=$(tr ' ' '\n' <<<"${times[$w,dbi]}" | grep . | median)
  i=$(tr ' ' '\n' <<<"${times[$w,inputs]}" | grep . | median)
  e=$(tr ' ' '\n' <<<"${times[$w,expand]}" | grep . | median)
  printf '%-8s %9.2fs %9.2fs %9.2fs %11.2fx %17.2fx\n' "$w" "$d" "$i" "$e" "$(echo "$e / $d" | bc -l)" \
    "$(echo "($i + $e) / $d" | bc -l)"
done
echo "(medians of $rounds interleaved rounds; wall time of each tracedb command, JVM start included)"
