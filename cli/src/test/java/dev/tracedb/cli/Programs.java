package dev.tracedb.cli;

import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recorder;
import dev.tracedb.store.TraceDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The C test programs, run plainly and recorded, with a fixed environment. */
final class Programs {
    /**
     * The environment every test program gets. The tunables keep glibc off its AVX-512 string
     * functions, whose opmask instructions (kmovq, kortestd) Capstone 4.0.2 cannot decode: without
     * them a dynamic program's recording stops at the first such instruction.
     */
    static final String TUNABLES =
            "GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX512ER,-AVX512PF";
    static final List<String> ENV = List.of("PATH=/usr/bin:/bin", "LC_ALL=C", TUNABLES);

    /** What a program printed on stdout and how it exited (128+N for signal N). */
    record Result(String stdout, int status) {
    }

    private Programs() {}

    static String path(String name) {
        String dir = System.getProperty("tracedb.testprograms");
        Path base = dir != null ? Path.of(dir) : Path.of("../testprograms/target/bin");
        Path program = base.resolve(name).toAbsolutePath().normalize();
        if (!Files.isExecutable(program)) {
            throw new IllegalStateException("test program not built: " + program);
        }
        return program.toString();
    }

    /** Runs the program natively (not traced, so ProcessBuilder is fine here). */
    static Result plain(Path scratch, String program, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(program));
        argv.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().clear();
        for (String entry : ENV) {
            int eq = entry.indexOf('=');
            builder.environment().put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        Path out = Files.createTempFile(scratch, "plain", ".out");
        Process process = builder.redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int status = process.waitFor();
        return new Result(Files.readString(out), status);
    }

    /** Records the program with the step engine into {@code database}, stdout to a file. */
    static Recorded record(Path database, Path scratch, String program, String... args) {
        List<String> argv = new ArrayList<>(List.of(program));
        argv.addAll(List.of(args));
        return record(EngineKind.STEP, database, scratch, argv.toArray(String[]::new));
    }

    /** Records {@code argv} with {@code engine} into {@code database}, stdout to a file. */
    static Recorded record(EngineKind engine, Path database, Path scratch, String... argv) {
        try (TraceDatabase db = TraceDatabase.open(database)) {
            Path out = Files.createTempFile(scratch, "recorded", ".out");
            RecordOutcome outcome = new Recorder(db).record(RecordOptions.builder(List.of(argv)).engine(engine)
                    .launch(l -> l.environment(ENV).stdout(out).stderr(scratch.resolve("stderr"))).build(), new Progress());
            return new Recorded(outcome, new Result(Files.readString(out), outcome.shellStatus()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code recording} with the DBI engine's miss handshake knob ({@code tracedb.dbi.handshake})
     * set to {@code handshake} ("ptrace" or "futex"), restored after.
     */
    static <T> T withHandshake(String handshake, java.util.function.Supplier<T> recording) {
        String previous = System.setProperty("tracedb.dbi.handshake", handshake);
        try {
            return recording.get();
        } finally {
            if (previous == null) {
                System.clearProperty("tracedb.dbi.handshake");
            } else {
                System.setProperty("tracedb.dbi.handshake", previous);
            }
        }
    }

    record Recorded(RecordOutcome outcome, Result result) {
        String stdout() {
            return result.stdout();
        }
    }
}
