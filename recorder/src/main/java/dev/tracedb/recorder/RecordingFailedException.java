package dev.tracedb.recorder;

import dev.tracedb.store.RunId;

/**
 * Recording a program failed after its run was created: the program was killed and the run left
 * incomplete (readable up to the failure). The message names the run and the reason.
 */
public class RecordingFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient RunId runId;

    public RecordingFailedException(RunId runId, String reason, Throwable cause) {
        super("recording stopped: " + reason + " (run " + runId + " left incomplete, program killed)", cause);
        this.runId = runId;
    }

    /** The incomplete run. */
    public RunId runId() {
        return runId;
    }
}
