package dev.tracedb.recorder.dbi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;

/**
 * Where the engine delivers what it records, in execution order: a block is always defined before
 * any batch that executes it. Called on the tracer thread only; implementations need not be
 * thread-safe but must not call back into the engine.
 */
interface EventSink {
    void blockDefined(Fragment block);

    /** {@code ids[0 .. count)} executed in this order; the array is reused after the call returns. */
    void executed(int[] ids, int count);

    /**
     * The block ids in {@code ids}' remaining bytes (4 little-endian bytes each) executed in this
     * order: a view of the event ring, valid until {@code written} is run, which the sink must do
     * exactly once, from any thread, when it no longer reads the view (then the ring may reuse that
     * memory). The sink may rewrite ids in place before it returns. This default copies the view
     * out and releases it at once.
     */
    default void executed(ByteBuffer ids, Runnable written) {
        try {
            IntBuffer ints = ids.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
            int[] copy = new int[Math.min(ints.remaining(), 1 << 16)];
            for (int done = 0, total = ints.remaining(); done < total; ) {
                int n = Math.min(copy.length, total - done);
                ints.get(done, copy, 0, n);
                executed(copy, n);
                done += n;
            }
        } finally {
            written.run();
        }
    }

    /**
     * System call {@code number} with its six argument registers returned {@code result} (the
     * blocks before it, its own included, were delivered). exit and exit_group never return:
     * they are reported with result 0 before they run.
     */
    void syscall(int number, long[] args, long result);

    /** A signal is about to be delivered with its default action (no handler is installed). */
    void signal(int signo, int code, long address);

    /** Value probes: the sites sampled from block event {@code firstEvent} on, before any sample. */
    default void probeSites(java.util.List<dev.tracedb.store.ProbeSite> sites, long firstEvent) {
    }

    /**
     * Value probes: samples {@code [0, count)} (block event, site, value), in execution order; the
     * arrays are reused after the call. Every sample of a block event before {@code coveredTo} has
     * been delivered.
     */
    default void probed(long[] blockEvents, int[] sites, long[] values, int count, long coveredTo) {
    }

    /** Value probes: the window ends at {@code endEvent}, cut off by the budget or not; after the last sample. */
    default void probeWindowEnd(long endEvent, boolean cutOff) {
    }

    /** The ring has been drained: every event executed so far was delivered. */
    default void drained() {
    }
}
