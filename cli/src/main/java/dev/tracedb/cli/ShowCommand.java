package dev.tracedb.cli;

import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.projection.Profile;
import dev.tracedb.store.projection.ProfileCache;
import dev.tracedb.store.query.BlockReport;
import dev.tracedb.store.query.CodeNames;
import dev.tracedb.store.query.RunCode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code tracedb show RUN --block ID | --pc MODULE+OFFSET}: one block's code, neighbours and positions. */
@Command(name = "show", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show one block of a run: its code, its neighbours and where it ran first and last.",
            "The disassembly comes from the logged bytes; predecessors and successors carry edge counts;",
            "positions are block event and instruction indexes in the stream."})
final class ShowCommand implements Callable<Integer> {

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

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
        @Option(names = "--block", paramLabel = "ID", description = "The block with this id.")
        Integer block;

        @Option(names = "--pc", paramLabel = "MODULE+OFFSET",
                description = "The block holding this code, e.g. loops+0x1189 or libc.so.6+0x2a1c0 (module file name, path or id).")
        String pc;
    }

    @Override
    public Integer call() {
        ResultTable.Format output = format.format();
        PrintWriter out = spec.commandLine().getOut();
        try (OpenedRun opened = OpenedRun.openWithBlocks(root.databaseDirectory(), run, spec.commandLine().getErr(), expand).requireEvents()) {
            RunCode code = RunCode.read(opened.reader);
            List<Integer> candidates = which.block != null ? List.of(which.block) : blocksAt(code);
            int blockId = candidates.get(0);
            code.block(blockId); // an unknown id is one clear line
            Profile profile = ProfileCache.load(opened.reader);
            CodeNames names = CodeNames.of(code);
            BlockReport report = BlockReport.of(opened.reader, code, profile, blockId);
            switch (output) {
                case TABLE -> human(out, opened, code, names, report, candidates);
                case JSON -> json(out, code, names, report);
                case CSV -> neighbours(code, names, report).print(out, output, "");
            }
        }
        out.flush();
        return TraceDbCommand.EXIT_OK;
    }

    private List<Integer> blocksAt(RunCode code) {
        int plus = which.pc.lastIndexOf('+');
        if (plus <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pc wants MODULE+OFFSET (e.g. loops+0x1189), not " + which.pc);
        }
        String module = which.pc.substring(0, plus);
        String number = which.pc.substring(plus + 1);
        long offset;
        try {
            offset = number.startsWith("0x") ? Long.parseLong(number.substring(2), 16) : Long.parseLong(number);
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pc: '" + number + "' is not an offset (hex with 0x, or decimal)");
        }
        List<Integer> found = BlockReport.blocksAt(code, module, offset);
        if (found.isEmpty()) {
            throw new IllegalArgumentException("no block of the run holds " + which.pc + " (the code there never ran)");
        }
        return found;
    }

    private static String name(RunCode code, CodeNames names, int blockId) {
        BlockDefined b = code.block(blockId);
        return names.describe(b.moduleId(), b.offset());
    }

    private static void human(PrintWriter out, OpenedRun opened, RunCode code, CodeNames names, BlockReport r,
                              List<Integer> candidates) {
        BlockDefined b = r.block();
        String name = name(code, names, b.blockId());
        String where = code.where(b.moduleId(), b.offset());
        out.println(opened.summary.id() + " block " + b.blockId() + ": " + name + (name.equals(where) ? "" : " (" + where + ")")
                + ", " + b.instructionCount() + " instructions, "
                + b.bytes().length + " bytes, ends " + b.terminator());
        if (candidates.size() > 1) {
            out.println("also holding that code: blocks " + candidates.subList(1, candidates.size()));
        }
        out.println("executions: " + Formats.count(r.executions()) + (r.executions() == 0 ? "" : "; first at block event "
                + Formats.count(r.firstBlockEvent()) + " (instruction " + Formats.count(r.firstInstruction())
                + "), last at block event " + Formats.count(r.lastBlockEvent()) + " (instruction "
                + Formats.count(r.lastInstruction()) + ")"));
        out.println();
        Table code2 = new Table("WHERE", "BYTES", "INSTRUCTION");
        for (Instruction insn : disassemble(code, b)) {
            code2.row(code.where(b.moduleId(), insn.address() - code.module(b.moduleId()).base()),
                    java.util.HexFormat.of().formatHex(insn.bytes()), insn.text());
        }
        code2.print(out, "  ");
        out.println();
        out.println("predecessors:" + (r.predecessors().isEmpty() ? " none (the run starts here)" : ""));
        if (!r.predecessors().isEmpty()) edgeTable(code, names, r.predecessors(), r.executions()).print(out, ResultTable.Format.TABLE, "  ");
        out.println("successors:" + (r.successors().isEmpty() ? " none (the run ends here)" : ""));
        if (!r.successors().isEmpty()) edgeTable(code, names, r.successors(), r.executions()).print(out, ResultTable.Format.TABLE, "  ");
    }

    private static ResultTable edgeTable(RunCode code, CodeNames names, List<BlockReport.Neighbour> neighbours, long executions) {
        ResultTable t = new ResultTable("block", "where", "count", "percent");
        for (BlockReport.Neighbour n : neighbours) {
            t.row((long) n.blockId(), name(code, names, n.blockId()), n.count(), 100.0 * n.count() / executions);
        }
        return t;
    }

    private static ResultTable neighbours(RunCode code, CodeNames names, BlockReport r) {
        ResultTable t = new ResultTable("direction", "block", "where", "count");
        for (BlockReport.Neighbour n : r.predecessors()) t.row("predecessor", (long) n.blockId(), name(code, names, n.blockId()), n.count());
        for (BlockReport.Neighbour n : r.successors()) t.row("successor", (long) n.blockId(), name(code, names, n.blockId()), n.count());
        return t;
    }

    private static void json(PrintWriter out, RunCode code, CodeNames names, BlockReport r) {
        BlockDefined b = r.block();
        StringBuilder s = new StringBuilder("{");
        s.append("\"block\": ").append(b.blockId())
                .append(", \"where\": ").append(ResultTable.jsonString(name(code, names, b.blockId())))
                .append(", \"module\": ").append(ResultTable.jsonString(RunCode.shortName(code.module(b.moduleId()))))
                .append(", \"offset\": ").append(b.offset())
                .append(", \"instructions\": ").append(b.instructionCount())
                .append(", \"terminator\": \"").append(b.terminator()).append('"')
                .append(", \"executions\": ").append(r.executions())
                .append(", \"first_block_event\": ").append(r.firstBlockEvent())
                .append(", \"first_instruction\": ").append(r.firstInstruction())
                .append(", \"last_block_event\": ").append(r.lastBlockEvent())
                .append(", \"last_instruction\": ").append(r.lastInstruction())
                .append(", \"disassembly\": [");
        List<String> lines = new ArrayList<>();
        for (Instruction insn : disassemble(code, b)) lines.add(ResultTable.jsonString(insn.text()));
        s.append(String.join(", ", lines)).append("], \"predecessors\": ").append(edgesJson(r.predecessors()))
                .append(", \"successors\": ").append(edgesJson(r.successors())).append('}');
        out.println(s);
    }

    private static String edgesJson(List<BlockReport.Neighbour> neighbours) {
        List<String> items = new ArrayList<>();
        for (BlockReport.Neighbour n : neighbours) items.add("{\"block\": " + n.blockId() + ", \"count\": " + n.count() + "}");
        return "[" + String.join(", ", items) + "]";
    }

    private static List<Instruction> disassemble(RunCode code, BlockDefined b) {
        List<Instruction> instructions = new ArrayList<>();
        long address = code.address(b);
        byte[] bytes = b.bytes();
        try (Decoder decoder = Decoder.open()) {
            long pc = address;
            while (pc < address + bytes.length) {
                Instruction insn = decoder.decode(bytes, address, pc);
                instructions.add(insn);
                pc = insn.nextAddress();
            }
        }
        return instructions;
    }
}
