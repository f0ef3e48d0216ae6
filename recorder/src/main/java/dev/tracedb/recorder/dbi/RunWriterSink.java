package dev.tracedb.recorder.dbi;

import dev.tracedb.recorder.Progress;
import dev.tracedb.store.RunWriter;

/**
 * Delivers the engine's events to the run's log. Blocks are defined in the log by the
 * framework's block table when the engine asks it for them, so {@link #blockDefined} has
 * nothing to write. Tracer thread only (the writer is confined to it).
 */
final class RunWriterSink implements EventSink {
    private final RunWriter writer;
    private final Progress progress;

    RunWriterSink(RunWriter writer, Progress progress) {
        this.writer = writer;
        this.progress = progress;
    }

    @Override
    public void blockDefined(Fragment fragment) {
    }

    @Override
    public void executed(int[] ids, int count) {
        writer.appendExec(ids, 0, count);
        // Stops are not counted yet: the DBI engine's stops are misses, not instructions.
        progress.publish(writer.blockEvents(), writer.instructions(), 0);
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
