package dev.tracedb.cli;

import dev.tracedb.store.RunId;
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
        requireBlocks(reader);
        if (reader.blockEventCount() == 0) {
            throw new IllegalStateException("run " + summary.id() + " has no block events: nothing was executed "
                    + "while it was recording" + (reader.isComplete() ? "" : " (and it is incomplete)"));
        }
        return this;
    }

    /**
     * Opens run {@code id} for a command that reads its blocks (replay, verify, compile, ...),
     * refusing an inputs-only run ({@link #requireBlocks}).
     */
    static RunReader openWithBlocks(TraceDatabase db, RunId id) {
        RunReader reader = db.openRun(id);
        try {
            requireBlocks(reader);
            return reader;
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    /** The one refusal of an inputs-only run by every command that needs blocks: it must be expanded first. */
    static void requireBlocks(RunReader reader) {
        if (reader.info().inputsOnly()) {
            throw new IllegalStateException("run " + reader.id() + " holds its inputs only; expand it first: tracedb expand "
                    + reader.id());
        }
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
