package dev.tracedb.cli;

import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code tracedb replay RUN}: the instructions the program executed, one line each, reconstructed
 * from the log alone: the instruction's index in the run, its module and offset, and with
 * {@code --disasm} its text as decoded from the logged bytes at the original address. The same log
 * always prints the same bytes. A {@code rep} string instruction appears once per execution.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Print the instructions a run executed, from its log alone: INDEX MODULE+OFFSET [TEXT].",
            "A rep-prefixed string instruction is one line per execution, however many iterations it made."})
final class ReplayCommand implements Callable<Integer> {

    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Mixin
    ExpandOption expand;

    @Parameters(paramLabel = "RUN", description = "A run id (r0001), a run name, or a unique prefix of either.")
    String run;

    @Option(names = "--from", paramLabel = "N", defaultValue = "0", description = "Start at instruction N (0-based).")
    long from;

    @Option(names = "--count", paramLabel = "M", defaultValue = "-1", description = "Print at most M instructions (default: all).")
    long count;

    @Option(names = "--disasm", description = "Add each instruction's Intel-syntax text.")
    boolean disasm;

    /** Ends a replay early once the requested range has been printed. */
    private static final class Done extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Done() {
            super(null, null, false, false);
        }
    }

    @Override
    public Integer call() {
        if (from < 0) {
            throw new IllegalArgumentException("--from must be >= 0, not " + from);
        }
        PrintWriter out = spec.commandLine().getOut();
        long end = count < 0 ? Long.MAX_VALUE : from + count;
        try (TraceDatabase db = DatabaseAccess.openExisting(root.databaseDirectory())) {
            RunSummary summary = db.resolve(run);
            try (RunReader reader = OpenedRun.openWithBlocks(db, summary, expand, spec.commandLine().getErr()); LoggedCode code = new LoggedCode()) {
                if (from >= reader.instructionCount() || count == 0) {
                    if (from > 0 && from >= reader.instructionCount()) {
                        throw new IllegalArgumentException("run " + reader.id() + " has "
                                + Formats.count(reader.instructionCount()) + " instructions; --from " + from + " is past its end");
                    }
                    return TraceDbCommand.EXIT_OK;
                }
                Optional<ExecBatchHeader> first = reader.batchAtInstruction(from);
                try {
                    reader.replayFrom(first.orElseThrow(), new Printer(out, code, end));
                } catch (Done done) {
                    // the requested range is printed
                }
            }
        }
        out.flush();
        return TraceDbCommand.EXIT_OK;
    }

    private final class Printer implements EventVisitor {
        private final PrintWriter out;
        private final LoggedCode code;
        private final long end;
        private final StringBuilder line = new StringBuilder(96);

        Printer(PrintWriter out, LoggedCode code, long end) {
            this.out = out;
            this.code = code;
            this.end = end;
        }

        @Override
        public void moduleMapped(ModuleMapped event) {
            code.moduleMapped(event);
        }

        @Override
        public void blockDefined(BlockDefined event) {
            code.blockDefined(event);
        }

        @Override
        public void execBatch(ExecBatchHeader header, int[] blockIds) {
            long index = header.firstInstruction();
            for (int i = 0; i < header.eventCount(); i++) {
                LoggedCode.Code block = code.code(blockIds[i]);
                if (index + block.instructions().size() <= from) {
                    index += block.instructions().size();
                    continue;
                }
                for (Instruction insn : block.instructions()) {
                    if (index >= end) {
                        throw new Done();
                    }
                    if (index >= from) {
                        print(index, block, insn);
                    }
                    index++;
                }
            }
        }

        private void print(long index, LoggedCode.Code block, Instruction insn) {
            line.setLength(0);
            line.append(index).append("  ").append(block.where(insn.address()));
            if (disasm) {
                line.append("  ").append(insn.text());
            }
            out.println(line);
        }
    }
}
