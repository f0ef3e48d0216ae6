#!/usr/bin/env bash
# The inputs engine's two front ends side by side: each workload natively, under the native
# recorder (`tracedb record --engine inputs`, C, no JVM) and under the Java one (the same command
# with TRACEDB_JAVA_RECORD=1), interleaved round by round, wall-clock medians and ratios to
# native; plus each front end's start-up (`record --engine inputs -- /bin/true`). Faster than
# bench/record.sh (no dbi or valgrind column), so it can run more rounds on a noisy machine.
#
#   bench/inputs-ab.sh [-n ROUNDS] [-w lua|python]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=9
only=""
while (($#)); do
  case "$1" in
    -n) rounds="$2"; shift 2 ;;
    -w) only="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "inputs-ab.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
declare -A workloads=(
  [lua]="lua5.4 $root/bench/workloads/interp.lua"
  [python]="/usr/bin/python3 $root/bench/workloads/interp.py"
)
work="$(mktemp -d -t tracedb-inputs-ab.XXXXXX)"
trap 'rm -rf "$work"' EXIT

seconds() { # runs "$@" with stdout to $work/out, prints its wall time
  local start end
  start=$(date +%s.%N)
  "$@" > "$work/out" 2> "$work/err" || { echo "inputs-ab.sh: failed: $* ($(cat "$work/err"))" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A t
for ((r = 1; r <= rounds; r++)); do
  t[start_c]+="$(seconds "$root/tracedb" --db "$work/db" record --quiet --engine inputs -- /bin/true) "
  t[start_j]+="$(TRACEDB_JAVA_RECORD=1 seconds "$root/tracedb" --db "$work/db" record --quiet --engine inputs -- /bin/true) "
  for w in lua python; do
    [[ -n "$only" && "$w" != *"$only"* ]] && continue
    read -r -a argv <<< "${workloads[$w]}"
    t[${w}_n]+="$(seconds "${argv[@]}") "
    cp "$work/out" "$work/native.out"
    t[${w}_c]+="$(seconds "$root/tracedb" --db "$work/db" record --quiet --engine inputs -- "${argv[@]}") "
    cmp -s "$work/out" "$work/native.out" || { echo "inputs-ab.sh: $w: native recorder's output differs" >&2; exit 1; }
    grep -q "inputs recording ends" "$work/err" && { echo "inputs-ab.sh: $w: $(cat "$work/err")" >&2; exit 1; }
    t[${w}_j]+="$(TRACEDB_JAVA_RECORD=1 seconds "$root/tracedb" --db "$work/db" record --quiet --engine inputs -- "${argv[@]}") "
    cmp -s "$work/out" "$work/native.out" || { echo "inputs-ab.sh: $w: Java recorder's output differs" >&2; exit 1; }
  done
  echo "round $r/$rounds done" >&2
done
echo "inputs-ab.sh: $rounds rounds, medians; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'start-up (/bin/true): native recorder %.3f s, Java recorder %.3f s\n' \
  "$(median <<< "${t[start_c]}")" "$(median <<< "${t[start_j]}")"
printf '%-8s %8s %10s %7s %7s %10s %7s %7s\n' workload native 'C record' ratio net 'Java rec' ratio net
for w in lua python; do
  [[ -n "$only" && "$w" != *"$only"* ]] && continue
  n=$(median <<< "${t[${w}_n]}"); c=$(median <<< "${t[${w}_c]}"); j=$(median <<< "${t[${w}_j]}")
  sc=$(median <<< "${t[start_c]}"); sj=$(median <<< "${t[start_j]}")
  awk -v w="$w" -v n="$n" -v c="$c" -v j="$j" -v sc="$sc" -v sj="$sj" 'BEGIN {
    printf "%-8s %7.2fs %9.2fs %6.2fx %6.2fx %9.2fs %6.2fx %6.2fx\n", w, n, c, c / n, (c - sc) / n, j, j / n, (j - sj) / n }'
done
