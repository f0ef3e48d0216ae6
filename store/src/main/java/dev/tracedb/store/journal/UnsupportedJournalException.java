package dev.tracedb.store.journal;

import dev.tracedb.store.StoreException;

import java.nio.file.Path;

/**
 * A journal with a well-formed header of a version this build does not read: written by a newer
 * (or older) recorder. Not damage, so the journal is left where it is for a build that reads it.
 */
public class UnsupportedJournalException extends StoreException {
    private final int version;

    public UnsupportedJournalException(Path file, int version) {
        super("journal " + file + " has format version " + version + "; this build reads version "
                + JournalFormat.VERSION + " only (left in place for a tracedb that reads it)");
        this.version = version;
    }

    public int version() {
        return version;
    }
}
