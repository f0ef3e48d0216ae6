package dev.tracedb.store.format;

/**
 * Bytes do not decode as an event of this format. Carries no file or position: the layer that
 * read the bytes knows those and wraps this into a {@link dev.tracedb.store.CorruptLogException}.
 */
public class FormatException extends Exception {
    public FormatException(String message) {
        super(message);
    }

    public FormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
