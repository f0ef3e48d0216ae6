/**
 * The run-log format: the version enum, the event type codes, and the one codec layer through which
 * every event is both written and read (rr's TraceStream idea: keeping writing and reading code side
 * by side is what keeps them in agreement). Nothing here knows about Chronicle Queue: a codec turns
 * an event into a byte array framed with a type, a version and a CRC32C, and back. The format is
 * documented in {@code docs/formats/run-log.md}; change both together.
 *
 * <p><b>Thread-safety.</b> {@link dev.tracedb.store.format.FormatVersion},
 * {@link dev.tracedb.store.format.EventType} and {@link dev.tracedb.store.format.BatchEncoding} are
 * immutable. Codec and buffer instances ({@link dev.tracedb.store.format.EventCodec},
 * {@link dev.tracedb.store.format.ExecBatchCodec}, {@link dev.tracedb.store.format.ByteSink}) hold
 * reusable scratch buffers and are confined to one thread.
 */
package dev.tracedb.store.format;
