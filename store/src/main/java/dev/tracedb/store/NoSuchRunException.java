package dev.tracedb.store;

/** A run reference (id, name or prefix) matched no run, or more than one. The message says which. */
public class NoSuchRunException extends StoreException {
    public NoSuchRunException(String message) {
        super(message);
    }
}
