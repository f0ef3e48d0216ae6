package dev.tracedb.machine.x86.decode;

/** How an instruction accesses an operand. */
public enum Access {
    /** Not accessed (e.g. the memory operand of {@code lea}, or unknown). */
    NONE,
    READ,
    WRITE,
    READ_WRITE;

    public boolean reads() {
        return this == READ || this == READ_WRITE;
    }

    public boolean writes() {
        return this == WRITE || this == READ_WRITE;
    }
}
