package dev.tracedb.recorder.dbi;

import dev.tracedb.recorder.ChildProcesses;
import dev.tracedb.recorder.CodeWrites;

/**
 * Thrown by {@link MissHandler} at a syscall's vetting trap, before the call runs, when the
 * recording steps aside there: a {@code clone}/{@code clone3} with {@code CLONE_THREAD}
 * ({@link ChildProcesses}), or a call that lets the program write its own code
 * ({@link CodeWrites}). Not a refusal: {@link DbiSession} steps aside and the program goes on
 * natively, correctly. {@link OriginalPoint#forDetach} places the tracee on the original
 * {@code syscall} (the block's event taken back and the prefix before it logged, as the step
 * engine logs it), rax still the call's number, so the call runs natively once detached and is
 * not in the log; the views are unmapped and the process detached. The message is the one line
 * for the user.
 */
final class AsideBeforeSyscall extends RuntimeException {
    private static final long serialVersionUID = 1L;

    AsideBeforeSyscall(String reason) {
        super(reason, null, false, false);
    }
}
