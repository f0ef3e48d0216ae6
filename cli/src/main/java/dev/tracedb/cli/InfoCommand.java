package dev.tracedb.cli;

import dev.tracedb.store.ExpansionLinks;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunInfo;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code tracedb info RUN}: one run's program, machine, totals, completeness and modules. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show one run: what ran, on which machine, how it ended, its totals and modules. "
                + "Reads the whole log once and checks every event's checksum on the way.")
final class InfoCommand implements Callable<Integer> {

    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN", description = "A run id (r0001), a run name, or a unique prefix of either.")
    String run;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (TraceDatabase db = DatabaseAccess.openExisting(root.databaseDirectory())) {
            RunSummary summary = db.resolve(run);
            try (RunReader reader = db.openRun(summary.id())) {
                ExpansionLinks links = db.expansions();
                print(out, summary, reader.info(), ModuleTotals.of(reader), links.expandedAs(summary.id()),
                        links.expandedFrom(summary.id()), reader.probes());
            }
        }
        return TraceDbCommand.EXIT_OK;
    }

    private static void print(PrintWriter out, RunSummary summary, RunInfo info, ModuleTotals totals,
                              Optional<RunId> expandedAs, Optional<RunId> expandedFrom,
                              Optional<dev.tracedb.store.ProbeWindow> probes) {
        RunStarted started = info.started();
        Table facts = Table.facts();
        facts.row("run", summary.id() + " (" + summary.name() + ")");
        facts.row("state", state(info));
        facts.row("program", Formats.commandLine(started.argv()));
        facts.row("cwd", started.cwd());
        facts.row("environment", started.environment().size() + " variables");
        facts.row("machine", started.machine().hostname() + ", " + started.machine().cpuModel());
        facts.row("kernel", started.machine().kernel());
        facts.row("started", Formats.time(started.startTime()));
        info.end().ifPresent(end -> facts.row("ended", Formats.time(end.endTime()) + " (after "
                + Formats.duration(Duration.between(started.startTime(), end.endTime())) + ")"));
        if (info.inputsOnly()) {
            // No blocks to count: say what the log holds and how to get the rest.
            facts.row("log", "the program's inputs only (record --engine inputs): syscall results with the bytes they"
                    + " wrote, rdtsc values, signals; tracedb expand " + summary.id() + " rebuilds its blocks");
            facts.row("expanded", expandedAs.map(run -> "as " + run + " (the commands that read blocks read it)")
                    .orElse("not yet (the first command that reads blocks expands it, once)"));
        } else {
            expandedFrom.ifPresent(inputs -> facts.row("expanded", "from " + inputs + ", whose inputs it re-executed"));
            facts.row("block events", Formats.count(info.blockEvents()) + " in " + Formats.count(info.batches())
                    + " batches, " + Formats.bytes(info.encodedBytes())
                    + String.format(Locale.ROOT, " (%.3f bytes/event)", info.bytesPerBlockEvent()));
            facts.row("instructions", Formats.count(info.instructions()));
            facts.row("blocks", Formats.count(info.blocksDefined()) + " distinct");
        }
        facts.row("syscalls", Formats.count(info.syscalls()));
        facts.row("signals", Formats.count(info.signals()));
        // Only runs recorded with probes have the row: the others print as before.
        probes.ifPresent(w -> facts.row("value probes", w.sites().size() + " site" + (w.sites().size() == 1 ? "" : "s")
                + " (" + w.sites().stream().map(Object::toString).collect(java.util.stream.Collectors.joining(", "))
                + "), block events " + Formats.count(w.firstEvent()) + " to " + Formats.count(w.endEvent()) + ", "
                + Formats.count(w.samples()) + " samples" + (w.cutOff() ? ", cut off by the sample budget" : "")));
        facts.print(out, "");

        if (info.inputsOnly()) return;
        out.println();
        if (info.modules().isEmpty()) {
            out.println("modules: none recorded");
            return;
        }
        out.println("modules:");
        Table modules = new Table("ID", "BASE", "SIZE", "INSTRUCTIONS", "%", "BUILD-ID", "PATH")
                .alignRight(0).alignRight(2).alignRight(3).alignRight(4);
        HexFormat hex = HexFormat.of();
        for (ModuleMapped module : info.modules()) {
            byte[] buildId = module.buildId();
            long executed = totals.instructions(module.moduleId());
            modules.row(module.moduleId(), Formats.hex(module.base()), Formats.bytes(module.size()), Formats.count(executed),
                    info.instructions() == 0 ? "-" : String.format(Locale.ROOT, "%.1f", 100.0 * executed / info.instructions()),
                    buildId.length == 0 ? "-" : hex.formatHex(buildId), module.path());
        }
        modules.print(out, "  ");
    }

    private static String state(RunInfo info) {
        if (info.complete()) {
            RunEnded end = info.ended();
            return "complete, " + end.status();
        }
        if (info.inputsOnly()) {
            return "INCOMPLETE: the inputs recording ended early (it stepped aside, or the recorder was killed); "
                    + "its inputs up to then are readable";
        }
        return "INCOMPLETE: the recording never ended (recorder killed or stopped); readable up to its last complete batch, "
                + "block event " + Formats.count(info.blockEvents()) + " (instruction " + Formats.count(info.instructions()) + ")";
    }
}
