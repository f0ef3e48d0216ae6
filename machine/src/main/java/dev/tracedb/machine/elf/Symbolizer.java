package dev.tracedb.machine.elf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Names code addresses: {@code address -> function+offset} for the nearest preceding defined
 * function symbol whose size covers the address. Works on file addresses (subtract the load base
 * first). Immutable and thread-safe.
 */
public final class Symbolizer {
    private final Symbol[] functions;
    private final long[] starts;

    /** Where an address is: inside {@code function}, {@code offset} bytes from its start. */
    public record Location(Symbol function, long offset) {
        /** E.g. {@code "main+0x1b"}, or {@code "main"} at offset 0. */
        @Override
        public String toString() {
            return offset == 0 ? function.name() : function.name() + "+0x" + Long.toHexString(offset);
        }
    }

    public Symbolizer(List<Symbol> symbols) {
        List<Symbol> code = new ArrayList<>();
        for (Symbol symbol : symbols) {
            if (symbol.defined() && symbol.type().isCode() && symbol.size() > 0) {
                code.add(symbol);
            }
        }
        // at one address keep the symtab name (it has local functions), then the largest
        code.sort(Comparator.comparingLong(Symbol::value)
                .thenComparing(Symbol::table)
                .thenComparing(Comparator.comparingLong(Symbol::size).reversed()));
        List<Symbol> unique = new ArrayList<>();
        for (Symbol symbol : code) {
            if (unique.isEmpty() || unique.get(unique.size() - 1).value() != symbol.value()) {
                unique.add(symbol);
            }
        }
        functions = unique.toArray(Symbol[]::new);
        starts = unique.stream().mapToLong(Symbol::value).toArray();
    }

    public Optional<Location> locate(long address) {
        int index = Arrays.binarySearch(starts, address);
        int candidate = index >= 0 ? index : -index - 2;
        if (candidate < 0 || !functions[candidate].contains(address)) {
            return Optional.empty();
        }
        return Optional.of(new Location(functions[candidate], address - functions[candidate].value()));
    }

    /** {@code "main+0x1b"}, or the address in hex if no function covers it. */
    public String describe(long address) {
        return locate(address).map(Location::toString).orElse("0x" + Long.toHexString(address));
    }

    public int functionCount() {
        return functions.length;
    }
}
