#!/usr/bin/env bash
# What recording costs: each workload natively, under `tracedb record --engine dbi`, under
# `tracedb record --engine inputs` (the program's inputs only, to be expanded offline) and under
# `valgrind --tool=none` (the well-known DBI floor), interleaved round by round, medians printed.
#
#   bench/record.sh              5 rounds of every workload
#   bench/record.sh -n 1         one round, for a quick look (not a measurement)
#   bench/record.sh -w lua       only the workloads whose name contains "lua" (lua, python, sha256)
#   bench/record.sh --no-valgrind
#
# Columns: native and recorded wall time (median), their ratio; the same for valgrind; the log's
# bytes per executed instruction (the run's LZ4 execution batches, as `tracedb info` reports them,
# and the run directory's disk use, Chronicle's index included); the recorder's peak RSS (the JVM,
# by /usr/bin/time). The inputs column is `tracedb record --engine inputs` (the native recorder, no
# JVM), its ratio the end-to-end one; "net" subtracts the fixed start-up of recording /bin/true's
# inputs (measured each round) to show what the engine adds while the program runs; "import" is the
# JVM work deferred to the database's next opening (the first `tracedb runs` after the recording,
# which imports its journal, less a second one with nothing to import);
# "inputs B/insn" is the inputs run directory's disk use over the instructions the dbi run of the
# same round counted (an inputs run counts none). Every recorded and valgrind run's stdout is
# compared with the native one's: a difference is printed and makes the script fail; so does an
# inputs recording that ended early. Needs valgrind and GNU time (scripts/setup).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=5
only=""
valgrind=1
while (($#)); do
  case "$1" in
    -n) rounds="$2"; shift 2 ;;
    -w) only="$2"; shift 2 ;;
    --no-valgrind) valgrind=0; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "record.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "record.sh: -n needs a positive number" >&2; exit 2; }
for tool in /usr/bin/time valgrind lua5.4 /usr/bin/python3 sha256sum; do
  command -v "$tool" >/dev/null || { echo "record.sh: $tool is missing (scripts/setup installs it)" >&2; exit 1; }
done

work="$(mktemp -d -t tracedb-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
"$root/tracedb" --help >/dev/null   # builds the jar first if a source changed, outside the timings

# 200 MB of fixed pseudo-random bytes (the same file in every run), deleted with $work.
big="$work/200mb.bin"
head -c 200000000 < <(yes 'tracedb bench: two hundred megabytes for sha256sum, the same in every run' \
  | awk '{ print NR * 2654435761 % 4294967296, $0 }') > "$big"

names=(lua python sha256)
declare -A cmd=(
  [lua]="lua5.4 $root/bench/workloads/interp.lua"
  [python]="/usr/bin/python3 $root/bench/workloads/interp.py"
  [sha256]="sha256sum $big"
)
selected=()
for w in "${names[@]}"; do
  [[ -z "$only" || "$w" == *"$only"* ]] && selected+=("$w")
