/**
 * The Chronicle Queue implementation of the store API. Everything here is package-private except
 * {@link dev.tracedb.store.internal.ChronicleTraceDatabase}, the factory behind
 * {@link dev.tracedb.store.TraceDatabase#open}. Chronicle types and exceptions never leave this
 * package: damage is reported as {@link dev.tracedb.store.CorruptLogException}, other failures as
 * {@link dev.tracedb.store.StoreException}. Native inputs recordings arrive as journals
 * ({@link dev.tracedb.store.journal}); {@code PendingJournals} finds them and {@code JournalImport}
 * turns each into a run log and catalog entries, the same bytes {@code ChronicleRunWriter} writes.
 *
 * <p><b>Thread-safety.</b> {@code ChronicleTraceDatabase} and {@code Catalog} synchronize their
 * mutations (and take a file lock for run-id allocation, so several processes can share a
 * directory). Writers and readers are confined to one thread, like the Chronicle appenders and
 * tailers they own. Journal imports may run in several threads and processes at once: each run's
 * import holds that run's {@code writer.lock} (which Java also refuses to a second thread of the same
 * JVM), and its catalog appends hold {@code catalog.lock} ({@code CatalogLock}).
 * {@code FileExpansionLinks} is thread-safe: its links are single files replaced by rename, and its
 * per-run expansion lock is a semaphore within the JVM plus a file lock across processes.
 */
package dev.tracedb.store.internal;
