package dev.tracedb.store;

/** Base of the store's unchecked exceptions; also wraps I/O failures of the underlying files. */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
