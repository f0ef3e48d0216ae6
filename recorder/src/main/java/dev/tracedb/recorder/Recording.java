package dev.tracedb.recorder;

import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.store.RunWriter;

/**
 * What an {@link Engine} records with: the stopped tracee, the run's writer, and the shared
 * services that turn addresses into modules and blocks. Created and closed by the {@link Recorder};
 * an engine never closes any of these.
 *
 * <p>Not thread-safe: the writer, the module tracker and the block table each belong to one thread
 * at a time (see {@link Engine}). {@link #progress()} is the exception, made for another thread.
 *
 * @param options  what is being recorded
 * @param tracee   the program, stopped at its first instruction when the engine starts
 * @param writer   the run's log; {@code RunStarted} is written, {@code RunEnded} is the recorder's
 * @param modules  address → module, writing {@code ModuleMapped} on first sight
 * @param blocks   address → block, writing {@code BlockDefined} on first sight
 * @param progress counters the engine publishes for a progress display
 */
public record Recording(RecordOptions options, Tracee tracee, RunWriter writer, ModuleTracker modules,
                        BlockTable blocks, Progress progress) {
}
