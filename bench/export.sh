#!/bin/sh
# Measures `tracedb export --table exec` in rows/s: records lua5.4 running a loop (a real interpreter's
# block stream, ~100 M block events by default) with the DBI engine into a temporary database, then
# runs ExportBenchmark on it for Arrow and CSV. Extra arguments go to JMH, e.g.
#   bench/export.sh -wi 1 -i 3            (a quick run)
#   ITERATIONS=1000000 bench/export.sh    (a smaller recording)
set -eu
cd "$(dirname "$0")/.."
ITERATIONS=${ITERATIONS:-10000000}
mvn -q -B -pl bench -am package -DskipTests
FLAGS=$(sed -n 's:.*<tracedb.jvm.flags>\(.*\)</tracedb.jvm.flags>.*:\1:p' pom.xml)
[ -n "$FLAGS" ] || { echo "tracedb.jvm.flags not found in pom.xml" >&2; exit 1; }
db=$(mktemp -d -t tracedb-export-bench.XXXXXX)
trap 'rm -rf "$db"' EXIT
./tracedb --db "$db" record --engine dbi --name lua-loop -- \
  lua5.4 -e "local s=0 for i=1,$ITERATIONS do s=s+i end print(s)" >/dev/null
# shellcheck disable=SC2086  # FLAGS is a list of JVM options
java $FLAGS -jar bench/target/benchmarks.jar ExportBenchmark -jvmArgsPrepend "$FLAGS" \
  -p database="$db" -p run=lua-loop "$@"
