package dev.tracedb.machine.x86.decode;

/** Number and operand-size spelling as Capstone 4's Intel printer writes them, for the fallback decoder. */
final class IntelText {
    private IntelText() {
    }

    /** Capstone prints 0 to 9 in decimal and anything larger in hex. */
    static String number(long value) {
        return value >= 0 && value <= 9 ? Long.toString(value) : "0x" + Long.toHexString(value);
    }

    static String sizeName(int bytes) {
        return switch (bytes) {
            case 1 -> "byte";
            case 2 -> "word";
            case 4 -> "dword";
            case 8 -> "qword";
            case 16 -> "xmmword";
            case 32 -> "ymmword";
            case 64 -> "zmmword";
            default -> throw new IllegalArgumentException("no operand size of " + bytes + " bytes");
        };
    }
}
