package dev.tracedb.recorder;

/**
 * The program did something the engine cannot record (yet): an instruction the decoder does not
 * know, a process created with CLONE_UNTRACED. The message says what and where, for
 * the user. The {@link Recorder} kills the program and leaves the run incomplete: recording stops
 * cleanly rather than let the program run on unrecorded or record it wrongly. (Code in anonymous
 * memory is {@link RunTimeCodeReached}, at which the recording engines step aside instead.)
 */
public class RecordingStoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RecordingStoppedException(String message) {
        super(message);
    }

    public RecordingStoppedException(String message, Throwable cause) {
        super(message, cause);
    }
}
