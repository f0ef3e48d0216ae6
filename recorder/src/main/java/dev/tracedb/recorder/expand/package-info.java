/**
 * {@code tracedb expand}: rebuilds the full log (blocks, block stream, syscalls, signals) of an
 * inputs-only run by re-executing its program offline under the DBI engine in replay mode
 * ({@link dev.tracedb.recorder.dbi.DbiEngine#expanding}), fed with the recorded inputs instead of
 * the kernel's. {@link dev.tracedb.recorder.expand.Expander} launches the program as the recording
 * did and writes the new run; {@link dev.tracedb.recorder.expand.InputsScan} is the pre-pass
 * (ranges the program mapped, which the engine's views must avoid; the files it mapped;
 * AT_RANDOM); {@link dev.tracedb.recorder.expand.InputsStream} streams the inputs in order from a
 * reader thread through a bounded queue.
 *
 * <p>Thread-safety: an {@code Expander} may be used from several threads (each expansion has its
 * own tracer thread and reader thread); the other classes are confined to one expansion.
 */
package dev.tracedb.recorder.expand;
