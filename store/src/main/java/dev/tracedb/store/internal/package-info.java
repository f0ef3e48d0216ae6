/**
 * The Chronicle Queue implementation of the store API. Everything here is package-private except
 * {@link dev.tracedb.store.internal.ChronicleTraceDatabase}, the factory behind
 * {@link dev.tracedb.store.TraceDatabase#open}. Chronicle types and exceptions never leave this
 * package: damage is reported as {@link dev.tracedb.store.CorruptLogException}, other failures as
 * {@link dev.tracedb.store.StoreException}.
 *
 * <p><b>Thread-safety.</b> {@code ChronicleTraceDatabase} and {@code Catalog} synchronize their
 * mutations (and take a file lock for run-id allocation, so several processes can share a
 * directory). Writers and readers are confined to one thread, like the Chronicle appenders and
 * tailers they own. {@code FileExpansionLinks} is thread-safe: its links are single files replaced
 * by rename, and its per-run expansion lock is a semaphore within the JVM plus a file lock across
 * processes.
 */
package dev.tracedb.store.internal;
