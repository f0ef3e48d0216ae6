package dev.tracedb.cli;

import dev.tracedb.store.NoSuchRunException;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * One run opened for a read-only command: the database, the resolved run and its reader. An
 * incomplete run is said so on stderr (one line) and still answered from its complete batches;
 * commands about the execution stream read an inputs-only run through its expansion
 * ({@link InputsExpansion}) and refuse a run without block events.
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

    /** Opens the run as it is: an inputs-only run is read as its inputs (for commands that read those, e.g. syscalls). */
    static OpenedRun open(Path database, String reference, PrintWriter err) {
        TraceDatabase db = DatabaseAccess.openExisting(database);
        try {
            return opened(db, db.openRun(db.resolve(reference).id()), err);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /**
     * Opens the run for a command that reads its blocks: an inputs-only run is read through its
     * expansion, made now (once) if there is none yet, unless {@code expand} refuses
     * ({@link InputsExpansion#openWithBlocks}).
     */
    static OpenedRun openWithBlocks(Path database, String reference, PrintWriter err, ExpandOption expand) {
        TraceDatabase db = DatabaseAccess.openExisting(database);
        try {
            return opened(db, InputsExpansion.openWithBlocks(db, db.resolve(reference), expand, err), err);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    private static OpenedRun opened(TraceDatabase db, RunReader reader, PrintWriter err) {
        try {
            RunSummary summary = db.find(reader.id()).orElseThrow(() -> new NoSuchRunException("no run " + reader.id()));
            if (!reader.isComplete()) {
                err.println("tracedb: note: " + summary.id() + " is incomplete (its recording never ended); answering from its "
                        + Formats.count(reader.blockEventCount()) + " block events up to the last complete batch");
                err.flush();
            }
            return new OpenedRun(db, summary, reader);
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    /** Refuses a run whose log holds no block event: there is no execution to ask about. */
    OpenedRun requireEvents() {
        if (reader.info().inputsOnly()) {
            throw new IllegalStateException("run " + summary.id() + " holds its inputs only: this needs its blocks");
        }
        if (reader.blockEventCount() == 0) {
            throw new IllegalStateException("run " + summary.id() + " has no block events: nothing was executed "
                    + "while it was recording" + (reader.isComplete() ? "" : " (and it is incomplete)"));
        }
        return this;
    }

    /**
     * Opens run {@code summary} for a command that reads its blocks (replay, verify, compile, ...),
     * through its expansion if it holds inputs only ({@link InputsExpansion#openWithBlocks}).
     */
    static RunReader openWithBlocks(TraceDatabase db, RunSummary summary, ExpandOption expand, PrintWriter err) {
        return InputsExpansion.openWithBlocks(db, summary, expand, err);
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
