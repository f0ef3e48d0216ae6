package dev.tracedb.store;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A basic block, with its original machine code, so that the execution can be reconstructed
 * instruction by instruction from the log alone. Defined once per run, before any execution batch
 * that refers to it.
 *
 * @param blockId          dense id assigned by the recorder (0, 1, 2, ...), unique within the run
 * @param moduleId         the {@link ModuleMapped#moduleId()} of the module holding the block
 * @param offset           offset of the first instruction from the module's base
 * @param bytes            the original instruction bytes
 * @param instructionCount number of instructions in the block, at least 1
 * @param terminator       how the block ends
 */
public record BlockDefined(int blockId, int moduleId, long offset, byte[] bytes, int instructionCount,
                           Terminator terminator) {
    public BlockDefined {
        if (blockId < 0) throw new IllegalArgumentException("blockId < 0: " + blockId);
        if (moduleId < 0) throw new IllegalArgumentException("moduleId < 0: " + moduleId);
        if (instructionCount < 1) throw new IllegalArgumentException("instructionCount < 1: " + instructionCount);
        Objects.requireNonNull(terminator, "terminator");
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockDefined b && blockId == b.blockId && moduleId == b.moduleId && offset == b.offset
                && Arrays.equals(bytes, b.bytes) && instructionCount == b.instructionCount
                && terminator == b.terminator;
    }

    @Override
    public int hashCode() {
        return Objects.hash(blockId, moduleId, offset, Arrays.hashCode(bytes), instructionCount, terminator);
    }

    @Override
    public String toString() {
        return "BlockDefined[" + blockId + " module=" + moduleId + " +0x" + Long.toHexString(offset) + " insns="
                + instructionCount + " " + terminator + " " + HexFormat.of().formatHex(bytes) + "]";
    }
}
