package dev.tracedb.machine.elf;

import dev.tracedb.machine.TestPrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** Our reading of three real binaries against readelf's. */
class ElfImageTest {
    private static final Path LS = Path.of("/bin/ls");

    private static void assertSameAsReadelf(Path file) throws Exception {
        ElfImage image = ElfImage.read(file);
        assertEquals(ReadElf.buildId(file), image.buildId(), "build-id");
        assertEquals(ReadElf.interpreter(file), image.interpreter(), "interpreter");
        assertEquals(ReadElf.type(file), image.type() == ElfType.SHARED ? "DYN" : "EXEC", "type");
        List<Segment> ours = image.segments().stream()
                .map(s -> new Segment(s.type(), 0, s.virtualAddress(), s.fileOffset(), s.fileSize(), s.memorySize(),
                        s.flags(), s.alignment()))
                .toList();
        assertEquals(ReadElf.segments(file), ours, "program headers");
        List<String> expected = ReadElf.symbols(file).stream().sorted().toList();
        List<String> actual = image.symbols().stream().map(ReadElf::line).sorted().toList();
        assertEquals(expected, actual, "symbols");
    }

    @Test
    void pieExecutable() throws Exception {
        Path loops = TestPrograms.path("loops");
        assertSameAsReadelf(loops);
        ElfImage image = ElfImage.read(loops);
        assertEquals(ElfType.SHARED, image.type());
        assertTrue(image.type().isRelocatable());
        assertEquals(Optional.of("/lib64/ld-linux-x86-64.so.2"), image.interpreter());
        assertEquals(40, image.buildId().orElseThrow().length());
        assertFalse(image.symbols(Symbol.Table.SYMTAB).isEmpty());
        Symbol fib = image.symbols().stream().filter(s -> s.name().equals("fib")).findFirst().orElseThrow();
        assertEquals(SymbolType.FUNC, fib.type());
        assertTrue(fib.size() > 0);
    }

    @Test
    void staticExecutable() throws Exception {
        Path loops = TestPrograms.path("loops-static");
        assertSameAsReadelf(loops);
        ElfImage image = ElfImage.read(loops);
        assertEquals(ElfType.EXECUTABLE, image.type());
        assertEquals(Optional.empty(), image.interpreter());
        assertTrue(image.segments().stream().anyMatch(s -> s.type() == SegmentType.LOAD && s.isExecutable()));
        assertTrue(image.symbols(Symbol.Table.DYNSYM).isEmpty());
    }

    @Test
    void strippedSystemBinaryHasOnlyDynamicSymbols() throws Exception {
        assertSameAsReadelf(LS);
        ElfImage image = ElfImage.read(LS);
        assertTrue(image.symbols(Symbol.Table.SYMTAB).isEmpty());
        assertFalse(image.symbols(Symbol.Table.DYNSYM).isEmpty());
        assertTrue(image.section(".text").isPresent());
    }

    @Test
    void sectionBytesAreTheFileBytes() throws Exception {
        ElfImage image = ElfImage.read(LS);
        Section text = image.section(".text").orElseThrow();
        byte[] bytes = image.sectionBytes(text);
        assertEquals(text.size(), bytes.length);
        byte[] file = Files.readAllBytes(LS);
        assertArrayEquals(java.util.Arrays.copyOfRange(file, (int) text.fileOffset(), (int) (text.fileOffset() + text.size())), bytes);
    }

    @Test
    void missingFileIsNamed() {
        Path missing = Path.of("/nonexistent/tracedb/program");
        ElfReadException e = assertThrows(ElfReadException.class, () -> ElfImage.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void nonElfFileIsNamed(@TempDir Path directory) throws Exception {
        Path script = Files.writeString(directory.resolve("script.sh"), "#!/bin/sh\necho this is not ELF, but long enough to have a header\n");
        ElfReadException e = assertThrows(ElfReadException.class, () -> ElfImage.read(script));
        assertTrue(e.getMessage().startsWith(script.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not an ELF file"), e.getMessage());
        Path empty = Files.createFile(directory.resolve("empty"));
        assertThrows(ElfReadException.class, () -> ElfImage.read(empty));
    }
}
