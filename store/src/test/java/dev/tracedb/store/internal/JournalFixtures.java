package dev.tracedb.store.internal;

import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.StoreTestSupport;
import dev.tracedb.store.format.CatalogRecord;
import dev.tracedb.store.journal.JournalFormat;
import dev.tracedb.store.journal.JournalReader;
import dev.tracedb.store.journal.TestJournal;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** Journals, logs and catalogs as the journal-import tests write and inspect them. */
final class JournalFixtures {
    static final String PROGRAM = "/usr/bin/lua5.4";

    private JournalFixtures() {
    }

    /**
     * The inputs of a small recording, through the {@link RunWriter} calls the inputs engine makes:
     * AT_RANDOM's bytes, then reads with their buffers, mmaps with their files, rdtsc values, a signal.
     */
    static void writeInputs(RunWriter w, int syscalls) {
        w.inputsOnly();
        w.memoryWritten(0x7fff_ffff_ef39L, pattern(16, 255));
        for (int i = 0; i < syscalls; i++) {
            long buffer = 0x5555_5557_0000L + 4096L * i;
            w.syscall(0, new long[] {3, buffer, 4096, 0, 0, 0}, 100 + i % 50);
            w.memoryWritten(buffer, pattern(100 + i % 50, i));
            if (i % 5 == 0) {
                w.syscall(9, new long[] {0, 8192, 1, 2, 3, 0}, 0x7fff_f7fd_0000L - 8192L * i);
                w.fileMapped("/usr/lib/x86_64-linux-gnu/liblua5.4.so.0", 8192, 1_700_000_000_123_456_789L + i, 1234 + i,
                        1_700_000_100_000_000_000L + i, 0xfd01);
            }
            if (i % 7 == 0) w.timestampRead(1_000_003L * i, 3, i % 2 == 0);
        }
        w.signal(10, 0, 0);
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte) (seed * 31 + i * 7);
        return b;
    }

    static Path runDir(Path db, RunId id) {
        return db.resolve("runs").resolve(id.toString());
    }

    static Path journalOf(Path db, RunId id) {
        return runDir(db, id).resolve(JournalFormat.FILE_NAME);
    }

    /** A finished recording's journal in {@code db} (run directory and writer.lock as the recorder leaves them). */
    static TestJournal journal(Path db, RunId id, String name) {
        try {
            Path dir = Files.createDirectories(runDir(db, id));
            if (!Files.exists(dir.resolve("writer.lock"))) Files.createFile(dir.resolve("writer.lock"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return TestJournal.create(journalOf(db, id), id, name, StoreTestSupport.started(PROGRAM), StoreTestSupport.CLOCK);
    }

    /** A complete journal of {@code syscalls} reads ending with {@code exit}; returns its frames' start offsets. */
    static List<Long> completeJournal(Path db, RunId id, String name, int syscalls, ExitStatus exit) {
        try (TestJournal j = journal(db, id, name)) {
            writeInputs(j, syscalls);
            j.end(exit);
            List<Long> starts = new ArrayList<>(j.frameStarts());
            starts.add(j.position());
            return starts;
        }
    }

    /** The frames of a journal's bytes, given where each starts (and where the last ends). */
    static List<String> journalFrames(byte[] journal, List<Long> starts, int count) {
        List<String> frames = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            int from = (int) (long) starts.get(k) + 4;
            int to = (int) (long) starts.get(k + 1);
            frames.add(HexFormat.of().formatHex(Arrays.copyOfRange(journal, from, to)));
        }
        return frames;
    }

    /** Every document of a run's Chronicle log, in hex, in order. */
    static List<String> logFrames(Path db, RunId id) {
        Path logDir = runDir(db, id).resolve("log");
        List<String> frames = new ArrayList<>();
        LogDocuments docs = new LogDocuments(logDir);
        try (SingleChronicleQueue queue = Queues.forReading(logDir); ExcerptTailer tailer = queue.createTailer()) {
            while (docs.next(tailer)) {
                frames.add(HexFormat.of().formatHex(Arrays.copyOf(docs.buffer(), docs.length())));
            }
        }
        return frames;
    }

    /** Frame count and SHA-256 over a run log's documents, for logs too big to compare in hex. */
    static String logDigest(Path db, RunId id) throws Exception {
        Path logDir = runDir(db, id).resolve("log");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        int frames = 0;
        LogDocuments docs = new LogDocuments(logDir);
        try (SingleChronicleQueue queue = Queues.forReading(logDir); ExcerptTailer tailer = queue.createTailer()) {
            while (docs.next(tailer)) {
                sha.update(docs.buffer(), 0, docs.length());
                frames++;
            }
        }
        return frames + " frames, sha-256 " + HexFormat.of().formatHex(sha.digest());
    }

    /** As {@link #logDigest}, over a journal's frames. */
    static String journalDigest(Path journal) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        int frames = 0;
        try (JournalReader r = JournalReader.open(journal)) {
            while (r.next()) {
                sha.update(r.frame(), 0, r.frameLength());
                frames++;
            }
        }
        return frames + " frames, sha-256 " + HexFormat.of().formatHex(sha.digest());
    }

    /** The catalog's records about {@code id} (open the catalog only while no database is open on it). */
    static List<CatalogRecord> catalogRecords(Path db, RunId id) {
        try (Catalog catalog = new Catalog(db.resolve("catalog"))) {
            return catalog.readAll().stream().filter(r -> r.id().equals(id)).toList();
        }
    }

    static long count(List<CatalogRecord> records, Class<? extends CatalogRecord> kind) {
        return records.stream().filter(kind::isInstance).count();
    }
}
