package dev.tracedb.cli;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.projection.Profile;
import dev.tracedb.store.projection.ProfileCache;
import dev.tracedb.store.query.CodeNames;
import dev.tracedb.store.query.Loops;
import dev.tracedb.store.query.RunCode;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code tracedb loops RUN}: hot loops (back edges) with trip counts and instructions per iteration. */
@Command(name = "loops", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show a run's hot loops, most instructions first.",
            "A loop is a header block reached by back edges: taken direct jumps or branches to the same or a lower",
            "offset of the same module. ITERATIONS are back edges taken, ENTRIES the times the loop started running",
            "(it stops when a back-edge source falls through or its function returns), TRIPS iterations per entry,",
            "INSNS PER ITER the measured instructions from one back edge to the next (calls and inner loops included,",
            "so nested loops overlap), INSTRUCTIONS those of the measured iterations (all but each entry's first)."})
final class LoopsCommand implements Callable<Integer> {

    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Mixin
    ExpandOption expand;

    @Mixin
    FormatOption format;

    @Parameters(paramLabel = "RUN", description = "A run id (r0001), a run name, or a unique prefix of either.")
    String run;

    @Mixin
    LimitOption limit;

    @Override
    public Integer call() {
        ResultTable.Format output = format.format();
        limit.check();
        PrintWriter out = spec.commandLine().getOut();
        try (OpenedRun opened = OpenedRun.openWithBlocks(root.databaseDirectory(), run, spec.commandLine().getErr(), expand).requireEvents()) {
            RunCode code = RunCode.read(opened.reader);
            Profile profile = ProfileCache.load(opened.reader);
            CodeNames names = CodeNames.of(code);
            long total = opened.reader.instructionCount();
            List<Loops.Loop> loops = Loops.find(opened.reader, code, profile);
            ResultTable table = new ResultTable("header", "where", "back_edges_from", "entries", "iterations", "trips",
                    "insns_per_iter", "instructions", "percent");
            for (Loops.Loop loop : limit.first(loops)) {
                table.row((long) loop.header(), describe(code, names, loop.header()),
                        Arrays.stream(loop.backEdgeSources()).limit(3)
                                .mapToObj(id -> id + " " + describe(code, names, id)).collect(Collectors.joining("; "))
                                + (loop.backEdgeSources().length > 3 ? "; …" : ""),
                        loop.entries(), loop.iterations(), loop.tripsPerEntry(), loop.instructionsPerIteration(),
                        loop.instructions(), 100.0 * loop.instructions() / total);
            }
            if (output == ResultTable.Format.TABLE) {
                out.println(opened.summary.id() + ": " + Formats.count(loops.size()) + " loops"
                        + (loops.size() > table.size() ? ", the " + table.size() + " hottest" : ""));
            }
            table.print(out, output, "");
        }
        return TraceDbCommand.EXIT_OK;
    }

    private static String describe(RunCode code, CodeNames names, int blockId) {
        BlockDefined b = code.block(blockId);
        return names.describe(b.moduleId(), b.offset());
    }
}
