package dev.tracedb.cli;

import dev.tracedb.store.projection.Profile;
import dev.tracedb.store.projection.ProfileCache;
import dev.tracedb.store.query.CodeNames;
import dev.tracedb.store.query.HotCode;
import dev.tracedb.store.query.Loops;
import dev.tracedb.store.query.RunCode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code tracedb top RUN}: where the instructions went, by block, function, module or loop. */
@Command(name = "top", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show where a run's instructions went: by block, function (default), module or loop.",
            "Names come from the modules' ELF symbols when the file on disk has the recorded build-id;",
            "code no symbol covers is named MODULE+0xOFFSET."})
final class TopCommand implements Callable<Integer> {

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

    @Option(names = "--by", paramLabel = "WHAT", defaultValue = "function", description = "block, function, module or loop.")
    String by;

    @Mixin
    LimitOption limit;

    @Override
    public Integer call() {
        ResultTable.Format output = format.format();
        String grouping = by.toLowerCase(Locale.ROOT);
        if (!List.of("block", "function", "module", "loop").contains(grouping)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "unknown grouping '" + by + "' (choose from block, function, module, loop)");
        }
        limit.check();
        PrintWriter out = spec.commandLine().getOut();
        try (OpenedRun opened = OpenedRun.openWithBlocks(root.databaseDirectory(), run, spec.commandLine().getErr(), expand).requireEvents()) {
            RunCode code = RunCode.read(opened.reader);
            Profile profile = ProfileCache.load(opened.reader);
            CodeNames names = CodeNames.of(code);
            HotCode hot = new HotCode(code, profile, names);
            long total = hot.totalInstructions();
            ResultTable table = grouping.equals("loop") ? loops(opened, code, profile, names, total) : entries(hot, grouping, total);
            if (output == ResultTable.Format.TABLE) {
                out.println(opened.summary.id() + ": " + Formats.count(total) + " instructions in "
                        + Formats.count(profile.blockEvents()) + " block events, by " + grouping);
            }
            table.print(out, output, "");
        }
        return TraceDbCommand.EXIT_OK;
    }

    private ResultTable entries(HotCode hot, String grouping, long total) {
        List<HotCode.Entry> entries = switch (grouping) {
            case "block" -> hot.byBlock();
            case "module" -> hot.byModule();
            default -> hot.byFunction();
        };
        ResultTable table = switch (grouping) {
            case "block" -> new ResultTable("block", "where", "module", "instructions", "percent", "executions");
            case "module" -> new ResultTable("module", "instructions", "percent", "block_events", "blocks");
            default -> new ResultTable("function", "module", "instructions", "percent", "block_events", "blocks");
        };
        for (HotCode.Entry e : limit.first(entries)) {
            double percent = 100.0 * e.instructions() / total;
            if (grouping.equals("block")) {
                table.row((long) e.blockId(), e.name(), e.module(), e.instructions(), percent, e.blockEvents());
            } else if (grouping.equals("module")) {
                table.row(e.name(), e.instructions(), percent, e.blockEvents(), (long) e.blocks());
            } else {
                table.row(e.name(), e.module(), e.instructions(), percent, e.blockEvents(), (long) e.blocks());
            }
        }
        return table;
    }

    private ResultTable loops(OpenedRun opened, RunCode code, Profile profile, CodeNames names, long total) {
        ResultTable table = new ResultTable("header", "where", "instructions", "percent", "iterations", "insns_per_iter");
        for (Loops.Loop loop : limit.first(Loops.find(opened.reader, code, profile))) {
            var block = code.block(loop.header());
            table.row((long) loop.header(), names.describe(block.moduleId(), block.offset()), loop.instructions(),
                    100.0 * loop.instructions() / total, loop.iterations(), loop.instructionsPerIteration());
        }
        return table;
    }
}
