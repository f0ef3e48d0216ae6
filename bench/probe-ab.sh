#!/bin/sh
# interleaved A/B: dbi record of numeric.lua without and with the dispatch probe
# Usage: bench/probe-ab.sh (ROUNDS=N to change the 4 rounds); prints round, variant, wall seconds.
cd "$(dirname "$0")/.."
for r in $(seq 1 "${ROUNDS:-4}"); do
  for v in plain probe; do
    rm -rf /tmp/ab-$v
    if [ $v = plain ]; then args=""; else args="--probe lua5.4+0x1c479 --probe-budget 100000000"; fi
    s=$(date +%s.%N)
    ./tracedb --db=/tmp/ab-$v record --quiet --engine dbi $args -- lua5.4 bench/workloads/lua/numeric.lua >/dev/null 2>/tmp/ab-$v.err
    e=$(date +%s.%N)
    echo "$r $v $(echo "$e - $s" | bc)"
  done
done
./tracedb --db=/tmp/ab-probe info r0001 | grep -i "value probes\|block events"
