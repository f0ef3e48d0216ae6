package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.cli.EndToEnd.Outcome;
import dev.tracedb.compiler.cache.CachedModule;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Segment;
import dev.tracedb.machine.elf.SegmentType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cache that {@code tracedb compile} wrote for one build of a program is refused for any other:
 * the program file is replaced after the recording (one changed byte inside the code the traces
 * were copied from; another build of the same source at the same path), and the cached run must say
 * why in one line, apply nothing to that module, and print exactly what the changed program prints
 * plainly. The changed byte is the shift count of {@code x >> 29} in the hot loop, so applying the
 * stale traces would print the old program's checksum instead. The loader module's tests cover the same refusals
 * with hand-built caches; here the cache is a compiled one and the file really changed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WrongCacheIT {
    /** The shift count of {@code x ^ (x >> 29)} in hotloops' signal workload: {@code shr r64, 29} is {@code REX.W C1 /5 1D}. */
    private static final int SHIFT = 29;
    private static final List<String> RECORDED = List.of("signal", "20000", "0");
    private static final List<String> RUN = List.of("signal", "300000", "0");

    @TempDir
    Path dir;

    @Test
    void aChangedByteInTheTracedCodeIsRefusedOnTheNativePath() throws Exception {
        changedByteIsRefused("hotloops", "--stats");
    }

    @Test
    void aChangedByteInTheTracedCodeIsRefusedOnThePtracePath() throws Exception {
        changedByteIsRefused("hotloops-static", "--verbose");
    }

    private void changedByteIsRefused(String build, String option) throws Exception {
        Path program = copyOf(build);
        Path cache = recordAndCompile(program);
        Outcome original = EndToEnd.plain(dir, argv(program));
        Outcome applied = EndToEnd.cached(dir, cache, List.of(option), argv(program));
        assertEquals(original.out(), applied.out(), applied::toString);
        assertFalse(applied.err().contains("not applied"), () -> "the unchanged program takes its cache: " + applied);

        TraceCache compiled = TraceCacheFile.read(cache);
        assertTrue(traceCodeHasTheShift(compiled, program), "the traces carry their own copy of the shift by 29");
        changeTheShiftInsideTracedCode(program, compiled);
        Outcome plain = EndToEnd.plain(dir, argv(program));
        Outcome cached = EndToEnd.cached(dir, cache, List.of(option), argv(program));
        assertNotEquals(original.out(), plain.out(), "the changed byte changes what the program computes");
        assertEquals(plain.out(), cached.out(), () -> "the changed program ran without the stale traces: " + cached);
        assertEquals(plain.status(), cached.status(), cached::toString);
        assertEquals(1, cached.err().lines().filter(l -> l.contains("not applied")).count(), cached::toString);
        assertTrue(cached.err().contains(program + ": not applied: the bytes the traces rely on differ in "), cached::toString);
        assertTrue(EndToEnd.entriesByModule(cached.err()).getOrDefault(program.getFileName().toString(), 0L) == 0,
                () -> "no trace of the changed module ran: " + cached);
    }

    @Test
    void anotherBuildAtTheSamePathIsRefused() throws Exception {
        Path program = copyOf("hotloops");
        Path cache = recordAndCompile(program);
        // The same source built without PIE: another build-id, other code, the same file name.
        Files.copy(Path.of(Programs.path("hotloops-nopie")), program, StandardCopyOption.REPLACE_EXISTING);
        Outcome plain = EndToEnd.plain(dir, argv(program));
        Outcome cached = EndToEnd.cached(dir, cache, List.of("--stats"), argv(program));
        assertEquals(plain.out(), cached.out(), cached::toString);
        assertEquals(plain.status(), cached.status(), cached::toString);
        String buildId = ElfImage.read(program).buildId().orElseThrow();
        assertTrue(cached.err().contains(program + ": not applied: " + program + " has build-id " + buildId
                + ", the cache was compiled for build-id "), cached::toString);
        assertEquals(0L, EndToEnd.entriesByModule(cached.err()).getOrDefault(program.getFileName().toString(), 0L),
                cached::toString);
    }

    @Test
    void aCacheOfAnotherProgramAppliesNothingToIt() throws Exception {
        Path cache = recordAndCompile(copyOf("hotloops"));
        List<String> loops = List.of(Programs.path("loops"), "2000");
        Outcome plain = EndToEnd.plain(dir, loops);
        Outcome cached = EndToEnd.cached(dir, cache, List.of("--stats"), loops);
        assertEquals(plain.out(), cached.out(), cached::toString);
        assertEquals(plain.status(), cached.status(), cached::toString);
        assertTrue(cached.err().contains("hotloops: not applied: no such module was loaded"), cached::toString);
        assertEquals(0L, EndToEnd.entriesByModule(cached.err()).getOrDefault("loops", 0L), cached::toString);
    }

    private Path copyOf(String build) throws Exception {
        Path program = Files.createDirectories(dir.resolve("bin")).resolve(build);
        Files.copy(Path.of(Programs.path(build)), program, StandardCopyOption.REPLACE_EXISTING);
        return program;
    }

    private Path recordAndCompile(Path program) throws Exception {
        EndToEnd.record(dir.resolve("db"), dir, "recorded", argv(program, RECORDED));
        return EndToEnd.compile(dir.resolve("db"), "recorded", dir.resolve("program.tcache"));
    }

    private static List<String> argv(Path program) {
        return argv(program, RUN);
    }

    private static List<String> argv(Path program, List<String> args) {
        List<String> argv = new java.util.ArrayList<>(List.of(program.toString()));
        argv.addAll(args);
        return argv;
    }

    /**
     * Makes each {@code shr r64, 29} that lies in bytes the cache relies on for {@code program} a shift
     * by 28; at least one must. Module offsets count from the lowest loadable address.
     */
    private static void changeTheShiftInsideTracedCode(Path program, TraceCache cache) throws Exception {
        CachedModule module = cache.modules().stream().filter(m -> Path.of(m.path()).equals(program)).findFirst()
                .orElseThrow(() -> new AssertionError("no module " + program + " in the cache: " + cache.modules()));
        List<Segment> loads = ElfImage.read(program).segments().stream().filter(s -> s.type() == SegmentType.LOAD).toList();
        long base = loads.stream().mapToLong(Segment::virtualAddress).min().orElseThrow() & ~0xfffL;
        byte[] bytes = Files.readAllBytes(program);
        int changed = 0;
        for (int at = 1; at + 3 <= bytes.length; at++) {
            boolean shr29 = (bytes[at - 1] & 0xf8) == 0x48 && (bytes[at] & 0xff) == 0xc1 && (bytes[at + 1] & 0xf8) == 0xe8
                    && bytes[at + 2] == SHIFT;
            if (!shr29) continue;
            long moduleOffset = moduleOffset(loads, base, at - 1);
            boolean reliedOn = module.reliedOn().stream()
                    .anyMatch(r -> moduleOffset >= r.offset() && moduleOffset + 4 <= r.offset() + r.length());
            if (reliedOn) {
                bytes[at + 2] = SHIFT - 1;
                changed++;
            }
        }
        assertTrue(changed > 0, "the hot loop's shift lies in relied-on bytes: " + module.reliedOn());
        Files.write(program, bytes);
    }

    private static boolean traceCodeHasTheShift(TraceCache cache, Path program) {
        int index = cache.modules().stream().map(m -> Path.of(m.path())).toList().indexOf(program);
        return cache.code().stream().filter(c -> c.moduleIndex() == index).map(ModuleCode::code).anyMatch(code -> {
            for (int at = 1; at + 3 <= code.length; at++) {
                if ((code[at - 1] & 0xf8) == 0x48 && (code[at] & 0xff) == 0xc1 && (code[at + 1] & 0xf8) == 0xe8
                        && code[at + 2] == SHIFT) return true;
            }
            return false;
        });
    }

    private static long moduleOffset(List<Segment> loads, long base, long fileOffset) {
        for (Segment s : loads) {
            if (fileOffset >= s.fileOffset() && fileOffset < s.fileOffset() + s.fileSize()) {
                return s.virtualAddress() + (fileOffset - s.fileOffset()) - base;
            }
        }
        return -1;
    }
}
