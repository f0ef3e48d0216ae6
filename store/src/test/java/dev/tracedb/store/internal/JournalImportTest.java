package dev.tracedb.store.internal;

import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunState;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.StoreTestSupport;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TimestampRead;
import dev.tracedb.store.format.CatalogRecord;
import dev.tracedb.store.journal.JournalFormat;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

import static dev.tracedb.store.internal.JournalFixtures.PROGRAM;
import static dev.tracedb.store.internal.JournalFixtures.catalogRecords;
import static dev.tracedb.store.internal.JournalFixtures.completeJournal;
import static dev.tracedb.store.internal.JournalFixtures.count;
import static dev.tracedb.store.internal.JournalFixtures.journalFrames;
import static dev.tracedb.store.internal.JournalFixtures.journalOf;
import static dev.tracedb.store.internal.JournalFixtures.logFrames;
import static dev.tracedb.store.internal.JournalFixtures.runDir;
import static dev.tracedb.store.internal.JournalFixtures.writeInputs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A native recorder's journal becomes an ordinary run when Java opens the database. */
class JournalImportTest extends StoreTestSupport {
    private static final RunId R1 = new RunId(1);
    private static final int SYSCALLS = 40;

    private final List<String> messages = Collections.synchronizedList(new ArrayList<>());

    private Path db() {
        return tmp.resolve("db");
    }

    private ChronicleTraceDatabase open(Path dir) {
        return ChronicleTraceDatabase.open(dir, CLOCK, messages::add);
    }

    @Test
    void completeJournalBecomesACompleteRunWrittenAsTheJavaWriterWouldHave() throws Exception {
        List<Long> starts = completeJournal(db(), R1, "lua-run", SYSCALLS, ExitStatus.exited(3));
        byte[] journal = Files.readAllBytes(journalOf(db(), R1));
        int frames = starts.size() - 1;
        try (ChronicleTraceDatabase db = open(db())) {
            RunSummary run = db.find(R1).orElseThrow();
            assertEquals(new RunSummary(R1, "lua-run", PROGRAM, T0, RunState.COMPLETE, ExitStatus.exited(3),
                    CLOCK.instant()), run);
            assertFalse(Files.exists(journalOf(db(), R1)), "the imported journal is deleted");

            // The same calls through the Java writer: the two logs hold the same frames, byte for byte.
            RunId javaRun;
            try (RunWriter w = db.createRun("lua-run", started(PROGRAM))) {
                writeInputs(w, SYSCALLS);
                w.end(ExitStatus.exited(3));
                javaRun = w.id();
            }
            assertEquals(new RunId(2), javaRun);
            assertEquals(journalFrames(journal, starts, frames), logFrames(db(), R1), "frames copied unchanged");
            assertEquals(logFrames(db(), javaRun), logFrames(db(), R1));

            try (RunReader imported = db.openRun(R1); RunReader written = db.openRun(javaRun)) {
                assertTrue(imported.isComplete());
                assertTrue(imported.info().inputsOnly());
                List<Object> events = events(imported);
                assertEquals(frames - 1, events.size(), "every frame but INPUTS_ONLY, a marker visitors do not get");
                assertEquals(events(written), events);
                assertEquals(SYSCALLS + SYSCALLS / 5, events.stream().filter(SyscallResult.class::isInstance).count());
            }
        }
        assertEquals(List.of(), messages, "a small import says nothing");
    }

