package dev.tracedb.machine.x86.decode;

/**
 * Decodes the instruction families that glibc on an AVX-512 machine executes and Capstone 4.0.2
 * cannot decode: {@link OpmaskInstructions}, {@link EvexInstructions} and
 * {@link ShadowStackAndPkuInstructions}. Consulted only after Capstone has failed, so it never
 * changes how anything Capstone decodes is reported. Each family produces Capstone-style Intel
 * text; a test checks length and text against objdump for every such instruction in libc.
 *
 * <p>None of these instructions transfers control, and only kortest and ktest touch RFLAGS.
 * Stateless and thread-safe.
 */
final class FallbackDecoder {
    private FallbackDecoder() {
    }

    /**
     * The instruction at {@code code[start]} if it is one of the fallback's, else null (also when
     * it is cut off: the caller reports that as undecodable or end of code).
     */
    static Instruction decode(byte[] code, int start, int available, long address) {
        if (available <= 0) {
            return null;
        }
        int limit = start + Math.min(available, Instruction.MAX_LENGTH);
        VectorPrefix prefix = VectorPrefix.parse(code, start, limit);
        if (prefix != null) {
            return prefix.evex() ? EvexInstructions.decode(prefix, code, start, limit, address)
                    : OpmaskInstructions.decode(prefix, code, start, limit, address);
        }
        return ShadowStackAndPkuInstructions.decode(code, start, limit, address);
    }
}
