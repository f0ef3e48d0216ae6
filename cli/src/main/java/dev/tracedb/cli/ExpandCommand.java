package dev.tracedb.cli;

import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Optional;
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
 * new ordinary run, linked to the inputs run ({@link InputsExpansion}); prints the new run's id on
 * stdout. An inputs run expanded already prints its expanded run's id, unless {@code --again}. The
 * inputs run's log is only read. The program's output is not produced again (its writes are
 * emulated).
 */
@Command(name = "expand", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Expand an inputs-only run (record --engine inputs) into a full log, as a new run.",
            "It re-executes the program under the dbi engine, fed with the run's recorded syscall results,",
            "rdtsc values and signals, and writes the full log (blocks, stream, syscalls, signals).",
            "Needs the same machine and the same program files. Prints the new run's id.",
            "The inputs run is linked to the new run, which the commands that read blocks",
            "(replay, verify, compile, ...) then read; they expand an inputs run that is not",
            "expanded yet themselves (see their --no-expand). A run expanded already is not",
            "expanded again (the id of the run that holds it is printed) unless --again."})
final class ExpandCommand implements Callable<Integer> {

    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--name", paramLabel = "NAME", description = "A name for the new run (default: the program's file name).")
    String name;

    @Option(names = "--again", description = "Expand it even if it was expanded before; the inputs run is then linked"
            + " to the new run (without --again, the expanded run's id is printed and nothing is done).")
    boolean again;

    @Option(names = "--probe", paramLabel = "MODULE+0xOFF",
            description = "Value probe: sample the destination register of the instruction at this offset of this module each time it runs (repeatable); implies --again: a new expansion holds the samples.")
    java.util.List<String> probeSites = new java.util.ArrayList<>();

    @Option(names = "--probes", paramLabel = "FILE", description = "Value probes, one MODULE+0xOFF a line.")
    java.nio.file.Path probesFile;

    @Option(names = "--probe-budget", paramLabel = "N", defaultValue = "4000000", description = "Samples kept at most (default 4,000,000).")
    long probeBudget;

    @Option(names = "--quiet", description = "No summary line and no progress line.")
    boolean quiet;

    @Parameters(paramLabel = "RUN", description = "The inputs-only run: an id (r0001), a name, or a unique prefix of either.")
    String run;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (TraceDatabase db = DatabaseAccess.openExisting(root.databaseDirectory())) {
            dev.tracedb.recorder.ValueProbeOptions probes = ProbeArguments.parse(spec, probeSites, probesFile, probeBudget);
            RunSummary inputs = db.resolve(run);
            Optional<RunId> linked = db.expansions().expandedAs(inputs.id());
            boolean anew = again || probes.any();
            if (linked.isEmpty() || anew) {
                linked = Optional.of(new InputsExpansion(db, err).probing(probes).expand(inputs, name, anew, false, !quiet).run());
            } else if (!quiet) {
                err.println("tracedb: " + inputs.id() + " is expanded already, as " + linked.get()
                        + " (tracedb expand --again " + inputs.id() + " expands it once more)");
                err.flush();
            }
            out.println(linked.get());
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
