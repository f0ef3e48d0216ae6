package dev.tracedb.machine.x86.encode;

import java.util.Locale;

/**
 * The sixteen general-purpose registers in hardware order, so {@link #encoding()} is the ordinal.
 * The same constant names the 64-bit register or its low 32 bits; the instruction form decides.
 */
public enum Gpr {
    RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15;

    /** The 4-bit register number: bit 3 goes into a REX prefix, bits 0-2 into ModRM/SIB/opcode. */
    public int encoding() {
        return ordinal();
    }

    /** The low three bits, as they appear in ModRM, SIB or an opcode's register field. */
    int low3() {
        return ordinal() & 7;
    }

    /** The Intel name of the full 64-bit register, e.g. {@code rax}, {@code r12}. */
    public String name64() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The Intel name of the low 32 bits, e.g. {@code eax}, {@code r12d}. */
    public String name32() {
        return ordinal() >= 8 ? name64() + "d" : "e" + name64().substring(1);
    }
}
