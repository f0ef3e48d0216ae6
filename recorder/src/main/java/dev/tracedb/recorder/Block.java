package dev.tracedb.recorder;

import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.store.Terminator;

import java.util.List;
import java.util.Objects;

/**
 * A block as the recorder knows it: defined in the log with {@link #id()}, and its decoded
 * instructions at their addresses in the recorded process. Immutable.
 *
 * @param id           the block id in the log
 * @param module       the module holding it
 * @param instructions its instructions, in order, at least one
 * @param terminator   how it ends, as written to the log
 */
public record Block(int id, CodeModule module, List<Instruction> instructions, Terminator terminator) {
    public Block {
        Objects.requireNonNull(module, "module");
        instructions = List.copyOf(instructions);
        if (instructions.isEmpty()) {
            throw new IllegalArgumentException("a block has at least one instruction");
        }
        Objects.requireNonNull(terminator, "terminator");
    }

    /** The address of its first instruction. */
    public long address() {
        return instructions.get(0).address();
    }

    /** The address after its last instruction: where it falls through to. */
    public long endAddress() {
        return last().nextAddress();
    }

    public int instructionCount() {
        return instructions.size();
    }

    public Instruction instruction(int index) {
        return instructions.get(index);
    }

    public Instruction last() {
        return instructions.get(instructions.size() - 1);
    }

    @Override
    public String toString() {
        return "Block[" + id + " " + module.fileName() + "+0x" + Long.toHexString(module.offsetOf(address())) + " "
                + instructions.size() + " insns " + terminator + "]";
    }
}
