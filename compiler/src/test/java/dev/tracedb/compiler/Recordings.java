package dev.tracedb.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recorder;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunId;
import dev.tracedb.store.TraceDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Records real programs with the binary translator for the compiler's tests. */
public final class Recordings {
    /** A fixed environment, so that runs of one program line up. */
    public static final List<String> ENV = List.of("PATH=/usr/bin:/bin", "LC_ALL=C");

    /** A Lua loop whose body goes through several interpreter dispatches per iteration. */
    public static final String LUA_LOOP = "local s = 0 for i = 1, %d do s = s + (i %% 7) * 2 end print(s)";

    private Recordings() {
    }

    /** A C program of the testprograms module. */
    public static Path testProgram(String name) {
        String dir = System.getProperty("tracedb.testprograms");
        Path base = dir != null ? Path.of(dir) : Path.of("../testprograms/target/bin");
        Path program = base.resolve(name).toAbsolutePath().normalize();
        if (!Files.isExecutable(program)) throw new IllegalStateException("test program not built: " + program);
        return program;
    }

    /** Records {@code argv} with the DBI engine; the program must exit 0. Returns the run and its stdout. */
    public static Recorded record(TraceDatabase db, Path scratch, String... argv) {
        try {
            Path stdout = Files.createTempFile(scratch, "stdout", ".txt");
            RecordOutcome outcome = new Recorder(db).record(RecordOptions.builder(new ArrayList<>(List.of(argv)))
                    .engine(EngineKind.DBI).launch(l -> l.environment(ENV).stdout(stdout)).build(), new Progress());
            assertEquals(ExitStatus.exited(0), outcome.status(), "exit status of " + String.join(" ", argv));
            return new Recorded(outcome.runId(), Files.readString(stdout), outcome.instructions());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public record Recorded(RunId run, String stdout, long instructions) {
    }
}
