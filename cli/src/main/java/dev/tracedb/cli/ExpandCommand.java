package dev.tracedb.cli;

import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.expand.Expander;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code tracedb expand RUN}: rebuilds the full log of an inputs-only run ({@code record --engine
 * inputs}) by re-executing its program under the DBI engine fed with the recorded inputs, into a
 * new ordinary run; prints the new run's id on stdout. The inputs run is only read. The program's
 * output is not produced again (its writes are emulated).
 */
@Command(name = "expand", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Re-execute an inputs-only run (record --engine inputs) under the dbi engine,",
            "fed with its recorded syscall results, rdtsc values and signals, and write",
            "the full log (blocks, stream, syscalls, signals) as a new run.",
            "Needs the same machine and the same program files. Prints the new run's id."})
final class ExpandCommand implements Callable<Integer> {

    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--name", paramLabel = "NAME", description = "A name for the new run (default: the program's file name).")
    String name;

    @Option(names = "--quiet", description = "No summary line and no progress line.")
    boolean quiet;

    @Parameters(paramLabel = "RUN", description = "The inputs-only run: an id (r0001), a name, or a unique prefix of either.")
    String run;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (TraceDatabase db = DatabaseAccess.openExisting(root.databaseDirectory())) {
            RunSummary inputs = db.resolve(run);
            Progress progress = new Progress();
            Thread display = !quiet && Terminals.stderrIsTerminal() ? RecordCommand.startProgressLine(progress, err) : null;
            RecordOutcome outcome;
            try {
                outcome = new Expander(db).expand(inputs.id(), name, progress);
            } finally {
                RecordCommand.stop(display, err);
            }
            if (!quiet) {
                err.println(summary(inputs, outcome));
                err.flush();
            }
            out.println(outcome.runId());
            out.flush();
            return TraceDbCommand.EXIT_OK;
        }
    }

    static String summary(RunSummary inputs, RecordOutcome o) {
        double seconds = Math.max(o.elapsed().toNanos(), 1) / 1e9;
        return String.format(Locale.ROOT, "tracedb: expanded %s into %s: %s instructions, %s block events, %s blocks, %s, %s"
                        + " (%s instructions/s)",
                inputs.id(), o.runId(), Formats.count(o.instructions()), Formats.count(o.blockEvents()),
                Formats.count(o.blocks()), o.status(), Formats.duration(o.elapsed()),
                Formats.count((long) (o.instructions() / seconds)));
    }
}
