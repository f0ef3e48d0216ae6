package dev.tracedb.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads one run: streams it in order and seeks into its execution stream by block-event index or
 * instruction index. Opening a reader scans the log once, checking every event's checksum and
 * building the batch index from batch headers (block ids are not decompressed until asked for).
 *
 * <p>A run that is still being written, or whose writer was killed, is read up to its last complete
 * event as of opening; {@link #isComplete()} tells which. Damage found while reading throws
 * {@link CorruptLogException}.
 *
 * <p>Not thread-safe; open one reader per thread.
 */
public interface RunReader extends AutoCloseable {

    RunId id();

    /** The directory holding this run's log and its cached projections. */
    Path directory();

    /** The run's first event. */
    RunStarted started();

    /** True if the log holds {@link RunEnded}. */
    boolean isComplete();

    /** The run's last event, if the run is complete. */
    Optional<RunEnded> ended();

    /** The modules mapped during the run, in log order. */
    List<ModuleMapped> modules();

    /** Execution batches in order: the seek index. Their block events tile {@code [0, blockEventCount())}. */
    List<ExecBatchHeader> batches();

    /** Block events in complete batches. */
    long blockEventCount();

    /** Instructions executed by {@link #blockEventCount()} block events. */
    long instructionCount();

    /** The largest {@link ExecBatchHeader#eventCount()}: a buffer this big holds any batch. */
    int maxBatchEvents();

    /** The batch holding block event {@code blockEvent}, or empty if it is out of range. */
    Optional<ExecBatchHeader> batchAtBlockEvent(long blockEvent);

    /** The batch holding instruction {@code instruction}, or empty if it is out of range. */
    Optional<ExecBatchHeader> batchAtInstruction(long instruction);

    /**
     * Decodes one batch into {@code blockIds[0 .. header.eventCount())}.
     *
     * @return the number of block ids written, {@code header.eventCount()}
     * @throws IllegalArgumentException if the buffer is too small or the header is not this run's
     */
    int readBatch(ExecBatchHeader header, int[] blockIds);

    /** Streams every event of the run, in log order. */
    void replay(EventVisitor visitor);

    /**
     * Streams the run from batch {@code from} onwards; events before it that the visitor needs to
     * interpret the stream ({@link RunStarted}, every {@link ModuleMapped} and {@link BlockDefined})
     * are delivered first, other earlier events are skipped.
     */
    void replayFrom(ExecBatchHeader from, EventVisitor visitor);

    /**
     * The run's value probes: which sites it sampled and over which block events; empty for a run
     * recorded without probes.
     */
    default Optional<ProbeWindow> probes() {
        return Optional.empty();
    }

    /**
     * Streams every value-probe sample of {@link #probes()}' window, in block-event order (in
     * execution order within a block event); nothing for a run without probes.
     */
    default void probedValues(ProbedValueVisitor visitor) {
    }

    /** Totals and facts for {@code tracedb info}. */
    RunInfo info();

    /**
     * An opaque value that changes whenever the log grows: the key for cached projections. Two
     * readers of the same unchanged log return the same value.
     */
    long lastIndex();

    @Override
    void close();
}
