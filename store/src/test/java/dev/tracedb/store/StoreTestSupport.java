package dev.tracedb.store;

import dev.tracedb.store.internal.ChronicleTraceDatabase;
import net.openhft.chronicle.core.io.AbstractCloseable;
import net.openhft.chronicle.core.io.AbstractReferenceCounted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Shared test base: a fresh database directory per test, a fixed clock, standard events, and (as
 * Chronicle's own QueueTestCommon does) a check after each test that every queue, appender and
 * tailer was closed and every mapped file released.
 */
public abstract class StoreTestSupport {
    public static final Instant T0 = Instant.parse("2025-01-02T03:04:05.123456789Z");
    public static final Clock CLOCK = Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC);

    @TempDir
    protected Path tmp;

    @BeforeEach
    void traceCloseables() {
        AbstractCloseable.enableCloseableTracing();
        AbstractReferenceCounted.enableReferenceTracing();
    }

    @AfterEach
    void assertNothingLeaked() {
        AbstractCloseable.assertCloseablesClosed();
        AbstractReferenceCounted.assertReferencesReleased();
    }

    protected ChronicleTraceDatabase openDb() {
        return ChronicleTraceDatabase.open(tmp.resolve("db"), CLOCK);
    }

    public static RunStarted started(String program) {
        return new RunStarted(List.of(program, "-e", "print(1)"), "/home/user",
                List.of("PATH=/usr/bin:/bin", "HOME=/home/user", "PATH=/duplicate/kept"),
                new MachineInfo("testhost", "Linux version 6.1.0-test", "Test CPU @ 1.00GHz", 4096), T0);
    }

    public static ModuleMapped module(int id) {
        return new ModuleMapped(id, "/usr/bin/lua5.4", 0x5555_5555_0000L + id * 0x100000L, 0x2_0000,
                new byte[] {1, 2, 3, (byte) id}, new byte[32]);
    }

    /** Block {@code id} has {@code 1 + id % 7} instructions: varied, and easy to recompute in tests. */
    public static int instructionsOf(int blockId) {
        return 1 + blockId % 7;
    }

    public static BlockDefined block(int id) {
        Terminator t = Terminator.values()[id % Terminator.values().length];
        return new BlockDefined(id, 0, 0x1000L + 16L * id, new byte[] {(byte) 0x90, (byte) 0xC3, (byte) id},
                instructionsOf(id), t);
    }

    /** Maps module 0 and defines blocks {@code 0..blocks-1}. */
    public static void defineBlocks(RunWriter w, int blocks) {
        w.moduleMapped(module(0));
        for (int i = 0; i < blocks; i++) w.defineBlock(block(i));
    }
}
