package dev.tracedb.machine.linux;

/** A program could not be started: it does not exist, is not executable, or exec failed. */
public class LaunchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LaunchException(String message) {
        super(message);
    }

    public LaunchException(String message, Throwable cause) {
        super(message, cause);
    }
}
