package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recorder;
import dev.tracedb.store.TraceDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The steps of the end-to-end tests, each as a user takes it: {@code tracedb record --engine dbi}
 * (the recorder's API, in this JVM, with the program's stdout in a file), {@code tracedb compile}
 * (the command, in this JVM), and {@code tracedb run --cache} through the {@code tracedb} launcher
 * in a process of its own (the native runner; for static programs the ptrace path). Every program
 * gets the tests' fixed environment ({@link Programs#ENV}), recorded or not.
 */
final class EndToEnd {
    private static final Pattern ENTERED = Pattern.compile("^tracedb: trace \\d+ (\\S+)\\+0x[0-9a-f]+ entered (\\d+), completed \\d+, side exits \\d+$",
            Pattern.MULTILINE);
    private static final Pattern APPLIED = Pattern.compile("^tracedb: \\S+: applied (\\d+) traces", Pattern.MULTILINE);

    /** What a program printed and how it exited (128+N for signal N). */
    record Outcome(String out, String err, int status) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private EndToEnd() {}

    /** Records {@code argv} with the DBI engine as a run named after the program; it must exit 0. */
    static void record(Path database, Path scratch, List<String> argv) throws IOException {
        record(database, scratch, Path.of(argv.get(0)).getFileName().toString(), argv);
    }

    /** Records {@code argv} with the DBI engine as run {@code name}; the program must exit 0. */
    static void record(Path database, Path scratch, String name, List<String> argv) throws IOException {
        Path stdout = Files.createTempFile(scratch, name, ".out");
        Path stderr = Files.createTempFile(scratch, name, ".err");
        try (TraceDatabase db = TraceDatabase.open(database)) {
            RecordOutcome outcome = new Recorder(db).record(RecordOptions.builder(argv).engine(EngineKind.DBI).runName(name)
                    .launch(l -> l.environment(Programs.ENV).workingDirectory(scratch).stdout(stdout).stderr(stderr))
                    .build(), new Progress());
            assertEquals(0, outcome.shellStatus(), () -> "recording " + argv + ": " + outcome);
        }
    }

    /**
     * {@code tracedb compile} with the cost model off: these tests prove trace code exact, so they
     * keep the short traces (e.g. between two calls) that the default would drop as not paying.
     */
    static Path compile(Path database, String run, Path cache) {
        CliRun compile = tracedb(database, "compile", "--quiet", "--keep-unprofitable", run, "-o", cache.toString());
        assertEquals(0, compile.status(), compile::toString);
        return cache;
    }

    /** Runs the program itself, in {@code scratch}. */
    static Outcome plain(Path scratch, List<String> argv) throws IOException, InterruptedException {
        return execute(scratch, argv);
    }

    /** {@code tracedb run --cache CACHE OPTIONS… -- ARGV…} through the launcher, in {@code scratch}. */
    static Outcome cached(Path scratch, Path cache, List<String> options, List<String> argv)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(launcher(), "run", "--cache", cache.toString()));
        command.addAll(options);
        command.add("--");
        command.addAll(argv);
        return execute(scratch, command);
    }

    /** Entries per module (file name as --stats prints it, e.g. {@code libc.so.6}) from --stats output. */
    static Map<String, Long> entriesByModule(String stderr) {
        Map<String, Long> entries = new LinkedHashMap<>();
        Matcher m = ENTERED.matcher(stderr);
        while (m.find()) entries.merge(m.group(1), Long.parseLong(m.group(2)), Long::sum);
        return entries;
    }

    /** The traces the ptrace path says it applied (--verbose), over all modules. */
    static long appliedTraces(String stderr) {
        long applied = 0;
        Matcher m = APPLIED.matcher(stderr);
        while (m.find()) applied += Long.parseLong(m.group(1));
        return applied;
    }

    static String launcher() {
        String launcher = System.getProperty("tracedb.launcher");
        if (launcher == null || !Files.isExecutable(Path.of(launcher))) {
            throw new IllegalStateException("no tracedb launcher (system property tracedb.launcher): " + launcher);
        }
        return launcher;
    }

    /** Runs {@code command} in {@code scratch} with the tests' environment, stdin from /dev/null. */
    static Outcome execute(Path scratch, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(scratch.toFile());
        builder.environment().clear();
        for (String entry : Programs.ENV) {
            int eq = entry.indexOf('=');
            builder.environment().put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        Path out = Files.createTempFile(scratch, "run", ".out");
        Path err = Files.createTempFile(scratch, "run", ".err");
        Process process = builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("timed out: " + command);
        }
        return new Outcome(Files.readString(out), Files.readString(err), process.exitValue());
    }
}
