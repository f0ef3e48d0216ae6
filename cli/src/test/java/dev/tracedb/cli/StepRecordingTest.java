package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunInfo;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real programs recorded with the step engine through the recorder's API (so their stdout can be
 * captured), then replayed and verified through the command line. Each program is recorded once
 * for the whole class: single-stepping costs ~50 µs per instruction.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StepRecordingTest {

    @TempDir
    static Path tmp;

    private Path db;
    private final java.util.Map<String, Programs.Recorded> recorded = new java.util.HashMap<>();
    private final java.util.Map<String, Programs.Result> plain = new java.util.HashMap<>();

    @BeforeAll
    void recordEachProgramOnce() throws Exception {
        db = tmp.resolve("db");
        for (String name : List.of("control-static", "signal-static", "counted")) {
            String program = Programs.path(name);
            plain.put(name, Programs.plain(tmp, program));
            recorded.put(name, Programs.record(db, tmp, program));
        }
    }

    private String run(String name) {
        return recorded.get(name).outcome().runId().toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"control-static", "signal-static", "counted"})
    void outputAndExitStatusEqualAPlainRun(String name) {
        assertEquals(plain.get(name), recorded.get(name).result());
    }

    @Test
    void theControlProgramDidWhatItShould() {
        // guards the comparison above against two equally broken runs
        assertTrue(plain.get("control-static").stdout().contains("longjmp 42\nrep 27000 0\nEXIT-SUCCESS"));
        assertEquals(0, plain.get("control-static").status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"control-static", "signal-static", "counted"})
    void verifyIsClean(String name) {
        CliRun verify = tracedb(db, "verify", run(name));
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().startsWith(run(name) + ": clean: "), verify::toString);
    }

    @Test
    void verifyNotesTheLongjmpUnwind() {
        CliRun verify = tracedb(db, "verify", run("control-static"));
        assertTrue(verify.out().contains("(longjmp-style)"), verify::toString);
    }

    @Test
    void replayHasRunEndedsInstructionCountAndIsTheSameEveryTime() {
        CliRun first = tracedb(db, "replay", "--disasm", run("control-static"));
        CliRun second = tracedb(db, "replay", "--disasm", run("control-static"));
        assertEquals(0, first.status(), first::toString);
        assertEquals(first.out(), second.out());
        long lines = first.out().lines().count();
        assertEquals(recorded.get("control-static").outcome().instructions(), lines);
        assertTrue(first.out().contains("  rep movsb"), "rep movsb appears in the stream");
    }

    @Test
    void replayWindowIsASliceOfTheWholeStream() {
        List<String> all = tracedb(db, "replay", run("control-static")).out().lines().toList();
        int from = all.size() / 2;
        CliRun window = tracedb(db, "replay", "--from", Integer.toString(from), "--count", "5", run("control-static"));
        assertEquals(all.subList(from, from + 5), window.out().lines().toList(), window::toString);
        assertTrue(window.out().startsWith(from + "  control-static+0x"), window::toString);
    }

    @Test
    void countedProgramReplaysExactlyTheInstructionsItWasBuiltFrom() {
        String program = Programs.path("counted");
        long entry = ElfImage.read(Path.of(program)).entry();
        List<String> lines = tracedb(db, "replay", "--disasm", run("counted")).out().lines().toList();
        // 1 + 100 * 2 + 4 + 2 + 3, with rep movsb (64 iterations) counted once
        assertEquals(210, lines.size(), String.join("\n", lines));
        assertEquals(210, recorded.get("counted").outcome().instructions());
        // the static non-PIE program's module base is 0x400000: offsets are link-time addresses minus that
        assertEquals("0  counted+0x" + Long.toHexString(entry - 0x400000) + "  mov ecx, 0x64", lines.get(0));
        assertTrue(lines.get(209).endsWith("  syscall"), lines.get(209));
        assertEquals(1, lines.stream().filter(l -> l.endsWith("rep movsb byte ptr [rdi], byte ptr [rsi]")).count(),
                String.join("\n", lines));
    }

    @Test
    void signalDeliveriesAreInTheLog() {
        List<SignalDelivered> signals = new ArrayList<>();
        try (TraceDatabase database = TraceDatabase.open(db);
             RunReader reader = database.openRun(recorded.get("signal-static").outcome().runId())) {
            reader.replay(new EventVisitor() {
                @Override
                public void signal(SignalDelivered event) {
                    signals.add(event);
                }
            });
            RunInfo info = reader.info();
            assertEquals(ExitStatus.exited(0), info.ended().status());
        }
        assertEquals(2, signals.size(), signals::toString);
        assertTrue(signals.stream().allMatch(s -> s.signo() == 10), signals::toString);
    }
}