    @Test
    void journalCutInsideAFrameIsAnIncompleteRunWithEveryWholeFrame() throws Exception {
        List<Long> starts = completeJournal(tmp.resolve("source"), R1, "cut", SYSCALLS, ExitStatus.exited(0));
        byte[] whole = Files.readAllBytes(journalOf(tmp.resolve("source"), R1));
        int frames = starts.size() - 1;
        // {cut offset, whole frames before it}: inside RUN_ENDED's body, inside a length field, right
        // after a length field, on a frame boundary, and one byte short of the end.
        long[][] cuts = {
                {starts.get(frames - 1) + 7, frames - 1},
                {starts.get(10) + 2, 10},
                {starts.get(25) + 4, 25},
                {starts.get(3), 3},
                {whole.length - 1, frames - 1},
                {starts.get(1) + 5, 1},
        };
        for (long[] cut : cuts) {
            Path dir = tmp.resolve("cut-" + cut[0]);
            Files.createDirectories(runDir(dir, R1));
            Files.write(journalOf(dir, R1), java.util.Arrays.copyOf(whole, (int) cut[0]));
            try (ChronicleTraceDatabase db = open(dir)) {
                assertEquals(RunState.INCOMPLETE, db.find(R1).orElseThrow().state(), "cut at " + cut[0]);
                assertEquals(journalFrames(whole, starts, (int) cut[1]), logFrames(dir, R1), "cut at " + cut[0]);
                try (RunReader r = db.openRun(R1)) {
                    assertFalse(r.isComplete());
                    assertEquals(cut[1] - (cut[1] >= 2 ? 1 : 0), events(r).size(), "all but INPUTS_ONLY");
                }
            }
            assertFalse(Files.exists(journalOf(dir, R1)));
        }
        assertEquals(List.of(), messages, "a cut journal is a recording cut short, not damage");
    }

    @Test
    void journalCutInsideItsFirstEventIsKeptAndNamed() throws Exception {
        List<Long> starts = completeJournal(db(), R1, "early", 1, ExitStatus.exited(0));
        Path journal = journalOf(db(), R1);
        byte[] cut = java.util.Arrays.copyOf(Files.readAllBytes(journal), (int) (starts.get(0) + 30));
        Files.write(journal, cut);
        try (ChronicleTraceDatabase db = open(db())) {
            assertEquals(List.of(), db.runs());
            assertEquals(new RunId(2), createRunId(db), "the run directory's id is not reused");
        }
        Path kept = journal.resolveSibling(JournalFormat.CORRUPT_FILE_NAME);
        assertArrayEquals(cut, Files.readAllBytes(kept));
        assertEquals(1, messages.size(), messages.toString());
        assertTrue(messages.get(0).contains("ends before its first event") && messages.get(0).contains(kept.toString()),
                messages.get(0));
    }

    @Test
    void corruptFrameStopsTheImportKeepsTheJournalAndSaysSoOnce() throws Exception {
        List<Long> starts = completeJournal(db(), R1, "flipped", SYSCALLS, ExitStatus.exited(0));
        Path journal = journalOf(db(), R1);
        byte[] bytes = Files.readAllBytes(journal);
        int damaged = 12;
        bytes[(int) (starts.get(damaged) + 4 + 9)] ^= 0x20;
        Files.write(journal, bytes);
        for (int open = 0; open < 2; open++) {
            try (ChronicleTraceDatabase db = open(db())) {
                RunSummary run = db.find(R1).orElseThrow();
                assertEquals(RunState.INCOMPLETE, run.state());
                assertEquals("flipped", run.name());
                assertEquals(journalFrames(bytes, starts, damaged), logFrames(db(), R1));
            }
        }
        assertFalse(Files.exists(journal));
        Path kept = journal.resolveSibling(JournalFormat.CORRUPT_FILE_NAME);
        assertArrayEquals(bytes, Files.readAllBytes(kept), "the damaged journal is kept as it was");
        assertEquals(1, messages.size(), "one line, once: " + messages);
        String line = messages.get(0);
        assertFalse(line.contains("\n"), line);
        assertTrue(line.startsWith("tracedb: corrupt journal " + journal + " at byte " + starts.get(damaged) + ": "), line);
        assertTrue(line.contains("CRC32C mismatch") && line.contains("has the " + damaged + " events before it (incomplete)")
                && line.endsWith("kept as " + kept), line);
        assertEquals(1, count(catalogRecords(db(), R1), CatalogRecord.RunCreated.class));
        assertEquals(0, count(catalogRecords(db(), R1), CatalogRecord.RunClosed.class));
    }

