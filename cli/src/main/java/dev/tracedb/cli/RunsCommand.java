package dev.tracedb.cli;

import dev.tracedb.loader.stats.TraceStats;
import dev.tracedb.loader.stats.TraceStatsDirectory;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code tracedb runs}: the runs in the database, oldest first, from the catalog alone; then the
 * trace stats that {@code tracedb run --stats} kept in the same database, if any.
 */
@Command(name = "runs", mixinStandardHelpOptions = true,
        description = {"List the runs in the database, oldest first.",
            "Once an inputs-only run is expanded, EXPANDED says which run holds its expansion (as rNNNN / from rNNNN);",
            "then the trace stats of tracedb run --stats (sNNNN: measured entries per trace of a cache)."})
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
            List<TraceStats> stats = TraceStatsDirectory.of(db.directory()).all();
            if (runs.isEmpty()) {
                out.println("no runs in " + db.directory());
                printStats(out, stats);
                return TraceDbCommand.EXIT_OK;
            }
            // The EXPANDED column only in a database that holds expanded inputs runs, so that others read as before.
            Map<RunId, RunId> expandedAs = db.expansions().all();
            Map<RunId, RunId> expandedFrom = new HashMap<>();
            expandedAs.forEach((inputs, expanded) -> expandedFrom.put(expanded, inputs));
            boolean links = !expandedAs.isEmpty();
            Table table = links ? new Table("RUN", "NAME", "STATE", "EXIT", "STARTED", "DURATION", "EXPANDED", "PROGRAM").alignRight(5)
                    : new Table("RUN", "NAME", "STATE", "EXIT", "STARTED", "DURATION", "PROGRAM").alignRight(5);
            for (RunSummary run : runs) {
                List<Object> row = new ArrayList<>(List.of(run.id(), run.name(), run.state().name().toLowerCase(),
                        run.exitStatus().map(Object::toString).orElse("-"),
                        Formats.time(run.startTime()),
                        run.end().map(end -> Formats.duration(java.time.Duration.between(run.startTime(), end))).orElse("-")));
                if (links) {
                    row.add(expandedAs.containsKey(run.id()) ? "as " + expandedAs.get(run.id())
                            : expandedFrom.containsKey(run.id()) ? "from " + expandedFrom.get(run.id()) : "-");
                }
                row.add(run.program());
                table.row(row.toArray());
            }
            table.print(out, "");
            printStats(out, stats);
        }
        return TraceDbCommand.EXIT_OK;
    }

    private static void printStats(PrintWriter out, List<TraceStats> stats) {
        if (stats.isEmpty()) return;
        out.println();
        out.println("trace stats (tracedb run --stats):");
        Table table = new Table("STATS", "STARTED", "DURATION", "APPLIED", "ENTERED", "ENTRIES", "COMPLETIONS",
                "SIDE EXITS", "CACHE", "COMMAND").alignRight(2).alignRight(3).alignRight(4).alignRight(5).alignRight(6)
                .alignRight(7);
        for (TraceStats s : stats) {
            table.row(s.id(), Formats.time(s.started()), Formats.duration(java.time.Duration.between(s.started(), s.ended())),
                    Formats.count(s.appliedCount()) + "/" + Formats.count(s.traces().size()), Formats.count(s.enteredCount()),
                    Formats.count(s.totalEntries()), Formats.count(s.totalCompletions()), Formats.count(s.totalExits()),
                    s.cache(), String.join(" ", s.args()));
        }
        table.print(out, "");
    }
}
