/**
 * Measured trace behaviour: the counts {@code tracedb run --stats} keeps. The preload shim cannot
 * write the run log (Chronicle Queue needs a JVM), so at the program's exit it writes one small
 * text file per run, {@code DB/trace-stats/sNNNN.tstats} (format: {@code docs/formats/trace-stats.md}),
 * atomically (written aside, synced, then linked under the first free id); the ptrace path writes
 * the same file from Java ({@link TraceStatsWriter}). This package reads those files
 * ({@link TraceStatsFile}), lists and finds them in a database ({@link TraceStatsDirectory}),
 * prints their summary as the shim does ({@link TraceStatsReport}) and identifies the cache they
 * were measured with ({@link CacheId}), so that measured counts are never joined with another
 * cache's forecast.
 *
 * <p>What is measured, by the cache's counting code: per trace, its entries (through its patched
 * head or by a link from another trace, not a loop trace's own iterations), completions (a loop
 * trace: iterations) and side exits by target (guard mismatches of indirect transfers as one
 * target known only at run time).
 *
 * <p>Everything here is immutable or stateless, hence thread-safe.
 */
package dev.tracedb.loader.stats;
