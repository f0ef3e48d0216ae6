#!/usr/bin/env bash
# The payoff benchmark (issue 4): for each workload, record a small input, compile the hot traces,
# then time the plain program against the whole `tracedb run --cache …` command on a larger input
# (a different input from the recorded one), and print per workload the speed-up, then the
# geometric means over the Lua and over the Python workloads and the loader's start-up cost.
# Outputs must be identical; a workload whose outputs differ is reported as WRONG and fails the script.
#
#   bench/speedup.sh [--rounds N] [--only NAME] [--keep DIR] [--engine inputs|dbi] [--no-values] [--max-values N]
#                    [--no-callee-entries] [--no-forwarding] [--command clone|installed]
#
# --command: which `tracedb run` is timed: `installed`, the native front door scripts/setup puts on
# PATH (`tracedb`, a link to this clone's loader/target/native/tracedb-run: no script, no dash), or
# `clone`, this clone's ./tracedb script. Default: installed when `command -v tracedb` resolves to
# this clone's runner, else clone. The header and the start-up line say which was timed.
#
# --rounds N (default 11, alias --runs): each round runs the plain program, the cached command and
# the plain program again, in an order rotated each round (bench/speedup-rounds.py, on
# bench/rusage_runner.py). SPEED-UP is the median of the per-round ratios plain/cached (> 1: the
# cache is faster) with their interquartile range; CONTROL is the same for plain/plain-again, the
# noise floor (1.000x on a quiet machine). On this VM one command's CPU time comes in two speeds, the
# slow runs in stretches of tens of seconds (docs/compiling.md, Ninth round): read the speed-up next
# to the control. CPU is user+sys of the whole command and its children (wait4); WALL is the whole
# command as the user experiences it, which other load on the machine disturbs more.
#
# The small input is recorded with --engine inputs (default) so that compile can expand it again
# with value probes and guard the traces' instruction words (value guards, on by default); with
# --engine dbi, or --no-values, the caches have no value guards (as before the eighth round);
# --max-values N is passed to compile (1: single-value guards only, as before polymorphic guards);
# --no-callee-entries too (drop the straight traces at function entries, as before the Thirteenth
# round of docs/compiling.md), and --no-forwarding (no store-to-load forwarding, as before the
# Fourteenth round).
# About 12 minutes with the default rounds on an idle 2-core machine (~25 s of runs per round).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workloads="$root/bench/workloads"
rounds=11 only="" keep="" engine=inputs values="" command=""
while (($#)); do
  case "$1" in
    --rounds|--runs) rounds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --engine) engine="$2"; shift 2 ;;
    --no-values) values="$values --no-values"; shift ;;
    --max-values) values="$values --max-values $2"; shift 2 ;;
    --no-callee-entries) values="$values --no-callee-entries"; shift ;;
    --no-forwarding) values="$values --no-forwarding"; shift ;;
    --command) command="$2"; shift 2 ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "speedup.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# the installed front door counts only when it is this clone's runner (another clone's would time
# other code)
runner="$(readlink -f "$root/loader/target/native/tracedb-run" 2>/dev/null || true)"
installed="$(command -v tracedb 2>/dev/null || true)"
[[ -n "$installed" && -n "$runner" && "$(readlink -f "$installed")" == "$runner" ]] || installed=""
case "${command:-$([[ -n "$installed" ]] && echo installed || echo clone)}" in
  installed)
    [[ -n "$installed" ]] || { echo "speedup.sh: --command installed: 'tracedb' on PATH is not this clone's runner ($root/loader/target/native/tracedb-run; scripts/install-command installs it)" >&2; exit 2; }
    front="$installed" command=installed ;;
  clone) front="$root/tracedb" command=clone ;;
  *) echo "speedup.sh: --command is clone or installed" >&2; exit 2 ;;
esac

work="${keep:-$(mktemp -d -t tracedb-speedup.XXXXXX)}"
mkdir -p "$work"
[[ -n "$keep" ]] || trap 'rm -rf "$work"' EXIT
db="$work/db"
rm -rf "$db"   # a kept directory from an earlier run: its recordings would make the run names ambiguous
tracedb=("$root/tracedb" --db "$db")
"$root/tracedb" --version >/dev/null   # build once, outside the timings
"$root/tracedb" run --help >/dev/null  # and the native runner (make), so no timed run rebuilds it

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

rounds_py=(python3 "$root/bench/speedup-rounds.py")
results="$work/results.tsv"
rm -f "$results"
quote() { printf '%q' "$1"; }

echo "$rounds rounds per workload, each plain / cached / plain again in rotated order; speed-up = median per-round plain/cached (IQR)"
echo "timed command: $front run --cache … ($command)"
status=0 first_cache="" header=""
for row in "${table[@]}"; do
  IFS='|' read -r name recorded measured <<<"$row"
  [[ -z "$only" || "$only" == "$name" ]] || continue
  cache="$work/$name.tcache"
  [[ -n "$header" ]] || { header=1; "${rounds_py[@]}" --header; }
  if ! "${tracedb[@]}" record --engine "$engine" --quiet --name "$name" -- $recorded >/dev/null 2>"$work/$name.record.err"; then
    printf '%-14s record failed: %s\n' "$name" "$(tail -1 "$work/$name.record.err")"
    status=1; continue
  fi
  if ! "${tracedb[@]}" compile $values "$name" -o "$cache" >"$work/$name.compile.out" 2>&1; then
    printf '%-14s compile failed: %s\n' "$name" "$(tail -1 "$work/$name.compile.out")"
    status=1; continue
  fi
  [[ "$name" != lua-* ]] || first_cache="${first_cache:-$cache}"
  # compile prints "forecast: 89.7% of 9,623,217 instructions inside traces"
  coverage=$(grep -oE 'forecast: [0-9.]+%' "$work/$name.compile.out" | head -1 | cut -d' ' -f2 || true)
  "${rounds_py[@]}" "$rounds" "$results" "$name" "${coverage:--}" "$measured" \
    "$(quote "$front") run --cache $(quote "$cache") -- $measured" || status=1
done
[[ ! -s "$results" ]] || "${rounds_py[@]}" --summary "$results"
if [[ -n "$first_cache" ]]; then
  "${rounds_py[@]}" --startup 21 "lua5.4 -e ''" "$(quote "$front") run --cache $(quote "$first_cache") -- lua5.4 -e ''" "$command"
fi
echo "recorded with --engine $engine${values:+; compiled with ${values# }}; $(nproc) cores"
exit $status
