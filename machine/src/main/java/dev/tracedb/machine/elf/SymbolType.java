package dev.tracedb.machine.elf;

/** {@code ELF64_ST_TYPE}; code symbols are {@link #FUNC} and {@link #GNU_IFUNC}. */
public enum SymbolType {
    NOTYPE, OBJECT, FUNC, SECTION, FILE, COMMON, TLS, GNU_IFUNC, OTHER;

    static SymbolType of(int value) {
        return switch (value) {
            case 0 -> NOTYPE;
            case 1 -> OBJECT;
            case 2 -> FUNC;
            case 3 -> SECTION;
            case 4 -> FILE;
            case 5 -> COMMON;
            case 6 -> TLS;
            case 10 -> GNU_IFUNC;
            default -> OTHER;
        };
    }

    public boolean isCode() {
        return this == FUNC || this == GNU_IFUNC;
    }
}
