package dev.tracedb.store.internal;

import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunState;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.StoreException;
import dev.tracedb.store.StoreTestSupport;
import dev.tracedb.store.format.CatalogRecord;
import dev.tracedb.store.journal.JournalFormat;
import dev.tracedb.store.journal.TestJournal;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.tracedb.store.internal.JournalFixtures.PROGRAM;
import static dev.tracedb.store.internal.JournalFixtures.catalogRecords;
import static dev.tracedb.store.internal.JournalFixtures.completeJournal;
import static dev.tracedb.store.internal.JournalFixtures.count;
import static dev.tracedb.store.internal.JournalFixtures.journalFrames;
import static dev.tracedb.store.internal.JournalFixtures.journalOf;
import static dev.tracedb.store.internal.JournalFixtures.logFrames;
import static dev.tracedb.store.internal.JournalFixtures.runDir;
import static dev.tracedb.store.internal.JournalFixtures.writeInputs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Journals and the other processes around them: a recorder still holding its run (here a Python
 * process taking the same fcntl locks the native recorder takes), several databases importing at
 * once, and run ids allocated by both sides.
 */
class JournalSharingTest extends StoreTestSupport {
    private final List<String> messages = Collections.synchronizedList(new ArrayList<>());

    private Path db() {
        return tmp.resolve("db");
    }

    private ChronicleTraceDatabase open() {
        return ChronicleTraceDatabase.open(db(), CLOCK, messages::add);
    }

    @Test
    void journalUnderAHeldWriterLockIsListedAsRecordingAndImportedOnceReleased() throws Exception {
        try (RunHolder holder = RunHolder.allocate(db())) {
            assertEquals(new RunId(1), holder.id);
            try (TestJournal j = TestJournal.create(journalOf(db(), holder.id), holder.id, "live",
                    started(PROGRAM), CLOCK)) {
                writeInputs(j, 10);
                j.end(ExitStatus.exited(0));
            }
            try (ChronicleTraceDatabase db = open()) {
                assertEquals(List.of(new RunSummary(holder.id, "live", PROGRAM, T0, RunState.RECORDING, null, null)),
                        db.runs());
                assertTrue(Files.exists(journalOf(db(), holder.id)), "not imported while its recorder runs");
                assertFalse(Files.exists(runDir(db(), holder.id).resolve("log")));
                StoreException e = assertThrows(StoreException.class, () -> db.openRun(holder.id));
                assertEquals("run r0001 is still being recorded (to inputs.journal); it can be read once its "
                        + "recorder has exited", e.getMessage());
                assertEquals(holder.id, db.resolve("live").id());

                holder.release();
                assertEquals(RunState.COMPLETE, db.find(holder.id).orElseThrow().state(),
                        "listing runs imports a journal whose recorder has exited");
                assertFalse(Files.exists(journalOf(db(), holder.id)));
            }
        }
        assertEquals(List.of(), messages);
    }

    @Test
    void runIdsAgreeWithTheNativeRecordersAllocation() throws Exception {
        try (ChronicleTraceDatabase db = open()) {
            assertEquals(new RunId(1), createRun(db));
            try (RunHolder native2 = RunHolder.allocate(db())) {
                assertEquals(new RunId(2), native2.id, "the native rule: largest run directory + 1");
                assertEquals(new RunId(3), createRun(db), "Java skips a directory without a catalog entry");
                // A run directory made by another process, never catalogued (a recorder that died
                // between mkdir and its journal): both sides go past it.
                Files.createDirectories(runDir(db(), new RunId(7)));
                assertEquals(new RunId(8), createRun(db));
                try (RunHolder native9 = RunHolder.allocate(db())) {
                    assertEquals(new RunId(9), native9.id);
                    assertEquals(new RunId(10), createRun(db));
                }
            }
        }
    }

