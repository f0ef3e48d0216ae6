/**
 * Starts a program with a trace cache applied. The work is native (see {@code src/main/c}): the
 * runner {@code tracedb-run} checks the cache and the program and execs the program with the shim
 * {@code libtracedb-preload.so} in {@code LD_PRELOAD}; the shim checks each module and patches the
 * trace heads before {@code main}. This package finds those two files and builds the runner's
 * command line, for {@code tracedb run} and for tests. Stateless and thread-safe.
 */
package dev.tracedb.loader;
