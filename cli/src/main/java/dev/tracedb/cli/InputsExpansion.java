package dev.tracedb.cli;

import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.expand.Expander;
import dev.tracedb.store.ExpansionLinks;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunState;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.util.Optional;

/**
 * An inputs-only run expanded once: {@code tracedb expand}, or the first command that needs its
 * blocks, re-executes it ({@link Expander}) under the run's expansion lock and links it to the new
 * run ({@link ExpansionLinks}) once that run is complete; every later command reads the linked run.
 * A second command that finds the run being expanded waits for the lock and then finds the link;
 * a failed expansion links nothing, so the next command tries again. An inputs run whose recording
 * ended early is not expanded on first use: its expansion could only be incomplete, never linked.
 *
 * <p>Messages go to the command's stderr; stdout stays the command's own output.
 */
final class InputsExpansion {
    private final TraceDatabase db;
    private final PrintWriter err;

    /**
     * The run an expansion left to read.
     *
     * @param run     the expanded run
     * @param outcome the expansion made now; {@code null} if the run was expanded before
     */
    record Expanded(RunId run, RecordOutcome outcome) {
    }

    private dev.tracedb.recorder.ValueProbeOptions probes = dev.tracedb.recorder.ValueProbeOptions.NONE;

    /** Samples {@code probes} in the expansion (tracedb expand --probe). */
    InputsExpansion probing(dev.tracedb.recorder.ValueProbeOptions probes) {
        this.probes = probes;
        return this;
    }

    InputsExpansion(TraceDatabase db, PrintWriter err) {
        this.db = db;
        this.err = err;
    }

    /**
     * Opens {@code summary}'s run for a command that reads blocks: the run itself if it has them,
     * else the run that holds its expansion, expanding it now if it was not (unless {@code option}
     * refuses). The caller closes the reader.
     */
    static RunReader openWithBlocks(TraceDatabase db, RunSummary summary, ExpandOption option, PrintWriter err) {
        Optional<RunId> linked = db.expansions().expandedAs(summary.id());
        if (linked.isPresent()) {
            note(err, "tracedb: note: " + summary.id() + " holds inputs only; reading " + linked.get() + ", its expansion");
            return db.openRun(linked.get());
        }
        RunReader reader = db.openRun(summary.id());
        if (!reader.info().inputsOnly()) return reader;
        reader.close();
        if (option.refuses()) {
            throw new IllegalStateException("run " + summary.id() + " holds its inputs only and is not expanded yet (--no-expand or $"
                    + ExpandOption.ENVIRONMENT + " refuses to expand it here): tracedb expand " + summary.id());
        }
        if (summary.state() == RunState.INCOMPLETE) {
            // Its expansion can only stop where the recording stopped, incomplete, and is never
            // linked: expanding on first use would expand it again at every command.
            throw new IllegalStateException("run " + summary.id() + " holds its inputs only and its recording ended early"
                    + " (incomplete): its expansion would be incomplete too, so it is not expanded on first use;"
                    + " tracedb expand " + summary.id() + " makes that partial run once, to read by its id");
        }
        Expanded expanded = new InputsExpansion(db, err).expand(summary, summary.name() + "-expanded", false, true, true);
        return db.openRun(expanded.run());
    }

    /**
     * Expands {@code inputs} into a new run named {@code name} ({@code null}: the program's file
     * name) and links it, unless ({@code again} false) it is linked already, or becomes linked
     * while this waits for another command's expansion.
     *
     * @param announce say on stderr, once the new run exists, that this command is expanding it
     * @param showProgress the expansion's progress line (when stderr is a terminal) and summary line
     */
    Expanded expand(RunSummary inputs, String name, boolean again, boolean announce, boolean showProgress) {
        if (inputs.state() == RunState.RECORDING) {
            throw new IllegalStateException("run " + inputs.id() + " is still being recorded: it can be expanded once its"
                    + " recording ends");
        }
        ExpansionLinks links = db.expansions();
        Optional<ExpansionLinks.Lock> free = links.tryLock(inputs.id());
        if (free.isEmpty()) {
            note(err, "tracedb: " + inputs.id() + " is being expanded by another command; waiting for it...");
        }
        try (ExpansionLinks.Lock ignored = free.orElseGet(() -> links.lock(inputs.id()))) {
            Optional<RunId> linked = links.expandedAs(inputs.id());
            if (linked.isPresent() && !again) {
                if (free.isEmpty()) {
                    note(err, "tracedb: note: " + inputs.id() + " holds inputs only; reading " + linked.get() + ", its expansion");
                }
                return new Expanded(linked.get(), null);
            }
            Progress progress = new Progress();
            Thread display = showProgress && Terminals.stderrIsTerminal() ? RecordCommand.startProgressLine(progress, err) : null;
            RecordOutcome outcome;
            try {
                outcome = new Expander(db, line -> note(err, "tracedb: " + line)).probing(probes).expand(inputs.id(), name, progress, created -> {
                    if (announce) {
                        note(err, "tracedb: " + inputs.id() + " holds inputs only; expanding it into " + created + " (once)...");
                    }
                });
            } finally {
                RecordCommand.stop(display, err);
            }
            links.link(inputs.id(), outcome.runId());
            if (showProgress) note(err, ExpandCommand.summary(inputs, outcome));
            return new Expanded(outcome.runId(), outcome);
        }
    }

    private static void note(PrintWriter err, String line) {
        synchronized (err) {
            err.println(line);
            err.flush();
        }
    }
}
