package dev.tracedb.store;

/**
 * Appends the events of one run, in order. Obtained from {@link TraceDatabase#createRun}, which has
 * already written {@link RunStarted}.
 *
 * <p>Block events are buffered and written as compressed batches (64 Ki events by default); any
 * syscall or signal first flushes the pending batch, so those land in the log at their place in the
 * execution stream (they also carry that position). Module and block definitions do not flush: a
 * definition may precede, in the log, a batch holding events executed before it, which still
 * satisfies "defined before use" and keeps batches full during warm-up.
 * {@link #end} writes {@link RunEnded} and marks the run complete in the catalog; {@link #close}
 * without {@code end} flushes what was appended and leaves the run incomplete (exactly as if the
 * recorder had been killed after the flush).
 *
 * <p>Not thread-safe: used by one thread at a time. It may be handed from one thread to another
 * (the recorder's tracer thread creates it, a drainer thread appends, the tracer thread ends it)
 * provided the hand-over is a happens-before edge, such as a {@code BlockingQueue} or an executor.
 * One writer per run: the database refuses a second one.
 */
public interface RunWriter extends AutoCloseable {

    /** The run being written. */
    RunId id();

    /** Records a module mapping; {@code moduleId}s must be unique within the run. */
    void moduleMapped(ModuleMapped event);

    /**
     * Defines a block. Ids must be unique within the run; they need not be dense, but the writer
     * keeps a table indexed by id, so keep them small (the recorder numbers blocks 0, 1, 2, ...).
     *
     * @throws IllegalArgumentException if the block id is already defined
     */
    void defineBlock(BlockDefined event);

    /**
     * Appends one block event.
     *
     * @throws IllegalArgumentException if the block was not defined; nothing is appended
     */
    void appendExec(int blockId);

    /**
     * Appends {@code ids[off .. off+len)}: the fast path for draining the recorder's ring.
     *
     * @throws IllegalArgumentException if any id was not defined; then none of the ids is appended
     */
    void appendExec(int[] ids, int off, int len);

    /**
     * Appends the block ids in {@code ids}' remaining bytes, 4 little-endian bytes each (its
     * position and limit are left as they are). Writers may encode whole batches straight from
     * that memory (a direct buffer: no copy); on an undefined id the batches before it may be
     * written, unlike {@link #appendExec(int[], int, int)}. This default copies the ids out.
     */
    default void appendExec(java.nio.ByteBuffer ids) {
        java.nio.IntBuffer ints = ids.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        if (ids.remaining() % 4 != 0) {
            throw new IllegalArgumentException("block ids are 4 bytes each: " + ids.remaining() + " bytes");
        }
        int[] copy = new int[Math.min(ints.remaining(), 1 << 16)];
        for (int done = 0, total = ints.remaining(); done < total; ) {
            int n = Math.min(copy.length, total - done);
            ints.get(done, copy, 0, n);
            appendExec(copy, 0, n);
            done += n;
        }
    }

    /** Records a syscall at the current position of the execution stream. */
    void syscall(int number, long[] args, long result);

    /** Records a signal delivery at the current position of the execution stream. */
    void signal(int signo, int code, long address);

    /**
     * Marks the run as holding the program's inputs only ({@link RunInfo#inputsOnly()}): no blocks, but
     * every syscall with the bytes it wrote, rdtsc values and signals, enough to re-execute it. Call it
     * once, before any other event.
     */
    default void inputsOnly() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot write an inputs-only run");
    }

    /**
     * Marks the end of an inputs-only run whose recording stopped at a point after its last input
     * that the log cannot place (a signal that arrived between syscalls, somewhere in the
     * instructions that followed): an expansion must stop right after that input, since the
     * instructions after it ran, natively, with that signal somewhere among them. Written last.
     */
    default void unplacedStop() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot write an inputs-only run");
    }

    /** Records bytes the kernel wrote into the program's memory ({@link MemoryWritten}). */
    default void memoryWritten(long address, byte[] bytes) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot write an inputs-only run");
    }

    /**
     * Records the file behind the file-backed mmap just recorded ({@link FileMapped}, its fields
     * in the same order).
     */
    default void fileMapped(String path, long size, long modifiedNanos, long inode, long changedNanos, long device) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot write an inputs-only run");
    }

    /** Records an rdtsc ({@code withAux} false) or rdtscp and what it read ({@link TimestampRead}). */
    default void timestampRead(long value, long aux, boolean withAux) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot write an inputs-only run");
    }

    /**
     * Starts value probing: the sites sampled from block event {@code firstEvent} on (written once,
     * before any sample). Runs without this call hold no probe events.
     */
    default void probeSites(java.util.List<ProbeSite> sites, long firstEvent) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot write value probes");
    }

    /**
     * Appends samples {@code [0, count)}: block event, site index and value each, in execution order
     * and after every earlier sample. {@code coveredTo}: every sample of a block event before it is
     * now appended (what a run whose recorder dies leaves readable).
     */
    default void probeSamples(long[] blockEvents, int[] sites, long[] values, int count, long coveredTo) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot write value probes");
    }

    /**
     * Ends the probe window at block event {@code endEvent}: {@code cutOff} when the sample budget
     * stopped sampling there (the run goes on), else at the run's end. Written once, last of the
     * probe events.
     */
    default void probeWindowEnd(long endEvent, boolean cutOff) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot write value probes");
    }

    /** Writes the pending execution batch, if any. Batches then stay smaller than the maximum. */
    void flush();

    /** Block events appended so far (including those not yet flushed). */
    long blockEvents();

    /** Instructions appended so far (including those not yet flushed). */
    long instructions();

    /**
     * Ends the run: flushes, writes {@link RunEnded} with the totals, and marks the run complete in
     * the catalog. Further appends throw {@link IllegalStateException}.
     */
    RunEnded end(ExitStatus status);

    /** Flushes and releases the log. Idempotent. A run closed without {@link #end} is incomplete. */
    @Override
    void close();
}
