package dev.tracedb.recorder.dbi;

import dev.tracedb.recorder.RecordingStoppedException;

/**
 * The program did something the DBI engine does not handle yet (an instruction, a system call, a
 * signal with a handler, ...). Recording stops at that point, before the program could run
 * wrongly; the message says what and where.
 */
public final class UnsupportedProgramException extends RecordingStoppedException {
    private static final long serialVersionUID = 1L;

    public UnsupportedProgramException(String message) {
        super(message);
    }

    public UnsupportedProgramException(String message, Throwable cause) {
        super(message, cause);
    }
}
