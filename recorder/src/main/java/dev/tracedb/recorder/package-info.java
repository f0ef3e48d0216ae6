/**
 * The recorder: runs an unmodified program under an {@link dev.tracedb.recorder.Engine} and writes
 * everything it executes into a run of the trace database.
 *
 * <p><b>API.</b> {@link dev.tracedb.recorder.Recorder#record} with {@link dev.tracedb.recorder.RecordOptions}
 * returns a {@link dev.tracedb.recorder.RecordOutcome}. Engines implement {@link dev.tracedb.recorder.Engine}
 * against the shared services in {@link dev.tracedb.recorder.Recording}: {@link dev.tracedb.recorder.ModuleTracker}
 * (address → module, {@code ModuleMapped} once per module), {@link dev.tracedb.recorder.BlockTable}
 * (address → block, decoded from the tracee's memory and defined once), and the run's writer.
 * {@link dev.tracedb.recorder.Engines} maps {@link dev.tracedb.recorder.EngineKind} to implementations:
 * {@code step} (ptrace single-step, the reference) and {@code dbi} (the translator).
 *
 * <p><b>Contract.</b> A complete run's block stream, expanded to instructions, is exactly the
 * instructions the program retired, in order; {@code rep} string instructions count once; a block
 * cut short by a signal is logged as its prefix. What an engine cannot record stops the recording
 * ({@link dev.tracedb.recorder.RecordingStoppedException}); the program is then killed and the
 * run left incomplete, never continued unrecorded, with one exception: where the program can go
 * on natively, correctly (an exec, a second thread, JIT code), the engine steps aside
 * ({@link dev.tracedb.recorder.SteppedAside}): the run is left incomplete and the program goes on.
 *
 * <p><b>Thread-safety.</b> {@code Recorder} is thread-safe (each call is independent). The services
 * of one {@code Recording} are confined to one thread at a time; {@link dev.tracedb.recorder.Progress}
 * may be read from any thread. Values ({@code RecordOptions}, {@code RecordOutcome}, {@code Block},
 * {@code CodeModule}) are immutable.
 */
package dev.tracedb.recorder;
