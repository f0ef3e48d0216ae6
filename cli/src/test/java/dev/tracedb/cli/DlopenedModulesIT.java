package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.cli.EndToEnd.Outcome;
import dev.tracedb.machine.elf.ElfImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traces in a module the program loads with {@code dlopen} after start-up: {@code dlopen-host}
 * loads {@code libhot.so} and runs its hot loop. Recorded and compiled on a small input, the cache's
 * traces for the library are applied by the native loader when the library arrives, and the
 * cached run prints what the plain one prints. Another build of the library at the same path, or
 * a library loaded while a second thread runs, is left as it is with one line saying why.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DlopenedModulesIT {
    private static final String RECORDED = "20000";
    private static final String RUN = "3000000";

    @TempDir
    Path dir;
    private Path library;
    private Path cache;

    /** The library is a copy in the test's directory, so that a test can replace it with another build. */
    @BeforeEach
    void recordAndCompile() throws Exception {
        library = Files.createDirectories(dir.resolve("lib")).resolve("libhot.so");
        Files.copy(Path.of(Programs.path("libhot.so")), library);
        EndToEnd.record(dir.resolve("db"), dir, "host", List.of(Programs.path("dlopen-host"), library.toString(), RECORDED));
        cache = EndToEnd.compile(dir.resolve("db"), "host", dir.resolve("host.tcache"));
    }

    @Test
    void theLibrarysTracesAreAppliedWhenItIsLoaded() throws Exception {
        List<String> argv = List.of(Programs.path("dlopen-host"), library.toString(), RUN);
        Outcome plain = EndToEnd.plain(dir, argv);
        Outcome cached = EndToEnd.cached(dir, cache, List.of("--stats", "--verbose"), argv);
        assertEquals(0, plain.status(), plain::toString);
        assertEquals(plain.out(), cached.out(), cached::toString);
        assertEquals(plain.status(), cached.status(), cached::toString);
        assertTrue(cached.err().contains(library + ": not loaded at start-up: its traces apply if the program loads it"
                + " with dlopen"), cached::toString);
        assertTrue(cached.err().contains(library + ": applied "), cached::toString);
        assertTrue(EndToEnd.entriesByModule(cached.err()).getOrDefault("libhot.so", 0L) > 0,
                () -> "a trace of the library ran: " + cached);
        assertFalse(cached.err().contains("not applied"), cached::toString);
    }

    @Test
    void anotherBuildOfTheLibraryIsRefusedWhenItIsLoaded() throws Exception {
        Files.copy(Path.of(Programs.path("libhot-other.so")), library, StandardCopyOption.REPLACE_EXISTING);
        List<String> argv = List.of(Programs.path("dlopen-host"), library.toString(), RUN);
        Outcome plain = EndToEnd.plain(dir, argv);
        Outcome cached = EndToEnd.cached(dir, cache, List.of("--stats"), argv);
        assertEquals(plain.out(), cached.out(), cached::toString);
        assertEquals(plain.status(), cached.status(), cached::toString);
        String buildId = ElfImage.read(library).buildId().orElseThrow();
        assertTrue(cached.err().contains(library + ": not applied: " + library + " has build-id " + buildId
                + ", the cache was compiled for build-id "), cached::toString);
        assertEquals(0L, EndToEnd.entriesByModule(cached.err()).getOrDefault("libhot.so", 0L), cached::toString);
    }

    @Test
    void aLibraryLoadedWhileTwoThreadsRunIsLeftAlone() throws Exception {
        List<String> argv = List.of(Programs.path("dlopen-host"), library.toString(), RUN, "threaded");
        Outcome plain = EndToEnd.plain(dir, argv);
        Outcome cached = EndToEnd.cached(dir, cache, List.of("--stats"), argv);
        assertEquals(0, plain.status(), plain::toString);
        assertEquals(plain.out(), cached.out(), cached::toString);
        assertEquals(plain.status(), cached.status(), cached::toString);
        assertTrue(cached.err().contains(library + ": not applied: loaded by dlopen while the program runs 2 threads"),
                cached::toString);
        assertEquals(0L, EndToEnd.entriesByModule(cached.err()).getOrDefault("libhot.so", 0L), cached::toString);
    }

    @Test
    void aLibraryThatIsNeverLoadedCostsNothingAndIsNotReported() throws Exception {
        List<String> argv = List.of(Programs.path("dlopen-host"));
        Outcome plain = EndToEnd.plain(dir, argv);
        Outcome cached = EndToEnd.cached(dir, cache, List.of(), argv);
        assertEquals(2, plain.status(), "the usage error: " + plain);
        assertEquals(plain.status(), cached.status(), cached::toString);
        assertEquals("usage: dlopen-host LIB N [threaded]\n", cached.err(), cached::toString);
    }
}
