package dev.tracedb.store.internal;

import dev.tracedb.store.TraceDatabase;

import java.nio.file.Path;

/** A second process for {@link JournalSharingTest}: opens the database (importing journals), lists it, exits. */
public final class OpenDatabaseMain {
    public static void main(String[] args) {
        try (TraceDatabase db = TraceDatabase.open(Path.of(args[0]))) {
            System.out.println("RUNS " + db.runs().size());
        }
    }
}
