package dev.tracedb.cli;

import dev.tracedb.store.RunSummary;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code tracedb runs}: the runs in the database, oldest first, from the catalog alone. */
@Command(name = "runs", mixinStandardHelpOptions = true,
        description = "List the runs in the database, oldest first.")
final class RunsCommand implements Callable<Integer> {

    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (TraceDatabase db = DatabaseAccess.openExisting(root.databaseDirectory())) {
            List<RunSummary> runs = db.runs();
            if (runs.isEmpty()) {
                out.println("no runs in " + db.directory());
                return TraceDbCommand.EXIT_OK;
            }
            Table table = new Table("RUN", "NAME", "STATE", "EXIT", "STARTED", "DURATION", "PROGRAM").alignRight(5);
            for (RunSummary run : runs) {
                table.row(run.id(), run.name(), run.state().name().toLowerCase(),
                        run.exitStatus().map(Object::toString).orElse("-"),
                        Formats.time(run.startTime()),
                        run.end().map(end -> Formats.duration(java.time.Duration.between(run.startTime(), end))).orElse("-"),
                        run.program());
            }
            table.print(out, "");
        }
        return TraceDbCommand.EXIT_OK;
    }
}
