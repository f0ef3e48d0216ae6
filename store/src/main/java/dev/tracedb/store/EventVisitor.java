package dev.tracedb.store;

/**
 * Receives a run's events in log order from {@link RunReader#replay}. Every method has an empty
 * default so a visitor implements only what it needs.
 *
 * <p>Execution batches arrive as a reused buffer rather than one object per block event, so that a
 * replay of 10^9 events allocates nothing per event.
 */
public interface EventVisitor {
    default void runStarted(RunStarted event) {
    }

    default void moduleMapped(ModuleMapped event) {
    }

    default void blockDefined(BlockDefined event) {
    }

    /**
     * One execution batch.
     *
     * @param header   where the batch sits in the run
     * @param blockIds the block ids in execution order in {@code blockIds[0 .. header.eventCount())};
     *                 the array is reused for the next batch: copy what you keep
     */
    default void execBatch(ExecBatchHeader header, int[] blockIds) {
    }

    default void syscall(SyscallResult event) {
    }

    default void signal(SignalDelivered event) {
    }

    /** Inputs-only runs: bytes the kernel wrote, after their syscall (or before the first one). */
    default void memoryWritten(MemoryWritten event) {
    }

    /** Inputs-only runs: the file behind the mmap just before. */
    default void fileMapped(FileMapped event) {
    }

    /** Inputs-only runs: an rdtsc or rdtscp, in execution order. */
    default void timestampRead(TimestampRead event) {
    }

    /**
     * Inputs-only runs, last: the recording stopped at a point after the last input the log cannot
     * place ({@link RunWriter#unplacedStop}).
     */
    default void unplacedStop() {
    }

    default void runEnded(RunEnded event) {
    }
}
