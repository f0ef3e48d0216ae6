#!/usr/bin/env bash
# The start-up cost of `tracedb run --cache`, as the user pays it: the whole command (the tracedb
# launcher, the native runner, the preload shim applying the cache) against the plain program.
# Programs: the C test program loader-target (1 iteration), lua5.4 -e '', python3 -c pass.
# Caches: empty, and 1 / 100 / 1000 hand-built traces on libc functions (bench/LoaderStartupCaches.java;
# libc is loaded by every program, so each cache applies to all three). Runs are interleaved; each
# figure is the median of ROUNDS runs (default 21). Outputs are compared with the plain run's.
# On a loaded machine wall times wander; the cpu_ms column (user+sys of the whole command and its
# children, mean over the rounds, from bash's `times`) is steadier.
#   bench/loader-startup.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-21}"
root="$PWD"

mvn -q -B -pl cli,testprograms -am package -DskipTests >/dev/null
caches="$(mktemp -d -t tracedb-loader-bench.XXXXXX)"
trap 'rm -rf "$caches"' EXIT
java -cp cli/target/tracedb.jar bench/LoaderStartupCaches.java "$caches" 1 100 1000 2>/dev/null

declare -A programs=(
  [loader-target]="$root/testprograms/target/bin/loader-target 1"
  [lua5.4]="/usr/bin/lua5.4 -e ''"
  [python3]="/usr/bin/python3 -c pass"
)
variants=(plain empty libc-1 libc-100 libc-1000)

command_for() { # program variant
  local p="${programs[$1]}"
  if [[ "$2" == plain ]]; then echo "$p"; else echo "./tracedb run --cache $caches/$2.tcache -- $p"; fi
}

# children's user+sys seconds so far, into $cpu_now (bash's `times`, second line; no subshell, or
# it would report the subshell's own children)
times_file="$caches/times"
children_cpu() {
  local self children
  times >"$times_file"
  { read -r self; read -r children; } <"$times_file"
  cpu_now="$(awk -v l="$children" 'BEGIN { n = split(l, f, " "); s = 0; for (i = 1; i <= n; i++) { split(f[i], p, "m"); s += p[1] * 60 + p[2] } print s }')"
}

# one timed run in ms; its stdout+status must equal the plain run's
declare -A expected
time_one() {
  local cmd="$1" want="$2" t0 t1 got
  t0=$EPOCHREALTIME
  got="$(eval "$cmd" 2>/dev/null; echo "status $?")"
  t1=$EPOCHREALTIME
  if [[ -n "$want" && "$got" != "$want" ]]; then
    echo "OUTPUT DIFFERS: $cmd" >&2
    exit 1
  fi
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

declare -A samples cpu
for program in "${!programs[@]}"; do
  expected[$program]="$(eval "${programs[$program]}" 2>/dev/null; echo "status $?")"
  for variant in "${variants[@]}"; do time_one "$(command_for "$program" "$variant")" "" >/dev/null; done # warm up
done
for ((round = 0; round < rounds; round++)); do
  for program in "${!programs[@]}"; do
    for variant in "${variants[@]}"; do
      children_cpu; c0="$cpu_now"
      sample="$(time_one "$(command_for "$program" "$variant")" "${expected[$program]}")"
      children_cpu
      samples[$program,$variant]+="$sample "
      cpu[$program,$variant]="$(awk -v a="${cpu[$program,$variant]:-0}" -v b="$c0" -v c="$cpu_now" 'BEGIN { print a + c - b }')"
    done
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-14s %-10s %10s %10s %8s %8s\n' program cache median_ms over_ms ratio cpu_ms
for program in loader-target lua5.4 python3; do
  base="$(median <<<"${samples[$program,plain]}")"
  for variant in "${variants[@]}"; do
    m="$(median <<<"${samples[$program,$variant]}")"
    awk -v p="$program" -v v="$variant" -v m="$m" -v b="$base" -v c="${cpu[$program,$variant]}" -v r="$rounds" \
      'BEGIN { printf "%-14s %-10s %10.2f %+10.2f %8.3f %8.2f\n", p, v, m, m - b, m / b, c * 1000 / r }'
  done
done
echo "(median of $rounds interleaved runs each, whole command; over_ms = the cost of tracedb run over the plain program)"
