package dev.tracedb.compiler.path;

import dev.tracedb.store.Terminator;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One basic block on a trace's path, with everything code generation needs, taken from the log
 * alone (the block's {@code BLOCK_DEFINED} event).
 *
 * @param at               where the block starts in the original code
 * @param bytes            its original instruction bytes
 * @param instructionCount instructions in the block, at least 1
 * @param terminator       how it ends
 */
public record PathBlock(CodeAddress at, byte[] bytes, int instructionCount, Terminator terminator) {
    public PathBlock {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(terminator, "terminator");
        if (bytes.length == 0) throw new IllegalArgumentException("a block has at least one byte");
        if (instructionCount < 1) throw new IllegalArgumentException("instructionCount < 1: " + instructionCount);
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The original address just past the block's last byte (its fall-through successor). */
    public CodeAddress end() {
        return new CodeAddress(at.moduleIndex(), at.offset() + bytes.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PathBlock b && at.equals(b.at) && Arrays.equals(bytes, b.bytes)
                && instructionCount == b.instructionCount && terminator == b.terminator;
    }

    @Override
    public int hashCode() {
        return Objects.hash(at, Arrays.hashCode(bytes), instructionCount, terminator);
    }

    @Override
    public String toString() {
        return "PathBlock[" + at + " insns=" + instructionCount + " " + terminator + " "
                + HexFormat.of().formatHex(bytes) + "]";
    }
}
