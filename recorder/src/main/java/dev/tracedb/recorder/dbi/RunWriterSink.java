package dev.tracedb.recorder.dbi;

import dev.tracedb.recorder.BackgroundRunWriter;
import dev.tracedb.store.RunWriter;
import java.nio.ByteBuffer;

/**
 * Delivers the engine's events to the run's log. Blocks are defined in the log by the
 * framework's block table when the engine asks it for them, so {@link #blockDefined} has
 * nothing to write. The writer publishes progress (the recorder gives this engine a
 * {@link dev.tracedb.recorder.BackgroundRunWriter}, which does so from its own thread). Tracer
 * thread only.
 */
final class RunWriterSink implements EventSink {
    /**
     * Views of the ring at least this long go to a background writer as they are, read on its
     * thread; shorter ones (the drains at misses and syscalls) are copied into its chunk, which
     * costs less than a hand-over and releases the ring at once.
     */
    static final int SHARED_MIN_EVENTS = 1 << 16;

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
    public void executed(ByteBuffer ids, Runnable written) {
        if (writer instanceof BackgroundRunWriter background && ids.remaining() >= 4 * SHARED_MIN_EVENTS) {
            background.appendExec(ids, written);
        } else {
            EventSink.super.executed(ids, written);
        }
    }

    @Override
    public void syscall(int number, long[] args, long result) {
        writer.syscall(number, args, result);
    }

    @Override
    public void signal(int signo, int code, long address) {
        writer.signal(signo, code, address);
    }

    @Override
    public void probeSites(java.util.List<dev.tracedb.store.ProbeSite> sites, long firstEvent) {
        writer.probeSites(sites, firstEvent);
    }

    @Override
    public void probed(long[] blockEvents, int[] sites, long[] values, int count, long coveredTo) {
        writer.probeSamples(blockEvents, sites, values, count, coveredTo);
    }

    @Override
    public void probeWindowEnd(long endEvent, boolean cutOff) {
        writer.probeWindowEnd(endEvent, cutOff);
    }
}
