/**
 * Exports a run's tables — modules, blocks, edges, the execution stream, syscalls — as Apache Arrow
 * IPC files or CSV, for pandas, polars, DuckDB and spreadsheets. {@link dev.tracedb.store.export.ExportTable}
 * is the schema (docs/querying.md documents the same columns); {@link dev.tracedb.store.export.Exporter}
 * runs one export.
 *
 * <p><b>Contract.</b> An export writes a temporary file beside the target and renames it over the
 * target only when complete, so a failed or interrupted export never leaves a partial file or damages
 * an existing one. The execution stream is exported one log batch at a time (at most 64 Ki rows held),
 * so memory does not grow with the run. Columns are never null; every value comes from the log, or
 * from the profile projection rebuilt from it, or (the {@code function} column) from the module's ELF
 * file when its build-id matches.
 *
 * <p><b>Thread-safety.</b> An export uses one {@link dev.tracedb.store.RunReader} and is confined to
 * its thread; the schema types are immutable.
 */
package dev.tracedb.store.export;
