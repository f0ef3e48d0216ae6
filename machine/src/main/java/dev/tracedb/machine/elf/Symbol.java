package dev.tracedb.machine.elf;

import java.util.Objects;

/**
 * A symbol from {@code .symtab} or {@code .dynsym}. Names are as stored, without the
 * {@code @VERSION} suffix readelf appends.
 *
 * @param defined false for undefined (imported) symbols, whose value is not an address here
 */
public record Symbol(String name, long value, long size, SymbolType type, Table table, boolean defined) {

    /** The table a symbol came from; a stripped file has only {@link #DYNSYM}. */
    public enum Table { SYMTAB, DYNSYM }

    public Symbol {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(table, "table");
    }

    /** Whether {@code address} lies inside this symbol's {@code [value, value + size)}. */
    public boolean contains(long address) {
        return address - value >= 0 && address - value < size;
    }
}
