package dev.tracedb.cli;

import dev.tracedb.store.projection.ProfileCache;
import dev.tracedb.store.query.CodeNames;
import dev.tracedb.store.query.HotCode;
import dev.tracedb.store.query.RunCode;
import dev.tracedb.store.query.RunDiff;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code tracedb diff RUN_A RUN_B}: where two runs differ in profile, and where their streams part. */
@Command(name = "diff", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare two runs of one program: where their streams part and how their profiles differ.",
            "The first instruction at which the streams differ, then the functions whose instruction counts differ,",
            "biggest change first. Code is matched by module path and offset, so the runs may have been loaded",
            "at other addresses."})
final class DiffCommand implements Callable<Integer> {

    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Mixin
    ExpandOption expand;

    @Mixin
    FormatOption format;

    @Parameters(index = "0", paramLabel = "RUN_A", description = "The first run.")
    String runA;

    @Parameters(index = "1", paramLabel = "RUN_B", description = "The second run.")
    String runB;

    @Mixin
    LimitOption limit;

    @Override
    public Integer call() {
        ResultTable.Format output = format.format();
        limit.check();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (OpenedRun a = OpenedRun.openWithBlocks(root.databaseDirectory(), runA, err, expand).requireEvents();
             OpenedRun b = OpenedRun.openWithBlocks(root.databaseDirectory(), runB, err, expand).requireEvents()) {
            if (!a.reader.started().program().equals(b.reader.started().program())) {
                err.println("tracedb: note: the runs are of different programs (" + a.reader.started().program() + ", "
                        + b.reader.started().program() + "); comparing anyway");
            }
            RunCode codeA = RunCode.read(a.reader);
            RunCode codeB = RunCode.read(b.reader);
            CodeNames namesA = CodeNames.of(codeA);
            CodeNames namesB = CodeNames.of(codeB);
            List<RunDiff.Change> changes = RunDiff.profile(new HotCode(codeA, ProfileCache.load(a.reader), namesA),
                    new HotCode(codeB, ProfileCache.load(b.reader), namesB));
            Optional<RunDiff.Divergence> divergence = RunDiff.firstDivergence(a.reader, codeA, namesA, b.reader, codeB, namesB);
            ResultTable table = new ResultTable("function", "module", "instructions_a", "instructions_b", "delta");
            for (RunDiff.Change c : limit.first(changes)) {
                table.row(c.name(), c.module(), c.instructionsA(), c.instructionsB(), c.delta());
            }
            if (output == ResultTable.Format.TABLE) {
                out.println(a.summary.id() + ": " + Formats.count(a.reader.instructionCount()) + " instructions; "
                        + b.summary.id() + ": " + Formats.count(b.reader.instructionCount()) + " instructions");
                out.println(divergence.map(d -> "streams part at instruction " + Formats.count(d.instruction()) + ": "
                        + a.summary.id() + " " + position(d.blockEventA()) + " " + d.whereA() + ", "
                        + b.summary.id() + " " + position(d.blockEventB()) + " " + d.whereB())
                        .orElse("streams identical: the same instructions in the same order"));
                out.println(changes.isEmpty() ? "profiles identical" : Formats.count(changes.size())
                        + " functions differ" + (changes.size() > table.size() ? ", the " + table.size() + " biggest changes:" : ":"));
                if (!changes.isEmpty()) table.print(out, output, "");
            } else if (output == ResultTable.Format.JSON) {
                out.println("{\"divergence\": " + divergence.map(d -> "{\"instruction\": " + d.instruction()
                        + ", \"block_event_a\": " + d.blockEventA() + ", \"block_event_b\": " + d.blockEventB()
                        + ", \"where_a\": " + ResultTable.jsonString(d.whereA())
                        + ", \"where_b\": " + ResultTable.jsonString(d.whereB()) + "}").orElse("null") + ", \"changes\":");
                table.print(out, output, "");
                out.println("}");
            } else {
                table.print(out, output, "");
            }
        }
        out.flush();
        return TraceDbCommand.EXIT_OK;
    }

    private static String position(long blockEvent) {
        return blockEvent < 0 ? "(ended)" : "(block event " + Formats.count(blockEvent) + ")";
    }
}
