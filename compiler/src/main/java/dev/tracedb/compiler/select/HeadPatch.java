package dev.tracedb.compiler.select;

import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.UndecodableInstructionException;

/**
 * The bytes the loader overwrites at a trace head: a {@code jmp rel32} takes 5 bytes, and the
 * loader replaces the head's first whole instructions that cover at least that many, so no
 * instruction is left cut in half.
 */
public final class HeadPatch {
    /** Bytes of a {@code jmp rel32}. */
    public static final int JUMP_BYTES = 5;

    private HeadPatch() {
    }

    /**
     * How many bytes of {@code block} (whose first byte is at {@code address}) the patch
     * overwrites, or -1 if the block's whole instructions cover fewer than {@link #JUMP_BYTES}.
     *
     * @throws UndecodableInstructionException if the block's bytes do not decode
     */
    public static int length(Decoder decoder, byte[] block, long address) {
        int covered = 0;
        while (covered < JUMP_BYTES) {
            if (covered >= block.length) return -1;
            Instruction instruction = decoder.decode(block, address, address + covered);
            covered += instruction.length();
        }
        return covered <= block.length ? covered : -1;
    }
}
