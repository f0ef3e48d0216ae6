package dev.tracedb.store;

import dev.tracedb.store.internal.ChronicleTraceDatabase;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Links from inputs runs to their expansions: only to complete runs, atomic, and one expansion at a time. */
class ExpansionLinksTest extends StoreTestSupport {

    private static RunId completeRun(TraceDatabase db, String name) {
        try (RunWriter w = db.createRun(name, started("/bin/" + name))) {
            defineBlocks(w, 3);
            w.appendExec(new int[] {0, 1, 2}, 0, 3);
            w.end(ExitStatus.exited(0));
            return w.id();
        }
    }

    private static RunId incompleteRun(TraceDatabase db, String name) {
        try (RunWriter w = db.createRun(name, started("/bin/" + name))) {
            defineBlocks(w, 3);
            return w.id(); // closed without end(): incomplete
        }
    }

    @Test
    void aLinkToACompleteRunReadsBothWaysAndIsOneSmallFile() throws Exception {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId inputs = completeRun(db, "inputs");
            RunId expanded = completeRun(db, "expanded");
            RunId other = completeRun(db, "other");
            ExpansionLinks links = db.expansions();
            assertEquals(Optional.empty(), links.expandedAs(inputs));
            links.link(inputs, expanded);
            assertEquals(Optional.of(expanded), links.expandedAs(inputs));
            assertEquals(Optional.of(inputs), links.expandedFrom(expanded));
            assertEquals(Optional.empty(), links.expandedFrom(other));
            assertEquals(Map.of(inputs, expanded), links.all());
            Path runDir = db.directory().resolve("runs").resolve(inputs.toString());
            assertEquals("r0002\n", Files.readString(runDir.resolve("expanded-as")));
            try (Stream<Path> files = Files.list(runDir)) {
                assertEquals(List.of(), files.filter(f -> f.getFileName().toString().contains(".tmp")).toList(),
                        "no temporary file left");
            }
        }
    }

    @Test
    void aNewLinkReplacesTheOld() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId inputs = completeRun(db, "inputs");
            RunId first = completeRun(db, "first");
            RunId second = completeRun(db, "second");
            db.expansions().link(inputs, first);
            db.expansions().link(inputs, second);
            assertEquals(Optional.of(second), db.expansions().expandedAs(inputs));
            assertEquals(Optional.empty(), db.expansions().expandedFrom(first));
        }
    }

    @Test
    void anIncompleteRunIsNeverLinked() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId inputs = completeRun(db, "inputs");
            RunId broken = incompleteRun(db, "broken");
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> db.expansions().link(inputs, broken));
            assertTrue(refused.getMessage().contains("only a complete run can be linked"), refused.getMessage());
            assertEquals(Optional.empty(), db.expansions().expandedAs(inputs));
            assertTrue(Files.notExists(db.directory().resolve("runs").resolve(inputs.toString()).resolve("expanded-as")));
            assertThrows(NoSuchRunException.class, () -> db.expansions().link(inputs, new RunId(99)));
        }
    }

    @Test
    void aLinkFileThatDoesNotNameACompleteRunIsNoLink() throws Exception {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId inputs = completeRun(db, "inputs");
            RunId broken = incompleteRun(db, "broken");
            Path file = db.directory().resolve("runs").resolve(inputs.toString()).resolve("expanded-as");
            for (String text : List.of("", "garbage\n", broken + "\n", "r0099\n")) {
                Files.writeString(file, text);
                assertEquals(Optional.empty(), db.expansions().expandedAs(inputs), text);
                assertEquals(Map.of(), db.expansions().all(), text);
            }
        }
    }

    @Test
    void theLockIsExclusiveWithinTheJvm() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId inputs = completeRun(db, "inputs");
            RunId other = completeRun(db, "other");
            try (ExpansionLinks.Lock held = db.expansions().lock(inputs)) {
                assertEquals(Optional.empty(), db.expansions().tryLock(inputs).map(l -> "acquired"));
                Optional<ExpansionLinks.Lock> otherRun = db.expansions().tryLock(other);
                assertTrue(otherRun.isPresent(), "another run's lock is independent");
                otherRun.get().close();
            }
            Optional<ExpansionLinks.Lock> again = db.expansions().tryLock(inputs);
            assertTrue(again.isPresent(), "released on close");
            again.get().close();
        }
    }

    @Test
    void theLockIsExclusiveAcrossProcessesAndDiesWithItsHolder() throws Exception {
        Path dbDir = tmp.resolve("db");
        RunId inputs;
        try (ChronicleTraceDatabase db = ChronicleTraceDatabase.open(dbDir)) {
            inputs = completeRun(db, "inputs");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-Dchronicle")).toList());
        cmd.addAll(List.of("-Xmx128m", "-cp", System.getProperty("java.class.path"),
                ExpansionLockHolderMain.class.getName(), dbDir.toString(), inputs.toString()));
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
             ChronicleTraceDatabase db = ChronicleTraceDatabase.open(dbDir)) {
            String line;
            do {
                line = out.readLine();
            } while (line != null && !line.equals("LOCKED"));
            assertEquals("LOCKED", line, "the child took the lock");
            assertEquals(Optional.empty(), db.expansions().tryLock(inputs).map(l -> "acquired"), "held by the child");
            child.destroyForcibly(); // SIGKILL: the kernel releases the child's lock
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            try (ExpansionLinks.Lock mine = db.expansions().lock(inputs)) {
                assertTrue(mine != null);
            }
        } finally {
            child.destroyForcibly();
        }
    }
}
