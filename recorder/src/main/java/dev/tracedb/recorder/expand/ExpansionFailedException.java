package dev.tracedb.recorder.expand;

import dev.tracedb.store.RunId;

/**
 * An expansion stopped after its run was created (a divergence from the inputs run, something the
 * engine refuses, the inputs ending first): the program was killed and the new run left
 * incomplete. The message is one line: the reason and the run.
 */
public final class ExpansionFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient RunId runId;

    public ExpansionFailedException(RunId runId, String reason, Throwable cause) {
        super(reason + " (expanded run " + runId + " left incomplete)", cause);
        this.runId = runId;
    }

    /** The incomplete expanded run. */
    public RunId runId() {
        return runId;
    }
}
