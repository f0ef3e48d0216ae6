package dev.tracedb.store.internal;

import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.StoreTestSupport;
import dev.tracedb.store.journal.TestJournal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How long the first {@code TraceDatabase.open} of a fresh JVM (as every CLI command is) spends
 * importing one journal of a given size: the cost the native recorder moves off the recording's
 * path. Run by hand (not a test):
 * {@code java -cp store/target/classes:store/target/test-classes:DEPS dev.tracedb.store.internal.JournalImportMeasurement DIR MB}.
 * Prints the open time of an empty database, then of one holding the journal, in the same JVM.
 */
public final class JournalImportMeasurement {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        double megabytes = Double.parseDouble(args[1]);
        Path empty = dir.resolve("empty");
        Path full = dir.resolve("full");
        // Reads of 4 KiB, as a program reading files does: one SYSCALL_RESULT + one MEMORY_WRITTEN each.
        int reads = (int) (megabytes * 1e6 / (4096 + 130));
        try (TestJournal j = JournalFixtures.journal(full, new RunId(1), "measured")) {
            j.inputsOnly();
            byte[] page = JournalFixtures.pattern(4096, 7);
            for (int i = 0; i < reads; i++) {
                j.syscall(0, new long[] {3, 0x5555_0000L, 4096, 0, 0, 0}, 4096);
                j.memoryWritten(0x5555_0000L, page);
            }
            j.end(ExitStatus.exited(0));
        }
        long size = Files.size(JournalFixtures.journalOf(full, new RunId(1)));
        ChronicleTraceDatabase.open(dir.resolve("warm-up"), StoreTestSupport.CLOCK).close(); // Chronicle's start-up
        List<String> said = new ArrayList<>();
        long t0 = System.nanoTime();
        ChronicleTraceDatabase.open(empty, StoreTestSupport.CLOCK, said::add).close();
        long t1 = System.nanoTime();
        ChronicleTraceDatabase.open(full, StoreTestSupport.CLOCK, said::add).close();
        long t2 = System.nanoTime();
        System.out.printf("journal %.1f MB (%d frames): open empty %.0f ms, open with journal %.0f ms, import %.0f ms%n",
                size / 1e6, 2 * reads + 3, (t1 - t0) / 1e6, (t2 - t1) / 1e6, ((t2 - t1) - (t1 - t0)) / 1e6);
        said.forEach(System.out::println);
    }
}