    @Test
    void badMagicKeepsTheJournalUnderItsCorruptName() throws Exception {
        completeJournal(db(), R1, "magic", 3, ExitStatus.exited(0));
        Path journal = journalOf(db(), R1);
        byte[] bytes = Files.readAllBytes(journal);
        System.arraycopy("GARBAGE!".getBytes(), 0, bytes, 0, 8);
        Files.write(journal, bytes);
        try (ChronicleTraceDatabase db = open(db())) {
            assertEquals(List.of(), db.runs());
        }
        Path kept = journal.resolveSibling(JournalFormat.CORRUPT_FILE_NAME);
        assertArrayEquals(bytes, Files.readAllBytes(kept));
        assertEquals(List.of("tracedb: corrupt journal " + journal + " at byte 0: bad magic \"GARBAGE!\", expected "
                + "TDBJRNL1: not an inputs journal; nothing imported; the journal is kept as " + kept), messages);
        assertFalse(Files.exists(runDir(db(), R1).resolve("log")));
    }

    @Test
    void journalOfAnotherVersionIsLeftWhereItIsForABuildThatReadsIt() throws Exception {
        completeJournal(db(), R1, "future", 3, ExitStatus.exited(0));
        Path journal = journalOf(db(), R1);
        byte[] bytes = Files.readAllBytes(journal);
        bytes[8] = 2;
        Files.write(journal, bytes);
        try (ChronicleTraceDatabase db = open(db())) {
            assertEquals(List.of(), db.runs());
            assertEquals(List.of(), db.runs());
            assertEquals(new RunId(2), createRunId(db));
        }
        assertArrayEquals(bytes, Files.readAllBytes(journal), "left in place, unchanged");
        assertEquals(List.of("tracedb: cannot import run r0001: journal " + journal + " has format version 2; this "
                + "build reads version 1 only (left in place for a tracedb that reads it)"), messages, "said once per database");
    }

    @Test
    void retryAfterACrashWhileOrAfterWritingTheLogConvergesToOneRun() throws Exception {
        // The log a finished step 1 leaves, taken from an import elsewhere.
        Path source = tmp.resolve("source");
        List<Long> starts = completeJournal(source, R1, "retried", SYSCALLS, ExitStatus.exited(0));
        byte[] journal = Files.readAllBytes(journalOf(source, R1));
        List<String> expected = journalFrames(journal, starts, starts.size() - 1);
        open(source).close();

        for (String crash : List.of("after step 1", "during step 1")) {
            Path dir = tmp.resolve(crash.replace(' ', '-'));
            Path log = Files.createDirectories(runDir(dir, R1)).resolve("log");
            Files.write(journalOf(dir, R1), journal);
            if (crash.equals("after step 1")) {
                copyTree(runDir(source, R1).resolve("log"), log);
            } else {
                try (SingleChronicleQueue q = Queues.forWriting(log); ExcerptAppender a = q.createAppender()) {
                    for (String frame : expected.subList(0, 5)) {
                        byte[] b = HexFormat.of().parseHex(frame);
                        LogDocuments.write(a, b, b.length);
                    }
                }
            }
            try (ChronicleTraceDatabase db = open(dir)) {
                assertEquals(RunState.COMPLETE, db.find(R1).orElseThrow().state(), crash);
            }
            assertEquals(expected, logFrames(dir, R1), crash);
            List<CatalogRecord> records = catalogRecords(dir, R1);
            assertEquals(1, count(records, CatalogRecord.RunCreated.class), crash);
            assertEquals(1, count(records, CatalogRecord.RunClosed.class), crash);
            assertFalse(Files.exists(journalOf(dir, R1)), crash);
        }
        assertEquals(List.of(), messages);
    }

