package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Real recordings the query and export tests share, made once per test JVM with {@code tracedb record
 * --engine dbi}: the loops test program (twice with the same argument, once with another), lua5.4
 * running a loop that calls a function, python3 summing squares, and threads-static, whose recording steps aside at its thread and is
 * left incomplete.
 */
final class RecordedRuns {
    static final String LUA_SCRIPT = "local function twice(x) return x * 2 end "
            + "local s = 0 for i = 1, 30000 do s = s + twice(i) end print(s)";

    static final String PYTHON_SCRIPT = "print(sum(i * i for i in range(20000)))";

    private static Path database;

    private RecordedRuns() {}

    /** The database holding runs named loops, loops-again, loops-other, lua, python and threads. */
    static synchronized Path database() {
        if (database == null) {
            try {
                Path dir = Files.createTempDirectory("tracedb-query-runs");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
                record(dir, "loops", Programs.path("loops"), "30");
                record(dir, "loops-again", Programs.path("loops"), "30");
                record(dir, "loops-other", Programs.path("loops"), "31");
                record(dir, "lua", "/usr/bin/lua5.4", "-e", LUA_SCRIPT);
                record(dir, "python", "/usr/bin/python3", "-c", PYTHON_SCRIPT);
                CliRun threads = tracedb(dir, "record", "--engine", "dbi", "--quiet", "--name", "threads", "--",
                        Programs.path("threads-static"));
                if (threads.status() != 0 || !threads.err().contains("left incomplete")) {
                    throw new IllegalStateException("threads-static's recording should step aside at its thread: " + threads);
                }
                database = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return database;
    }

    /** The recordings outlive every test class of the JVM, so they go when it exits. */
    private static void deleteQuietly(Path dir) {
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory left behind is not worth failing a test run for
        }
    }

    private static void record(Path db, String name, String... programAndArgs) {
        List<String> args = new ArrayList<>(List.of("record", "--engine", "dbi", "--quiet", "--name", name, "--"));
        args.addAll(List.of(programAndArgs));
        CliRun run = tracedb(db, args.toArray(String[]::new));
        if (run.status() != 0) throw new IllegalStateException("recording " + name + " failed: " + run);
    }
}
