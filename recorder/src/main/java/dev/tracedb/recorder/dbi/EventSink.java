package dev.tracedb.recorder.dbi;

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
     * System call {@code number} with its six argument registers returned {@code result} (the
     * blocks before it, its own included, were delivered). exit and exit_group never return:
     * they are reported with result 0 before they run.
     */
    void syscall(int number, long[] args, long result);

    /** A signal is about to be delivered with its default action (no handler is installed). */
    void signal(int signo, int code, long address);

    /** The ring has been drained: every event executed so far was delivered. */
    default void drained() {
    }
}
