/**
 * The DBI engine: a dynamic binary translator whose translator runs in Java, in the manner of
 * DynamoRIO. The tracee executes only code that Java wrote into a shared-memory code cache; each
 * translated block appends its id to a shared-memory ring.
 *
 * <p>Mechanisms, one per file: {@link dev.tracedb.recorder.dbi.SharedRegion} (the /dev/shm file
 * mapped by both processes) laid out by {@link dev.tracedb.recorder.dbi.RegionLayout}.
 * Addresses say which space they live in: {@link dev.tracedb.recorder.dbi.AppAddress} (the
 * program's code and data) versus {@link dev.tracedb.recorder.dbi.CacheAddress} (the region).
 *
 * <p>Thread-safety: none of the classes is thread-safe; one recording is driven by one thread,
 * and Java writes the shared region only while the tracee is stopped.
 */
package dev.tracedb.recorder.dbi;
