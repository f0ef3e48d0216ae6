package dev.tracedb.cli;

import dev.tracedb.store.TraceDatabase;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the database for commands that only read: a missing directory is an error, never created. */
final class DatabaseAccess {

    private DatabaseAccess() {}

    static TraceDatabase openExisting(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new IllegalStateException("no trace database at " + directory
                    + " (record a run first, or point --db / $TRACEDB_HOME at one)");
        }
        return TraceDatabase.open(directory);
    }
}