    @Test
    void databasesOpenedAtOnceImportEachRunOnce() throws Exception {
        int runs = 6;
        List<List<String>> expected = new ArrayList<>();
        for (int i = 1; i <= runs; i++) {
            RunId id = new RunId(i);
            List<Long> starts = completeJournal(db(), id, "run" + i, 3000, ExitStatus.exited(i));
            expected.add(journalFrames(Files.readAllBytes(journalOf(db(), id)), starts, starts.size() - 1));
        }
        // Two other JVMs and three threads here open the database at the same moment.
        List<Process> others = new ArrayList<>();
        for (int p = 0; p < 2; p++) others.add(startOpener(db(), tmp.resolve("opener-" + p + ".err")));
        int threads = 3;
        CyclicBarrier together = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> listed = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                listed.add(pool.submit(() -> {
                    together.await();
                    try (ChronicleTraceDatabase db = open()) {
                        return db.runs().size();
                    }
                }));
            }
            for (Future<Integer> f : listed) assertEquals(runs, f.get(120, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        for (Process p : others) {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "opener finished");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("RUNS "), out);
        }
        for (int p = 0; p < 2; p++) {
            for (String line : Files.readAllLines(tmp.resolve("opener-" + p + ".err"))) {
                assertFalse(line.startsWith("tracedb:") && !line.startsWith("tracedb: importing run "),
                        "another process said: " + line);
            }
        }
        // Five importers on two cores can take more than 0.2 s for a run: progress lines are fine.
        assertEquals(List.of(), messages.stream().filter(m -> !m.startsWith("tracedb: importing run ")).toList());
        for (int i = 1; i <= runs; i++) {
            RunId id = new RunId(i);
            List<CatalogRecord> records = catalogRecords(db(), id);
            assertEquals(1, count(records, CatalogRecord.RunCreated.class), id + ": " + records);
            assertEquals(1, count(records, CatalogRecord.RunClosed.class), id + ": " + records);
            assertEquals(expected.get(i - 1), logFrames(db(), id), id.toString());
            assertFalse(Files.exists(journalOf(db(), id)));
        }
    }

    @Test
    void aRunAnotherProcessIsImportingIsWaitedForNotListedAsRecording() throws Exception {
        RunId id = new RunId(1);
        writeBigJournal(id);
        Process importer = startOpener(db(), null, "-Dtracedb.importAnnounceAfterMillis=0");
        try (BufferedReader err = awaitImportAnnounced(importer)) {
            try (ChronicleTraceDatabase db = open()) { // while the other process holds the run's writer.lock
                assertEquals(RunState.COMPLETE, db.find(id).orElseThrow().state());
            }
        }
        assertTrue(importer.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, importer.exitValue());
        assertEquals(1, count(catalogRecords(db(), id), CatalogRecord.RunCreated.class), "imported once");
    }

    /** Reads {@code importer}'s stderr up to its line announcing r0001's import; the rest is left to read. */
    private static BufferedReader awaitImportAnnounced(Process importer) throws IOException {
        BufferedReader err = new BufferedReader(new InputStreamReader(importer.getErrorStream(), StandardCharsets.UTF_8));
        String line;
        do {
            line = err.readLine();
        } while (line != null && !line.startsWith("tracedb: importing run r0001 "));
        assertTrue(line != null, "the importer finished before saying it was importing");
        return err;
    }

    /** A 79 MB journal: an import that runs long enough to be caught (or killed) while it writes the log. */
    private void writeBigJournal(RunId id) throws Exception {
        try (TestJournal j = JournalFixtures.journal(db(), id, "big")) {
            j.inputsOnly();
            byte[] page = JournalFixtures.pattern(65536, 3);
            for (int i = 0; i < 1200; i++) {
                j.syscall(0, new long[] {3, 0x5555_0000L, 65536, 0, 0, 0}, 65536);
                j.memoryWritten(0x5555_0000L, page);
            }
            j.end(ExitStatus.exited(0));
        }
    }

    @Test
    void importerKilledWhileWritingTheLogIsRedoneOnTheNextOpen() throws Exception {
        RunId id = new RunId(1);
        writeBigJournal(id);
        String journal = JournalFixtures.journalDigest(journalOf(db(), id));
        // announced at once: on an idle machine this import can end within the default 0.2 s
        Process importer = startOpener(db(), null, "-Dtracedb.importAnnounceAfterMillis=0");
        try (BufferedReader err = awaitImportAnnounced(importer)) {
            importer.destroyForcibly(); // SIGKILL: no shutdown hooks, nothing closed
            assertTrue(importer.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(128 + 9, importer.exitValue(), "killed during the import");
        assertTrue(Files.exists(runDir(db(), id).resolve("log")), "killed in step 1, the log half written");
        assertEquals(List.of(), catalogRecords(db(), id), "killed before step 2");
        assertTrue(Files.exists(journalOf(db(), id)));

        try (ChronicleTraceDatabase db = open()) {
            assertEquals(RunState.COMPLETE, db.find(id).orElseThrow().state());
        }
        assertEquals(journal, JournalFixtures.logDigest(db(), id), "the log is rewritten whole, not appended to");
        assertEquals(1, count(catalogRecords(db(), id), CatalogRecord.RunCreated.class));
        assertFalse(Files.exists(journalOf(db(), id)));
    }

    private static RunId createRun(ChronicleTraceDatabase db) {
        try (RunWriter w = db.createRun("java", started("/bin/java-run"))) {
            return w.id();
        }
    }

    /** Another JVM, with {@code jvmOptions}, that opens the database; its stderr goes to {@code stderr}, or to a pipe if null. */
    private static Process startOpener(Path db, Path stderr, String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // the same --add-opens etc. this JVM got from surefire, which Chronicle needs
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-Dchronicle")).toList());
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"),
                OpenDatabaseMain.class.getName(), db.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (stderr != null) pb.redirectError(stderr.toFile());
        return pb.start();
    }

    /**
     * A process that allocates a run as the native recorder does and holds its writer.lock until
     * released: {@code hold-run.py}, with Python's fcntl locks (the ones the C recorder takes).
     */
    private static final class RunHolder implements AutoCloseable {
        private final Process process;
        final RunId id;

        private RunHolder(Process process, RunId id) {
            this.process = process;
            this.id = id;
        }

        static RunHolder allocate(Path db) throws Exception {
            Path script = Path.of(JournalSharingTest.class.getResource("hold-run.py").toURI());
            Process p = new ProcessBuilder("python3", script.toString(), db.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (line == null) {
                p.destroyForcibly();
                throw new IllegalStateException("hold-run.py exited with " + p.waitFor());
            }
            return new RunHolder(p, RunId.parse(line.strip()));
        }

        /** Ends the holder, as a recorder exits: the kernel drops its locks. */
        void release() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("hold-run.py did not exit");
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) release();
        }
    }
}