done
((${#selected[@]})) || { echo "record.sh: no workload matches '$only'" >&2; exit 2; }

declare -A native recorded vg logb diskb rss inputs inputsb imports
startup=""
failed=0

# Runs "$@" under GNU time, stdout to $1: sets secs (wall) and kib (max RSS); a failure ends the bench.
timed() {
  local out="$1" stats="$work/time.txt"; shift
  if ! /usr/bin/time -f '%e %M' -o "$stats" "$@" >"$out" 2>"$work/stderr.txt"; then
    echo "record.sh: failed: $*" >&2
    tail -5 "$work/stderr.txt" >&2
    exit 1
  fi
  read -r secs kib < "$stats"
}

same_output() {
  if ! cmp -s "$1" "$2"; then
    echo "record.sh: OUTPUT DIFFERS ($3): $(diff "$1" "$2" | head -3 | tr '\n' ' ')" >&2
    failed=1
  fi
}

last() { local a=($1); if ((${#a[@]})); then echo "${a[-1]}"; else echo -; fi; }

for ((r = 1; r <= rounds; r++)); do
  rm -rf "$work/db"
  timed "$work/true.out" "$root/tracedb" --db "$work/db" record --quiet --engine inputs -- /bin/true
  startup+="$secs "
  rm -rf "$work/db"
  for w in "${selected[@]}"; do
    read -r -a argv <<< "${cmd[$w]}"
    timed "$work/native.out" "${argv[@]}"
    native[$w]+="$secs "

    db="$work/db"
    rm -rf "$db"
    timed "$work/rec.out" "$root/tracedb" --db "$db" record --quiet --engine dbi --name bench -- "${argv[@]}"
    recorded[$w]+="$secs "
    rss[$w]+="$kib "
    same_output "$work/native.out" "$work/rec.out" "$w recorded"
    info="$("$root/tracedb" --db "$db" info bench)"
    insns="$(awk '/^instructions/ { gsub(",", "", $2); print $2 }' <<< "$info")"
    batch="$(sed -n 's/^block events .* batches, \([0-9.]*\) \([KMG]\)iB.*/\1 \2/p' <<< "$info")"
    disk="$(du -B1 -s "$db/runs" | cut -f1)"
    logb[$w]+="$(awk -v b="$batch" -v n="$insns" 'BEGIN { split(b, p, " "); m = p[2] == "K" ? 1024 : p[2] == "M" ? 1048576 : 1073741824; printf "%.5f", p[1] * m / n }') "
    diskb[$w]+="$(awk -v d="$disk" -v n="$insns" 'BEGIN { printf "%.5f", d / n }') "
    rm -rf "$db"

    timed "$work/in.out" "$root/tracedb" --db "$db" record --quiet --engine inputs --name bench -- "${argv[@]}"
    inputs[$w]+="$secs "
    same_output "$work/native.out" "$work/in.out" "$w inputs"
    grep -q "inputs recording ends" "$work/stderr.txt" && { echo "record.sh: $w: $(cat "$work/stderr.txt")" >&2; failed=1; }
    inputsb[$w]+="$(awk -v d="$(du -B1 -s "$db/runs" | cut -f1)" -v n="$insns" 'BEGIN { printf "%.6f", d / n }') "
    # The JVM work deferred to the database's next opening: `runs` imports the journal; the same
    # command once more, with nothing left to import, is its baseline.
    timed /dev/null "$root/tracedb" --db "$db" runs
    first="$secs"
    timed /dev/null "$root/tracedb" --db "$db" runs
    imports[$w]+="$(awk -v a="$first" -v b="$secs" 'BEGIN { printf "%.2f", a - b }') "
    rm -rf "$db"

    if ((valgrind)); then
      timed "$work/vg.out" valgrind --tool=none -q "${argv[@]}"
      vg[$w]+="$secs "
      same_output "$work/native.out" "$work/vg.out" "$w valgrind"
    fi
    echo "round $r/$rounds $w: native $(last "${native[$w]}") s, recorded $(last "${recorded[$w]}") s," \
      "inputs $(last "${inputs[$w]}") s," \
      "valgrind $(last "${vg[$w]:-}") s" >&2
  done
done

median() { tr ' ' '\n' <<< "$1" | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo
echo "bench/record.sh: $rounds round(s), medians; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "inputs start-up (record --engine inputs -- /bin/true): $(median "$startup") s"
printf '%-8s %9s %10s %8s %9s %8s %6s %7s %10s %8s %12s %12s %13s %10s\n' workload native recorded ratio inputs ratio net \
  import valgrind ratio 'log B/insn' 'disk B/insn' 'inputs B/insn' 'rec RSS'
for w in "${selected[@]}"; do
  n="$(median "${native[$w]}")"
  rec="$(median "${recorded[$w]}")"
  if ((valgrind)); then
    v="$(median "${vg[$w]}")"
    vcol="$(printf '%9.2fs %7.1fx' "$v" "$(awk -v a="$v" -v b="$n" 'BEGIN { print a / (b > 0 ? b : 0.01) }')")"
  else
    vcol="$(printf '%10s %8s' - -)"
  fi
  in="$(median "${inputs[$w]}")"
  printf '%-8s %8.2fs %9.2fs %7.1fx %8.2fs %7.2fx %5.2fx %6.2fs %s %12s %12s %13s %8.0fMB\n' "$w" "$n" "$rec" \
    "$(awk -v a="$rec" -v b="$n" 'BEGIN { print a / (b > 0 ? b : 0.01) }')" "$in" \
    "$(awk -v a="$in" -v b="$n" 'BEGIN { print a / (b > 0 ? b : 0.01) }')" \
    "$(awk -v a="$in" -v s="$(median "$startup")" -v b="$n" 'BEGIN { print (a - s) / (b > 0 ? b : 0.01) }')" \
    "$(median "${imports[$w]}")" "$vcol" \
    "$(median "${logb[$w]}")" "$(median "${diskb[$w]}")" "$(median "${inputsb[$w]}")" \
    "$(awk -v k="$(median "${rss[$w]}")" 'BEGIN { print k / 1024 }')"
done
exit "$failed"
