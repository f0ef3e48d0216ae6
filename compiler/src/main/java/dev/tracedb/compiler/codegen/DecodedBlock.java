package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.UndecodableInstructionException;
import java.util.ArrayList;
import java.util.List;

/**
 * A path block decoded at its module offset (so direct targets and RIP-relative addresses come
 * out as module offsets), checked against what the log says about it: the bytes decode into
 * exactly {@code instructionCount} whole instructions, and only the last may end a block.
 */
record DecodedBlock(PathBlock block, List<Instruction> instructions) {
    DecodedBlock {
        instructions = List.copyOf(instructions);
    }

    static DecodedBlock decode(Decoder decoder, PathBlock block) {
        byte[] bytes = block.bytes();
        long at = block.at().offset();
        List<Instruction> insns = new ArrayList<>();
        long pc = at;
        try {
            while (pc < at + bytes.length) {
                Instruction insn = decoder.decode(bytes, at, pc);
                insns.add(insn);
                pc = insn.nextAddress();
            }
        } catch (UndecodableInstructionException e) {
            throw new TraceRefusedException("undecodable instruction at " + new CodeAddress(block.at().moduleIndex(), pc)
                    + ": " + e.getMessage());
        }
        if (insns.size() != block.instructionCount()) {
            throw new TraceRefusedException("block at " + block.at() + " decodes into " + insns.size()
                    + " instructions, the log says " + block.instructionCount());
        }
        for (int i = 0; i < insns.size() - 1; i++) {
            if (insns.get(i).endsBlock()) {
                throw new TraceRefusedException("block at " + block.at() + " has a control transfer before its end: "
                        + insns.get(i));
            }
        }
        return new DecodedBlock(block, insns);
    }

    Instruction last() {
        return instructions.get(instructions.size() - 1);
    }

    /** The instructions before the terminator (all of them for a block that falls through). */
    List<Instruction> body() {
        return last().endsBlock() ? instructions.subList(0, instructions.size() - 1) : instructions;
    }
}
