package dev.tracedb.recorder.dbi;

import dev.tracedb.recorder.RecordingStoppedException;

/**
 * The re-executed program did not do what the inputs run recorded (another syscall, another
 * result from a call that really runs, a signal where none was): the expansion stops there and
 * the expanded run is left incomplete. The message is one line for the user.
 */
public final class ExpansionDivergedException extends RecordingStoppedException {
    private static final long serialVersionUID = 1L;

    public ExpansionDivergedException(String message) {
        super(message);
    }
}
