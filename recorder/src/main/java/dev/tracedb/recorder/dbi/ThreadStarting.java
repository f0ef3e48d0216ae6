package dev.tracedb.recorder.dbi;

import dev.tracedb.recorder.ChildProcesses;
import dev.tracedb.recorder.SteppedAside;

/**
 * Thrown by {@link MissHandler} at the vetting trap of a {@code clone}/{@code clone3} with
 * {@code CLONE_THREAD}, before the call runs: {@link DbiSession} catches it and steps aside (see
 * {@link DbiSession#stepAside}). Not a refusal: the program goes on natively, correctly.
 */
final class ThreadStarting extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ThreadStarting(long number) {
        super(SteppedAside.threadStartingReason(ChildProcesses.callName(number)), null, false, false);
    }
}
