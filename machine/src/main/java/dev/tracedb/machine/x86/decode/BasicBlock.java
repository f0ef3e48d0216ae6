package dev.tracedb.machine.x86.decode;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Instructions decoded from {@code start} up to and including the first one that
 * {@linkplain Instruction#endsBlock() ends a block}, or fewer if the code or the instruction limit
 * ran out first ({@link #end()} says which).
 */
public record BasicBlock(long start, List<Instruction> instructions, End end) {

    /** Why decoding stopped. */
    public enum End {
        /** The last instruction transfers control (or traps): the block is complete. */
        CONTROL_TRANSFER,
        /** The bytes ran out, possibly in the middle of an instruction: decode again with more bytes. */
        END_OF_CODE,
        /** The caller's instruction limit was reached; the next block starts at {@link #endAddress()}. */
        INSTRUCTION_LIMIT
    }

    public BasicBlock {
        instructions = List.copyOf(instructions);
        Objects.requireNonNull(end, "end");
        if (end == End.CONTROL_TRANSFER && instructions.isEmpty()) {
            throw new IllegalArgumentException("a block ended by a control transfer has at least that instruction");
        }
    }

    /** The address right after the last decoded instruction. */
    public long endAddress() {
        return instructions.isEmpty() ? start : instructions.get(instructions.size() - 1).nextAddress();
    }

    public int sizeBytes() {
        return (int) (endAddress() - start);
    }

    /** The control-transfer instruction that ends the block, if it is complete. */
    public Optional<Instruction> terminator() {
        return end == End.CONTROL_TRANSFER ? Optional.of(instructions.get(instructions.size() - 1)) : Optional.empty();
    }
}
