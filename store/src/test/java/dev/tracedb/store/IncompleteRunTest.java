package dev.tracedb.store;

import dev.tracedb.store.internal.ChronicleTraceDatabase;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A writer that dies mid-run leaves a run that reads up to its last complete batch. */
class IncompleteRunTest extends StoreTestSupport {

    @Test
    void sigkilledWriterProcessLeavesAReadableIncompleteRun() throws Exception {
        Path dbDir = tmp.resolve("db");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // the same --add-opens etc. this JVM got from surefire, which Chronicle needs
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-Dchronicle")).toList());
        cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"),
                KilledWriterMain.class.getName(), dbDir.toString()));
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String runId;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            do {
                line = out.readLine();
            } while (line != null && !line.startsWith("READY "));
            assertTrue(line != null, "child exited before announcing READY");
            runId = line.substring(6);
        } finally {
            child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no close()
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(128 + 9, child.exitValue(), "killed by SIGKILL");

        try (ChronicleTraceDatabase db = ChronicleTraceDatabase.open(dbDir)) {
            RunSummary summary = db.resolve(runId);
            assertEquals(RunState.INCOMPLETE, summary.state());
            try (RunReader r = db.openRun(summary.id())) {
                assertFalse(r.isComplete());
                assertTrue(r.blockEventCount() >= 20L * 65536, "events " + r.blockEventCount());
                assertEquals(r.blockEventCount(), r.batches().size() * 65536L, "only whole batches are written");
                InterpreterStream expected = new InterpreterStream(7, 256);
                long[] checked = {0};
                r.replay(new EventVisitor() {
                    @Override
                    public void execBatch(ExecBatchHeader h, int[] ids) {
                        for (int i = 0; i < h.eventCount(); i++) assertEquals(expected.next(), ids[i]);
                        checked[0] += h.eventCount();
                    }
                });
                assertEquals(r.blockEventCount(), checked[0]);
            }
        }
    }

    @Test
    void writerClosedWithoutEndIsIncompleteUpToItsLastBatch() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            try (RunWriter w = db.createRun("abandoned", started("/bin/x"), 1000, dev.tracedb.store.format.BatchEncoding.DEFAULT)) {
                id = w.id();
                defineBlocks(w, 64);
                int[] ids = new int[2500];
                new InterpreterStream(1, 64).fill(ids, 0, ids.length);
                w.appendExec(ids, 0, ids.length);
            }
            assertEquals(RunState.INCOMPLETE, db.find(id).orElseThrow().state());
            try (RunReader r = db.openRun(id)) {
                assertFalse(r.isComplete());
                assertEquals(2500, r.blockEventCount());
                assertEquals(3, r.batches().size());
            }
        }
    }
}
