package dev.tracedb.machine.x86.decode;

import java.util.function.Consumer;

/**
 * Decodes x86-64 machine code (64-bit mode, Intel syntax) with full detail.
 *
 * <p>All methods take the code as a byte array plus {@code codeAddress}, the address of
 * {@code code[0]}; decoding starts at an address inside that range.
 *
 * <p><b>Not thread-safe:</b> a decoder owns a native handle and scratch memory; use one per thread
 * and {@link #close()} it when done. Returned instructions are immutable and outlive the decoder.
 */
public interface Decoder extends AutoCloseable {

    /** Default cap for {@link #decodeBlock(byte[], long, long)}: far above any real block. */
    int DEFAULT_BLOCK_LIMIT = 4096;

    /**
     * Opens a decoder backed by libcapstone 4.
     *
     * @throws DecoderUnavailableException if libcapstone.so.4 is missing or has another version
     */
    static Decoder open() {
        return new CapstoneDecoder();
    }

    /**
     * Decodes the single instruction at {@code address}.
     *
     * @throws UndecodableInstructionException if the bytes there are no valid instruction, or end
     *                                         in the middle of one
     */
    Instruction decode(byte[] code, long codeAddress, long address);

    /**
     * Decodes from {@code start} until the first instruction that ends a block, the end of
     * {@code code}, or {@code maxInstructions}, whichever comes first.
     *
     * @throws UndecodableInstructionException if invalid bytes come before any of those ends; an
     *         instruction cut off by the end of {@code code} is not an error but ends the block
     *         with {@link BasicBlock.End#END_OF_CODE}
     */
    BasicBlock decodeBlock(byte[] code, long codeAddress, long start, int maxInstructions);

    default BasicBlock decodeBlock(byte[] code, long codeAddress, long start) {
        return decodeBlock(code, codeAddress, start, DEFAULT_BLOCK_LIMIT);
    }

    /**
     * Decodes every instruction of {@code code} linearly, e.g. a whole {@code .text} section.
     *
     * @return the number of instructions decoded
     * @throws UndecodableInstructionException at the first bytes that do not decode
     */
    long decodeAll(byte[] code, long codeAddress, Consumer<? super Instruction> sink);

    /** Frees the native handle and memory; the decoder cannot be used afterwards. Idempotent. */
    @Override
    void close();
}
