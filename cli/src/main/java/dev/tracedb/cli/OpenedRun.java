package dev.tracedb.cli;

import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * One run opened for a read-only command: the database, the resolved run and its reader. An
 * incomplete run is said so on stderr (one line) and still answered from its complete batches;
 * commands about the execution stream refuse a run without block events.
 */
final class OpenedRun implements AutoCloseable {
    final TraceDatabase db;
    final RunSummary summary;
    final RunReader reader;

    private OpenedRun(TraceDatabase db, RunSummary summary, RunReader reader) {
        this.db = db;
        this.summary = summary;
        this.reader = reader;
    }

    static OpenedRun open(Path database, String reference, PrintWriter err) {
        TraceDatabase db = DatabaseAccess.openExisting(database);
        try {
            RunSummary summary = db.resolve(reference);
            RunReader reader = db.openRun(summary.id());
            if (!reader.isComplete()) {
                err.println("tracedb: note: " + summary.id() + " is incomplete (its recording never ended); answering from its "
                        + Formats.count(reader.blockEventCount()) + " block events up to the last complete batch");
                err.flush();
            }
            return new OpenedRun(db, summary, reader);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /** Refuses a run whose log holds no block event: there is no execution to ask about. */
    OpenedRun requireEvents() {
        if (reader.blockEventCount() == 0) {
            throw new IllegalStateException("run " + summary.id() + " has no block events: nothing was executed "
                    + "while it was recording" + (reader.isComplete() ? "" : " (and it is incomplete)"));
        }
        return this;
    }

    @Override
    public void close() {
        try {
            reader.close();
        } finally {
            db.close();
        }
    }
}
