package dev.tracedb.store.query;

import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.StoreTestSupport;
import dev.tracedb.store.internal.ChronicleTraceDatabase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Names from the ELF files of the C test programs, checked against binutils' {@code readelf}: the log's
 * module offsets (from where file offset 0 is mapped) become the right virtual addresses for a
 * static non-PIE executable (mapped at 0x400000) and a PIE; a changed or missing file names nothing.
 */
class CodeNamesTest extends StoreTestSupport {

    private static Path program(String name) {
        return Path.of(System.getProperty("tracedb.testprograms", "../testprograms/target/bin"), name)
                .toAbsolutePath().normalize();
    }

    private static String readelf(String option, Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("readelf", "-W", option, file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** main's offset from the file's start, as readelf sees the symbol and the executable LOAD segment. */
    private static long mainOffset(Path file) throws Exception {
        long main = -1;
        for (String line : readelf("-s", file).lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 8 && f[7].equals("main") && f[3].equals("FUNC")) main = Long.parseLong(f[1], 16);
        }
        for (String line : readelf("-l", file).lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 8 && f[0].equals("LOAD") && line.contains(" R E ")) {
                long offset = Long.decode(f[1]);
                long vaddr = Long.decode(f[2]);
                long size = Long.decode(f[4]);
                if (main >= vaddr && main < vaddr + size) return main - vaddr + offset;
            }
        }
        throw new AssertionError("no main in an executable segment of " + file);
    }

    private static byte[] buildId(Path file) throws Exception {
        for (String line : readelf("-n", file).lines().toList()) {
            if (line.contains("Build ID:")) return HexFormat.of().parseHex(line.substring(line.indexOf(':') + 1).trim());
        }
        return new byte[0];
    }

    private CodeNames names(ModuleMapped module) {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            try (RunWriter w = db.createRun("names", started(module.path()))) {
                w.moduleMapped(module);
                w.end(ExitStatus.exited(0));
                id = w.id();
            }
            try (RunReader reader = db.openRun(id)) {
                return CodeNames.of(RunCode.read(reader));
            }
        }
    }

    @Test
    void namesMainInAStaticExecutableAndInAPie() throws Exception {
        for (String name : List.of("loops-static", "loops")) {
            Path file = program(name);
            long offset = mainOffset(file);
            CodeNames names = names(new ModuleMapped(0, file.toString(), 0x400000, Files.size(file), buildId(file), new byte[32]));
            assertEquals("main", names.function(0, offset).orElseThrow(), name);
            assertEquals("main+0x4", names.describe(0, offset + 4), name);
            assertEquals(List.of(), names.notes(), name);
        }
    }

    @Test
    void aFileWhoseBuildIdChangedIsNotTrustedForNames() throws Exception {
        Path file = program("loops");
        long offset = mainOffset(file);
        byte[] other = buildId(file);
        other[0] ^= 1;
        CodeNames names = names(new ModuleMapped(0, file.toString(), 0x555555554000L, Files.size(file), other, new byte[32]));
        assertEquals("loops+0x" + Long.toHexString(offset), names.describe(0, offset));
        assertEquals(1, names.notes().size());
        assertTrue(names.notes().get(0).startsWith("loops: build-id changed since the recording"), names.notes()::toString);
    }

    @Test
    void aModuleWithoutAFileIsNamedByOffset() {
        CodeNames names = names(new ModuleMapped(0, "[vdso]", 0x7fff0000L, 0x2000, new byte[0], new byte[32]));
        assertEquals("[vdso]+0x10", names.describe(0, 0x10));
        assertTrue(names.notes().get(0).startsWith("[vdso]: no file on disk"), names.notes()::toString);
    }
}
