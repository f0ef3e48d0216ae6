package dev.tracedb.machine.x86.decode;

/** One bit of RFLAGS that an instruction may read or write. */
public enum Flag {
    /** carry */
    CF(0),
    /** parity */
    PF(2),
    /** auxiliary carry */
    AF(4),
    /** zero */
    ZF(6),
    /** sign */
    SF(7),
    /** trap (single-step) */
    TF(8),
    /** interrupt enable */
    IF(9),
    /** direction (string instructions) */
    DF(10),
    /** overflow */
    OF(11),
    /** nested task */
    NT(14),
    /** resume */
    RF(16),
    /** alignment check */
    AC(18);

    private final int rflagsBit;

    Flag(int rflagsBit) {
        this.rflagsBit = rflagsBit;
    }

    /** Position of this flag in the RFLAGS register, e.g. 6 for ZF. */
    public int rflagsBit() {
        return rflagsBit;
    }
}
