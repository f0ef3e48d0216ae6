/**
 * Measured trace behaviour: the counts {@code tracedb run --stats} keeps. The preload shim cannot
 * write the run log (Chronicle Queue needs a JVM), so at the program's exit it writes one small
 * text file per run, {@code DB/trace-stats/sNNNN.tstats} (format: {@code docs/formats/trace-stats.md}),
 * atomically (written aside, synced, then linked under the first free id). This package reads those
 * files ({@link TraceStatsFile}), lists and finds them in a database ({@link TraceStatsDirectory}),
 * and identifies the cache they were measured with ({@link CacheId}), so that measured counts are
 * never joined with another cache's forecast.
 *
 * <p>What is measured: per trace, the entries through its patched head (from the original code).
 * Entries from another trace (a link or a side exit straight into it), loop iterations, completions
 * and side exits are not measured: counting them needs the generated code's cooperation.
 *
 * <p>Everything here is immutable or stateless, hence thread-safe; files are only read.
 */
package dev.tracedb.loader.stats;
