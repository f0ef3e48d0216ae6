package dev.tracedb.machine.x86.encode;

/**
 * The two-operand arithmetic group that shares one encoding scheme: the ModRM {@code /digit} of
 * the immediate forms (0x81 imm32, 0x83 imm8) and, times eight plus one, the {@code r/m, reg}
 * opcode. ADC and SBB are left out: nothing we emit needs them.
 */
public enum AluOp {
    ADD(0), OR(1), AND(4), SUB(5), XOR(6), CMP(7);

    private final int digit;

    AluOp(int digit) {
        this.digit = digit;
    }

    /** The {@code /digit} opcode extension of the immediate forms. */
    int digit() {
        return digit;
    }

    /** The opcode of the {@code r/m64, r64} form (01, 09, 21, 29, 31, 39). */
    int mrOpcode() {
        return digit * 8 + 1;
    }
}
