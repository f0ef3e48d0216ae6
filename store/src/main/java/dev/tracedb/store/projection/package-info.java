/**
 * Projections: facts derived from a run log by replaying it, never stored only here. Each has a
 * stable serialized form, so that rebuilding from the same log gives the same bytes, and may be
 * cached next to the run keyed by the log's last index; deleting a cache loses nothing.
 *
 * <p><b>Thread-safety.</b> A built {@link dev.tracedb.store.projection.Profile} is immutable and
 * safe to share. Building one uses the given {@link dev.tracedb.store.RunReader}, so it inherits
 * the reader's one-thread rule.
 */
package dev.tracedb.store.projection;
