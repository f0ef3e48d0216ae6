#!/bin/sh
# Builds the JMH jar and runs the store's execution-batch benchmark with the JVM flags Chronicle
# Queue needs (the root pom's tracedb.jvm.flags). Extra arguments go to JMH, e.g.
#   bench/store.sh -wi 1 -i 3 -f 1        (a quick run)
set -eu
cd "$(dirname "$0")/.."
mvn -q -B -pl bench -am package -DskipTests
FLAGS=$(sed -n 's:.*<tracedb.jvm.flags>\(.*\)</tracedb.jvm.flags>.*:\1:p' pom.xml)
[ -n "$FLAGS" ] || { echo "tracedb.jvm.flags not found in pom.xml" >&2; exit 1; }
# shellcheck disable=SC2086  # FLAGS is a list of JVM options
exec java $FLAGS -jar bench/target/benchmarks.jar ExecBatchBenchmark -jvmArgsPrepend "$FLAGS" "$@"
