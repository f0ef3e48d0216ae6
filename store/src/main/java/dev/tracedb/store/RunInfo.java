package dev.tracedb.store;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code tracedb info RUN} shows: the run's facts and totals, computed from its log
 * ({@link RunReader#info()}) without decompressing execution batches.
 *
 * @param id            the run
 * @param started       its first event
 * @param modules       modules mapped, in log order
 * @param blocksDefined number of {@link BlockDefined} events
 * @param blockEvents   block events in complete batches
 * @param instructions  instructions those block events executed
 * @param batches       number of execution batches
 * @param encodedBytes  bytes of block-id payload on disk (after compression)
 * @param syscalls      number of {@link SyscallResult} events
 * @param signals       number of {@link SignalDelivered} events
 * @param inputsOnly    the run logs the program's inputs only (syscalls with the bytes they wrote,
 *                      rdtsc values, signals), no blocks: it must be expanded, by re-executing it,
 *                      before anything that reads blocks can use it
 * @param ended         the {@link RunEnded} event; {@code null} if the run is incomplete
 */
public record RunInfo(RunId id, RunStarted started, List<ModuleMapped> modules, long blocksDefined,
                      long blockEvents, long instructions, long batches, long encodedBytes, long syscalls,
                      long signals, boolean inputsOnly, RunEnded ended) {
    public RunInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(started, "started");
        modules = List.copyOf(modules);
    }

    /** True if the log holds {@link RunEnded}. */
    public boolean complete() {
        return ended != null;
    }

    public Optional<RunEnded> end() {
        return Optional.ofNullable(ended);
    }

    /** Compressed bytes per block event, 0 for an empty run. */
    public double bytesPerBlockEvent() {
        return blockEvents == 0 ? 0 : (double) encodedBytes / blockEvents;
    }
}
