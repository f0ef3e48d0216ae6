package dev.tracedb.recorder.dbi;

import dev.tracedb.store.RunWriter;

/**
 * Delivers the engine's events to the run's log. Blocks are defined in the log by the
 * framework's block table when the engine asks it for them, so {@link #blockDefined} has
 * nothing to write. The writer publishes progress (the recorder gives this engine a
 * {@link dev.tracedb.recorder.BackgroundRunWriter}, which does so from its own thread). Tracer
 * thread only.
 */
final class RunWriterSink implements EventSink {
    private final RunWriter writer;

    RunWriterSink(RunWriter writer) {
        this.writer = writer;
    }

    @Override
    public void blockDefined(Fragment fragment) {
    }

    @Override
    public void executed(int[] ids, int count) {
        writer.appendExec(ids, 0, count);
    }

    @Override
    public void syscall(int number, long[] args, long result) {
        writer.syscall(number, args, result);
    }

    @Override
    public void signal(int signo, int code, long address) {
        writer.signal(signo, code, address);
    }
}
