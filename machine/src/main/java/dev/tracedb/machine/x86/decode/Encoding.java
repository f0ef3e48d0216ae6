package dev.tracedb.machine.x86.decode;

/**
 * Where the parts of an instruction sit inside its bytes, so that a translator that copies the
 * instruction elsewhere can patch a RIP-relative displacement or a relative branch immediate in
 * place. An offset of 0 means "not present" (no prefix-free instruction starts with either).
 */
public record Encoding(int modrmOffset, int displacementOffset, int displacementSize,
                       int immediateOffset, int immediateSize) {
    public static final Encoding NONE = new Encoding(0, 0, 0, 0, 0);

    public boolean hasDisplacement() {
        return displacementOffset != 0;
    }

    public boolean hasImmediate() {
        return immediateOffset != 0;
    }
}
