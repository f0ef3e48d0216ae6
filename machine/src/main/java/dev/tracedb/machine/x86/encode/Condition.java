package dev.tracedb.machine.x86.encode;

/**
 * The sixteen condition codes of {@code jcc}, in hardware order, so {@link #code()} is the ordinal
 * and a condition's inverse differs only in bit 0.
 */
public enum Condition {
    /** Overflow (OF=1). */ O,
    /** No overflow (OF=0). */ NO,
    /** Below, unsigned less (CF=1). */ B,
    /** Above or equal, unsigned (CF=0). */ AE,
    /** Equal, zero (ZF=1). */ E,
    /** Not equal, not zero (ZF=0). */ NE,
    /** Below or equal, unsigned (CF=1 or ZF=1). */ BE,
    /** Above, unsigned greater (CF=0 and ZF=0). */ A,
    /** Sign (SF=1). */ S,
    /** No sign (SF=0). */ NS,
    /** Parity even (PF=1). */ P,
    /** Parity odd (PF=0). */ NP,
    /** Less, signed (SF!=OF). */ L,
    /** Greater or equal, signed (SF=OF). */ GE,
    /** Less or equal, signed (ZF=1 or SF!=OF). */ LE,
    /** Greater, signed (ZF=0 and SF=OF). */ G;

    private static final Condition[] VALUES = values();

    /** The 4-bit condition code, added to 0x70 (rel8) or 0x0F 0x80 (rel32). */
    public int code() {
        return ordinal();
    }

    /** The condition that holds exactly when this one does not; a guard branches on it. */
    public Condition negate() {
        return VALUES[ordinal() ^ 1];
    }
}
