package dev.tracedb.recorder;

/**
 * Live counters of a recording, for a progress line. The engine publishes them now and then (say,
 * every few thousand events) from its own thread; any other thread may read them at any time.
 * Values are monotonic and may lag the log by one publication.
 *
 * <p>Thread-safe: single writer, any number of readers (volatile fields).
 */
public final class Progress {
    private volatile long blockEvents;
    private volatile long instructions;
    private volatile long stops;

    /** Called by the engine (one thread). */
    public void publish(long blockEvents, long instructions, long stops) {
        this.blockEvents = blockEvents;
        this.instructions = instructions;
        this.stops = stops;
    }

    public long blockEvents() {
        return blockEvents;
    }

    public long instructions() {
        return instructions;
    }

    /** ptrace stops taken so far (single-steps, syscall stops, misses that stopped the tracee). */
    public long stops() {
        return stops;
    }
}
