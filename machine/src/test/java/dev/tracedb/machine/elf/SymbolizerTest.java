package dev.tracedb.machine.elf;

import dev.tracedb.machine.TestPrograms;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class SymbolizerTest {

    private static Symbol function(String name, long value, long size) {
        return new Symbol(name, value, size, SymbolType.FUNC, Symbol.Table.SYMTAB, true);
    }

    @Test
    void nearestPrecedingFunctionWithinItsSize() {
        Symbolizer symbolizer = new Symbolizer(List.of(
                function("a", 0x1000, 0x20),
                function("b", 0x1040, 0x10),
                new Symbol("data", 0x1030, 8, SymbolType.OBJECT, Symbol.Table.SYMTAB, true),
                new Symbol("imported", 0, 0, SymbolType.FUNC, Symbol.Table.DYNSYM, false)));
        assertEquals("a", symbolizer.describe(0x1000));
        assertEquals("a+0x1f", symbolizer.describe(0x101f));
        assertEquals("0x1020", symbolizer.describe(0x1020), "past a's end, in a gap");
        assertEquals("0x1030", symbolizer.describe(0x1030), "objects are not code");
        assertEquals("b+0x4", symbolizer.describe(0x1044));
        assertEquals(Optional.empty(), symbolizer.locate(0xfff));
        assertEquals(Optional.empty(), symbolizer.locate(0x1050));
        assertEquals(2, symbolizer.functionCount());
    }

    @Test
    void aliasesAtOneAddressPreferTheStaticSymbolTable() {
        Symbolizer symbolizer = new Symbolizer(List.of(
                new Symbol("exported", 0x2000, 0x10, SymbolType.FUNC, Symbol.Table.DYNSYM, true),
                function("internal", 0x2000, 0x10)));
        assertEquals("internal+0x8", symbolizer.describe(0x2008));
    }

    @Test
    void namesFunctionsOfARealBinary() {
        ElfImage image = ElfImage.read(TestPrograms.path("loops"));
        Symbol main = image.symbols().stream().filter(s -> s.name().equals("main")).findFirst().orElseThrow();
        Symbolizer symbolizer = image.symbolizer();
        assertEquals("main", symbolizer.describe(main.value()));
        assertEquals("main+0x3", symbolizer.describe(main.value() + 3));
        assertEquals(main.value() + main.size(), symbolizer.locate(main.value() + main.size()).map(l -> l.function().value()).orElse(main.value() + main.size()));
    }
}
