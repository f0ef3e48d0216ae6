package dev.tracedb.loader;

import static dev.tracedb.loader.NativeLoaderTest.ITERATIONS;
import static dev.tracedb.loader.NativeLoaderTest.loader;
import static dev.tracedb.loader.NativeLoaderTest.plain;
import static dev.tracedb.loader.NativeLoaderTest.run;
import static dev.tracedb.loader.NativeLoaderTest.traces;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.loader.NativeLoaderTest.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracedb-run} called as {@code tracedb} (a link of that name, as scripts/install-command
 * installs it): the front door runs {@code tracedb run} itself and hands a stale build to the
 * clone's script. Handing the other commands and static programs to the script (which needs the
 * jar) is tested in the cli module's RunCommandIT.
 */
class FrontDoorTest {
    @TempDir
    Path dir;

    /** NativeLoaderTest's runner, loader-target traces and plain run. */
    @BeforeAll
    static void setUp() throws Exception {
        NativeLoaderTest.setUp();
    }

    @Test
    void aLinkNamedTracedbRunsADynamicProgramWithItsTraces() throws Exception {
        Path tracedb = link(loader.runner().toRealPath());
        Result r = run(frontDoorCommand(tracedb), null);
        assertEquals(plain.stdout(), r.stdout());
        assertEquals(plain.exit(), r.exit());
        assertTrue(r.stderr().contains(": 1 traces applied, 1 entered; " + ITERATIONS + " entries, "), r.stderr());
    }

    @Test
    void aRunnerOlderThanALoaderSourceHandsTheCommandToTheScriptWhichRebuildsIt() throws Exception {
        Path clone = copyOfTheClone();
        Path stamp = clone.resolve("loader/target/native/built");
        Path tracedb = link(clone.resolve("loader/target/native/tracedb-run"));

        // up to date: the front door runs the command itself, nothing is rebuilt
        FileTime before = Files.getLastModifiedTime(stamp);
        Result fresh = run(frontDoorCommand(tracedb), null);
        assertEquals(plain.stdout(), fresh.stdout());
        assertTrue(fresh.stderr().contains(ITERATIONS + " entries"), fresh.stderr());
        assertEquals(before, Files.getLastModifiedTime(stamp));

        // a source newer than the stamp: the script runs make (a new stamp), then the new runner
        Files.setLastModifiedTime(clone.resolve("loader/src/main/c/runner.c"), FileTime.fromMillis(System.currentTimeMillis()));
        Result stale = run(frontDoorCommand(tracedb), null);
        assertEquals(plain.stdout(), stale.stdout(), stale.stderr());
        assertEquals(plain.exit(), stale.exit());
        assertTrue(stale.stderr().contains(": 1 traces applied, 1 entered; " + ITERATIONS + " entries, "), stale.stderr());
        assertTrue(Files.getLastModifiedTime(stamp).compareTo(before) > 0, "the script must have rebuilt the runner");
    }

    @Test
    void aCopyOutsideACloneSaysSoInOneLine() throws Exception {
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path copy = Files.copy(loader.runner(), elsewhere.resolve("tracedb"));
        Result r = run(frontDoorCommand(copy), null);
        assertEquals(1, r.exit());
        assertEquals("", r.stdout());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
        assertTrue(r.stderr().contains("not a clone's ./loader/target/native/tracedb-run"), r.stderr());
    }

    private List<String> frontDoorCommand(Path tracedb) {
        Path cache = dir.resolve("test.tcache");
        if (!Files.exists(cache)) TraceCacheFile.write(traces.transparent(), cache);
        return List.of(tracedb.toString(), "run", "--cache", cache.toString(), "--stats-stderr", "--",
                traces.program.toString(), ITERATIONS);
    }

    /** A symlink named tracedb, in a directory of its own, to {@code runner}. */
    private Path link(Path runner) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin-" + Math.abs(runner.hashCode())));
        return Files.createSymbolicLink(bin.resolve("tracedb"), runner);
    }

    /**
     * What the front door and the launcher read of a clone, copied: the script, the loader's C
     * sources and its built runner, shim and stamp, with times in make's order (sources, outputs,
     * stamp), so that the real tree's sources are never touched.
     */
    private Path copyOfTheClone() throws IOException {
        Path nativeDir = loader.runner().toRealPath().getParent();
        Path root = nativeDir.getParent().getParent().getParent();
        Path clone = dir.resolve("clone");
        Path sources = Files.createDirectories(clone.resolve("loader/src/main/c"));
        Path outputs = Files.createDirectories(clone.resolve("loader/target/native"));
        long now = System.currentTimeMillis();
        Files.copy(root.resolve("tracedb"), clone.resolve("tracedb"), StandardCopyOption.COPY_ATTRIBUTES);
        try (Stream<Path> files = Files.list(root.resolve("loader/src/main/c"))) {
            for (Path source : files.toList()) {
                Files.setLastModifiedTime(Files.copy(source, sources.resolve(source.getFileName())), FileTime.fromMillis(now - 100_000));
            }
        }
        for (String output : List.of(NativeLoader.RUNNER, NativeLoader.SHIM)) {
            Files.setLastModifiedTime(Files.copy(nativeDir.resolve(output), outputs.resolve(output), StandardCopyOption.COPY_ATTRIBUTES),
                    FileTime.fromMillis(now - 50_000));
        }
        Files.setLastModifiedTime(Files.createFile(outputs.resolve("built")), FileTime.fromMillis(now - 40_000));
        return clone;
    }
}
