package dev.tracedb.loader.stats;

/** A stats file or id that cannot be used; the message is one line naming the file or id. */
public final class TraceStatsException extends RuntimeException {
    public TraceStatsException(String message) {
        super(message);
    }

    public TraceStatsException(String message, Throwable cause) {
        super(message, cause);
    }
}
