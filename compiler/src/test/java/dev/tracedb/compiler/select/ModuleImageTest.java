package dev.tracedb.compiler.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.Recordings;
import dev.tracedb.compiler.TraceChecks;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.x86.decode.Decoder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The static scan of a module file, against objdump's disassembly of the same file. */
class ModuleImageTest {

    private static TraceModule module(Path file) {
        return new TraceModule(file.toString(), ElfImage.read(file).buildId().orElse(""), 0);
    }

    private static void assertFindsEveryObjdumpTarget(Path file) {
        try (Decoder decoder = Decoder.open()) {
            long[] ours = ModuleImage.load(module(file), decoder).targets();
            TreeSet<Long> objdump = TraceChecks.objdumpTargets(file);
            assertTrue(objdump.size() > 10, "objdump finds targets in " + file);
            TreeSet<Long> missing = new TreeSet<>(objdump);
            Arrays.stream(ours).forEach(missing::remove);
            assertEquals(new TreeSet<Long>(), missing, "targets objdump finds in " + file + " and the scan does not");
        }
    }

    @Test
    void findsEveryDirectTargetAndReturnAddressOfAPie() {
        assertFindsEveryObjdumpTarget(Recordings.testProgram("loops"));
    }

    /** A static non-PIE binary: module offsets count from 0x400000, where file offset 0 is mapped. */
    @Test
    void findsEveryDirectTargetAndReturnAddressOfAStaticExecutable() {
        assertFindsEveryObjdumpTarget(Recordings.testProgram("loops-static"));
    }

    @Test
    void findsEveryDirectTargetAndReturnAddressOfLua() {
        assertFindsEveryObjdumpTarget(Path.of("/usr/bin/lua5.4"));
    }

    @Test
    void theFileMustHaveTheRecordedBuildId() {
        Path file = Recordings.testProgram("loops");
        try (Decoder decoder = Decoder.open()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ModuleImage.load(new TraceModule(file.toString(), "00112233", 0), decoder));
            assertTrue(e.getMessage().contains("build-id differs"), e.getMessage());
            IllegalStateException vdso = assertThrows(IllegalStateException.class,
                    () -> ModuleImage.load(new TraceModule("[vdso]", "", 0), decoder));
            assertTrue(vdso.getMessage().contains("no module file"), vdso.getMessage());
        }
    }

    @Test
    void bytesAtReadsTheExecutableCodeByModuleOffset() {
        Path file = Recordings.testProgram("loops-static");
        ElfImage elf = ElfImage.read(file);
        long main = elf.symbols().stream().filter(s -> s.name().equals("main")).findFirst().orElseThrow().value();
        try (Decoder decoder = Decoder.open()) {
            ModuleImage image = ModuleImage.load(module(file), decoder);
            byte[] bytes = image.bytesAt(main - 0x400000, 4);
            // main starts with push rbp; mov rbp, rsp (the program is built with -fno-omit-frame-pointer)
            assertEquals("554889e5", java.util.HexFormat.of().formatHex(bytes));
        }
    }
}