    @Test
    void retryAfterACrashAfterTheCatalogOnlyFinishes() throws Exception {
        List<Long> starts = completeJournal(db(), R1, "entered", SYSCALLS, ExitStatus.exited(4));
        byte[] journal = Files.readAllBytes(journalOf(db(), R1));
        open(db()).close();
        List<String> log = logFrames(db(), R1);

        // Crash after step 2: catalogued, journal not yet deleted.
        Files.write(journalOf(db(), R1), journal);
        try (ChronicleTraceDatabase db = open(db())) {
            assertEquals(ExitStatus.exited(4), db.find(R1).orElseThrow().exit());
        }
        assertFalse(Files.exists(journalOf(db(), R1)));
        assertEquals(log, logFrames(db(), R1), "the log is not rewritten");
        List<CatalogRecord> records = catalogRecords(db(), R1);
        assertEquals(1, count(records, CatalogRecord.RunCreated.class));
        assertEquals(1, count(records, CatalogRecord.RunClosed.class));

        // Crash between step 2's two records: RUN_CREATED only. The retry adds RUN_CLOSED once.
        RunId r2 = new RunId(2);
        Path dir2 = runDir(db(), r2);
        Files.createDirectories(dir2);
        copyTree(runDir(db(), R1).resolve("log"), dir2.resolve("log"));
        Files.write(dir2.resolve(JournalFormat.FILE_NAME), journal);
        try (Catalog catalog = new Catalog(db().resolve("catalog"))) {
            catalog.append(new CatalogRecord.RunCreated(r2, "entered", PROGRAM, T0));
        }
        try (ChronicleTraceDatabase db = open(db())) {
            assertEquals(RunState.COMPLETE, db.find(r2).orElseThrow().state());
        }
        assertEquals(1, count(catalogRecords(db(), r2), CatalogRecord.RunCreated.class));
        assertEquals(1, count(catalogRecords(db(), r2), CatalogRecord.RunClosed.class));
        assertEquals(journalFrames(journal, starts, starts.size() - 1), logFrames(db(), r2));
        assertEquals(List.of(), messages);
    }

    @Test
    void longImportSaysWhichRunAndHowBig() throws Exception {
        completeJournal(db(), R1, "big", 2000, ExitStatus.exited(0));
        long size = Files.size(journalOf(db(), R1));
        Files.createDirectories(db().resolve("catalog"));
        try (Catalog catalog = new Catalog(db().resolve("catalog"))) {
            // An import that takes longer than the threshold (here 0 s, so the test does not depend
            // on this machine's speed) announces itself once, before it ends.
            new PendingJournals(db().resolve("runs"), new JournalImport(db(), catalog, messages::add, 0), messages::add)
                    .importFinished();
            assertEquals(1, count(catalog.readAll(), CatalogRecord.RunCreated.class));
        }
        assertEquals(List.of(String.format("tracedb: importing run r0001 (%.1f MB)…", size / 1e6)), messages);
        assertTrue(JournalImport.ANNOUNCE_AFTER_NANOS == 200_000_000L, "the default threshold is 0.2 s");
    }

    private static RunId createRunId(ChronicleTraceDatabase db) {
        try (RunWriter w = db.createRun("java", started("/bin/java-run"))) {
            return w.id();
        }
    }

    static List<Object> events(RunReader r) {
        List<Object> events = new ArrayList<>();
        r.replay(new EventVisitor() {
            @Override
            public void runStarted(RunStarted e) {
                events.add(e);
            }

            @Override
            public void syscall(SyscallResult e) {
                events.add(e);
            }

            @Override
            public void signal(SignalDelivered e) {
                events.add(e);
            }

            @Override
            public void memoryWritten(MemoryWritten e) {
                events.add(e);
            }

            @Override
            public void fileMapped(FileMapped e) {
                events.add(e);
            }

            @Override
            public void timestampRead(TimestampRead e) {
                events.add(e);
            }

            @Override
            public void unplacedStop() {
                events.add("UNPLACED_STOP");
            }

            @Override
            public void runEnded(RunEnded e) {
                events.add(e);
            }
        });
        return events;
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (var paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }
}
