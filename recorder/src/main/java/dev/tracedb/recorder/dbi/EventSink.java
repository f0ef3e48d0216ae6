package dev.tracedb.recorder.dbi;

/**
 * Where the engine delivers what it records, in execution order: a block is always defined before
 * any batch that executes it. Called on the tracer thread only; implementations need not be
 * thread-safe but must not call back into the engine.
 */
interface EventSink {
    void blockDefined(Block block);

    /** {@code ids[0 .. count)} executed in this order; the array is reused after the call returns. */
    void executed(int[] ids, int count);

    /** The tracee is about to run system call {@code number} (the blocks before it were delivered). */
    void syscall(int number);

    /** A signal is about to be delivered with its default action (no handler is installed). */
    void signal(int signo, int code, long address);
}
