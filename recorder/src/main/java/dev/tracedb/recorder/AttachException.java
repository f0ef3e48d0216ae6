package dev.tracedb.recorder;

/**
 * A running process cannot be recorded: it does not exist, we may not trace it, or it has more
 * than one thread. Nothing was created and the process was left as it was. The message is one
 * line for the user.
 */
public class AttachException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AttachException(String message) {
        super(message);
    }
}
