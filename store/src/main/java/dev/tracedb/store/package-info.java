/**
 * The trace database: one append-only run log per recorded run, a catalog of runs, and the event
 * records that make up a log. This package is the whole public API of the {@code store} module.
 *
 * <p><b>Contract.</b> A run log is written once, in order, by a single {@link dev.tracedb.store.RunWriter}
 * and never modified. A block is defined before any execution batch that uses it (the writer throws
 * otherwise). A run is <em>incomplete</em> until its {@link dev.tracedb.store.RunEnded} event is
 * written; an incomplete run stays readable up to its last complete event. Anything that is not in
 * the log (profiles, summaries) is a projection in {@code dev.tracedb.store.projection} and can be
 * deleted and rebuilt bit-identically. Damage to a log is reported as a
 * {@link dev.tracedb.store.CorruptLogException} naming the file and position, never as a wrong answer.
 *
 * <p><b>Thread-safety.</b> Event records, {@link dev.tracedb.store.RunId}, {@link dev.tracedb.store.RunSummary}
 * and {@link dev.tracedb.store.RunInfo} are immutable and safe to share (their array components are
 * copied on the way in and out). {@link dev.tracedb.store.TraceDatabase} is thread-safe. A
 * {@link dev.tracedb.store.RunWriter} and a {@link dev.tracedb.store.RunReader} are each confined to
 * one thread at a time; open one reader per thread to read a run concurrently.
 */
package dev.tracedb.store;
