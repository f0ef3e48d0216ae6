package dev.tracedb.recorder.dbi;

import dev.tracedb.recorder.ChildProcesses;
import dev.tracedb.recorder.SteppedAside;

/**
 * Thrown by {@link MissHandler} at the vetting trap of a {@code clone}/{@code clone3} with
 * {@code CLONE_THREAD}, before the call runs. Not a refusal: {@link DbiSession} steps aside and the
 * program goes on natively, correctly. {@link OriginalPoint#forDetach} places the tracee on the
 * original {@code syscall} (the block's event taken back and the prefix before it logged, as the
 * step engine logs it), rax still the call's number, so the clone runs natively once detached and
 * is not in the log; the views are unmapped and the process detached.
 */
final class ThreadStarting extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ThreadStarting(long number) {
        super(SteppedAside.threadStartingReason(ChildProcesses.callName(number)), null, false, false);
    }
}
