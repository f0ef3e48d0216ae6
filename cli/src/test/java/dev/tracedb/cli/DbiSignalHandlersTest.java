package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recorder;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.TraceDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Signal handlers under the DBI engine, end to end: recorded like a plain run, verified, replayed. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DbiSignalHandlersTest {
    @TempDir
    Path db;

    @TempDir
    Path scratch;

    private Programs.Result record(EngineKind engine, String program, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(program));
        argv.addAll(List.of(args));
        try (TraceDatabase database = TraceDatabase.open(db)) {
            Path out = Files.createTempFile(scratch, "recorded", ".out");
            RecordOutcome outcome = new Recorder(database).record(RecordOptions.builder(argv).engine(engine)
                    .launch(l -> l.environment(Programs.ENV).stdout(out).stderr(scratch.resolve("stderr"))).build(),
                    new Progress());
            return new Programs.Result(Files.readString(out), outcome.shellStatus());
        }
    }

    private List<SignalDelivered> signals(String run) throws IOException {
        List<SignalDelivered> signals = new ArrayList<>();
        try (TraceDatabase database = TraceDatabase.open(db);
             RunReader reader = database.openRun(dev.tracedb.store.RunId.parse(run))) {
            reader.replay(new EventVisitor() {
                @Override
                public void signal(SignalDelivered event) {
                    signals.add(event);
                }
            });
        }
        return signals;
    }

    /**
     * A 1 ms SIGALRM handler interrupting computation, pause() and nanosleep(); siglongjmp out of
     * an asynchronous handler and out of SIGSEGV and SIGFPE handlers; a handler on an alternate
     * stack. Output and status as a plain run's; verify clean; every delivery in the log.
     */
    @Test
    void timerHandlersAndSiglongjmpRecordLikeAPlainRunAndVerifyClean() throws Exception {
        String program = Programs.path("signal-timer");
        Programs.Result plain = Programs.plain(scratch, program);
        assertEquals(0, plain.status(), plain::toString);
        assertEquals(plain, record(EngineKind.DBI, program));
        CliRun verify = tracedb(db, "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().contains("r0001: clean"), verify::toString);
        List<Integer> signos = signals("r0001").stream().map(SignalDelivered::signo).toList();
        assertTrue(signos.stream().filter(s -> s == 14).count() >= 10, "SIGALRM deliveries: " + signos);
        assertTrue(signos.containsAll(List.of(11, 8, 10)), "SIGSEGV, SIGFPE and SIGUSR1 deliveries: " + signos);
    }

    /**
     * Two signals delivered before either handler runs nest two frames; verify pairs each
     * handler's return with its restorer (no stray return), and reports the siglongjmps out of
     * the SIGSEGV and SIGFPE handlers as unwinds, not problems.
     */
    @Test
    void nestedHandlersAndSiglongjmpVerifyCleanWithoutStrayReturns() throws Exception {
        String program = Programs.path("signal-timer");
        Programs.Result plain = Programs.plain(scratch, program, "1000", "0");
        assertEquals(plain, record(EngineKind.DBI, program, "1000", "0"));
        assertTrue(plain.stdout().contains("pending handlers ran in order 21\n"), plain::toString);
        CliRun verify = tracedb(db, "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().contains("r0001: clean"), verify::toString);
        assertFalse(verify.out().contains("which no call on the shadow stack pushed"), verify::toString);
        assertTrue(verify.out().contains("(longjmp-style)"), verify::toString);
        assertEquals(List.of(11, 8, 10, 12, 10), signals("r0001").stream().map(SignalDelivered::signo).toList());
    }

    /** raise() is synchronous: the DBI engine's replayed instructions are the step engine's, line for line. */
    @Test
    void raisedSignalsReplayExactlyAsTheStepEngineRecordedThem() throws Exception {
        for (String name : List.of("signal", "signal-static")) {
            String program = Programs.path(name);
            Programs.Result plain = Programs.plain(scratch, program);
            Files.deleteIfExists(scratch.resolve("stderr"));
            assertEquals(plain, record(EngineKind.STEP, program), name);
            assertEquals(plain, record(EngineKind.DBI, program), name);
        }
        for (int i = 1; i <= 4; i += 2) {
            String step = String.format("r%04d", i);
            String dbi = String.format("r%04d", i + 1);
            CliRun verify = tracedb(db, "verify", dbi);
            assertEquals(0, verify.status(), verify::toString);
            assertTrue(verify.out().contains(", 0 notes"), verify::toString);
            assertEquals(signals(step).size(), 2);
            String stepReplay = tracedb(db, "replay", step).out();
            String dbiReplay = tracedb(db, "replay", dbi).out();
            assertTrue(stepReplay.lines().count() > 10_000, step + ": " + stepReplay.lines().count());
            assertEquals(stepReplay, dbiReplay, "replay of " + dbi + " (dbi) against " + step + " (step)");
            assertEquals(signals(step).stream().map(SignalDelivered::signo).toList(),
                    signals(dbi).stream().map(SignalDelivered::signo).toList());
        }
    }
}
