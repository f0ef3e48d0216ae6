package dev.tracedb.recorder.dbi;

import java.nio.ByteBuffer;

/**
 * The sink of an expansion: everything goes to the run's log as in a recording, and each signal
 * delivery is first matched against the inputs run ({@link ReplayedSyscalls#delivered}), so a
 * fault the recorded program did not have stops the expansion before it is logged.
 * Tracer thread only.
 */
final class ExpansionSink implements EventSink {
    private final EventSink log;
    private ReplayedSyscalls inputs;

    ExpansionSink(EventSink log) {
        this.log = log;
    }

    /** The inputs to match signals against (set once the session, which they need, exists). */
    void matchAgainst(ReplayedSyscalls inputs) {
        this.inputs = inputs;
    }

    @Override
    public void blockDefined(Fragment block) {
        log.blockDefined(block);
    }

    @Override
    public void executed(int[] ids, int count) {
        log.executed(ids, count);
    }

    @Override
    public void executed(ByteBuffer ids, Runnable written) {
        log.executed(ids, written);
    }

    @Override
    public void syscall(int number, long[] args, long result) {
        log.syscall(number, args, result);
    }

    @Override
    public void signal(int signo, int code, long address) {
        inputs.delivered(signo, code, address);
        log.signal(signo, code, address);
        inputs.logged();
    }

    @Override
    public void drained() {
        log.drained();
    }

    @Override
    public void probeSites(java.util.List<dev.tracedb.store.ProbeSite> sites, long firstEvent) {
        log.probeSites(sites, firstEvent);
    }

    @Override
    public void probed(long[] blockEvents, int[] sites, long[] values, int count, long coveredTo) {
        log.probed(blockEvents, sites, values, count, coveredTo);
    }

    @Override
    public void probeWindowEnd(long endEvent, boolean cutOff) {
        log.probeWindowEnd(endEvent, cutOff);
    }
}
