package dev.tracedb.machine.x86.decode;

/**
 * Registers by their encoding number (0-31, REX/VEX/EVEX extension bits included), for the
 * fallback decoder, which reads register numbers straight out of ModRM and prefix fields.
 */
final class RegisterFile {
    private static final Register[] GPR64 = byName("RAX RCX RDX RBX RSP RBP RSI RDI R8 R9 R10 R11 R12 R13 R14 R15");
    private static final Register[] GPR32 = byName("EAX ECX EDX EBX ESP EBP ESI EDI R8D R9D R10D R11D R12D R13D R14D R15D");
    private static final Register[] MASK = byName("K0 K1 K2 K3 K4 K5 K6 K7");
    private static final Register[] XMM = numbered("XMM");
    private static final Register[] YMM = numbered("YMM");
    private static final Register[] ZMM = numbered("ZMM");

    private RegisterFile() {
    }

    static Register gpr(int number, boolean wide) {
        return (wide ? GPR64 : GPR32)[number];
    }

    /** Opmask registers have three bits; higher extension bits do not select another one. */
    static Register mask(int number) {
        return MASK[number & 7];
    }

    /** XMM, YMM or ZMM {@code number} for a vector of {@code bytes} (16, 32 or 64). */
    static Register vector(int number, int bytes) {
        return switch (bytes) {
            case 16 -> XMM[number];
            case 32 -> YMM[number];
            case 64 -> ZMM[number];
            default -> throw new IllegalArgumentException("no vector register of " + bytes + " bytes");
        };
    }

    private static Register[] byName(String names) {
        String[] split = names.split(" ");
        Register[] registers = new Register[split.length];
        for (int i = 0; i < split.length; i++) {
            registers[i] = Register.valueOf(split[i]);
        }
        return registers;
    }

    private static Register[] numbered(String prefix) {
        Register[] registers = new Register[32];
        for (int i = 0; i < 32; i++) {
            registers[i] = Register.valueOf(prefix + i);
        }
        return registers;
    }
}
