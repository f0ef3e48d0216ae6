package dev.tracedb.store.export;

import dev.tracedb.store.StoreException;

/** An export could not be written (no such directory, not writable, disk full); nothing was replaced. */
public final class ExportException extends StoreException {
    private static final long serialVersionUID = 1L;

    public ExportException(String message, Throwable cause) {
        super(message, cause);
    }
}
