/**
 * Value guards from recorded values: which loads of a selection's traces to probe, and which of
 * them to guard with the value the probes saw.
 *
 * <p>{@link dev.tracedb.compiler.values.ValueProbePlan} names the probe sites a selection needs
 * (from {@link dev.tracedb.compiler.codegen.ValueSites}) and says which runs sampled them;
 * {@link dev.tracedb.compiler.values.ValueGuardChooser} replays runs that carry samples against the
 * traces, as the forecast does, gives each sample to the trace position whose pass ran it, and
 * keeps a {@link dev.tracedb.compiler.path.ValueGuard} where one value held in nearly every pass
 * ({@link dev.tracedb.compiler.values.ValueRule}), or several where a few values together held in
 * nearly every pass that completed the trace ({@link dev.tracedb.compiler.values.PolymorphicRule}).
 *
 * <p><b>Thread-safety.</b> Stateless entry points; a call reads the runs on the calling thread.
 */
package dev.tracedb.compiler.values;
