package dev.tracedb.bench.store;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.MachineInfo;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.TraceDatabase;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Throughput of execution batches through a real run log, in block events per second (each
 * operation is one block event). The stream is interpreter-like: a dispatch loop of 20 blocks,
 * one iteration in 16 taking another handler path. {@code append} pushes 1 Mi events per
 * invocation through {@link RunWriter#appendExec(int[], int, int)} in chunks of {@code chunk} events:
 * 4 Ki (smaller than a batch) or 1 Mi (what the recorder's {@code BackgroundRunWriter} hands over,
 * 16 batches at once); {@code read} replays a 64 Mi-event run. Bytes per event are printed at
 * tear-down.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ExecBatchBenchmark {
    static final int PER_INVOCATION = 1 << 20;
    static final int READ_EVENTS = 1 << 26;
    static final int BLOCKS = 4096;

    @Param({"4096", "1048576"})
    public int chunk;

    private Path dir;
    private TraceDatabase db;
    private RunWriter writer;
    private int[][] chunks;
    private RunId readRun;
    private RunReader reader;
    private final long[] sink = new long[1];

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("tracedb-bench");
        db = TraceDatabase.open(dir);
        // Pre-generate the stream so the benchmark measures the store, not the generator.
        int[] stream = new int[PER_INVOCATION];
        fill(stream);
        chunks = new int[PER_INVOCATION / chunk][];
        for (int i = 0; i < chunks.length; i++) {
            chunks[i] = java.util.Arrays.copyOfRange(stream, i * chunk, (i + 1) * chunk);
        }
        writer = newRun("append");
        try (RunWriter w = newRun("read")) {
            for (int i = 0; i < READ_EVENTS / PER_INVOCATION; i++) {
                for (int[] c : chunks) w.appendExec(c, 0, c.length);
            }
            w.end(ExitStatus.exited(0));
            readRun = w.id();
        }
        reader = db.openRun(readRun);
    }

    private RunWriter newRun(String name) {
        RunWriter w = db.createRun(name, new RunStarted(List.of("/bench/" + name), "/", List.of(),
                MachineInfo.current(), Instant.now()));
        w.moduleMapped(new ModuleMapped(0, "/bench", 0x400000, 1 << 20, new byte[20], new byte[32]));
        for (int b = 0; b < BLOCKS; b++) {
            w.defineBlock(new BlockDefined(b, 0, 16L * b, new byte[] {(byte) 0x90}, 1 + b % 7, Terminator.JUMP));
        }
        return w;
    }

    /** The interpreter-like stream (same shape as the store tests' InterpreterStream). */
    static void fill(int[] out) {
        long state = 2024;
        int[] loop = new int[20];
        for (int i = 0; i < loop.length; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            loop[i] = (int) ((state >>> 33) % (BLOCKS / 2));
        }
        boolean variant = false;
        for (int i = 0; i < out.length; i++) {
            int pos = i % loop.length;
            if (pos == 0) {
                state = state * 6364136223846793005L + 1442695040888963407L;
                variant = ((state >>> 33) & 15) == 0;
            }
            int id = loop[pos];
            if (variant && pos >= 8 && pos < 12) {
                state = state * 6364136223846793005L + 1442695040888963407L;
                id = BLOCKS / 2 + (int) ((state >>> 33) % (BLOCKS / 2));
            }
            out[i] = id;
        }
    }

    @Benchmark
    @OperationsPerInvocation(PER_INVOCATION)
    public long append() {
        for (int[] c : chunks) writer.appendExec(c, 0, c.length);
        return writer.blockEvents();
    }

    @Benchmark
    @OperationsPerInvocation(READ_EVENTS)
    public long read() {
        sink[0] = 0;
        reader.replay(new EventVisitor() {
            @Override
            public void execBatch(ExecBatchHeader h, int[] ids) {
                long s = sink[0];
                for (int i = 0, n = h.eventCount(); i < n; i++) s += ids[i];
                sink[0] = s;
            }
        });
        return sink[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        writer.end(ExitStatus.exited(0));
        RunId appended = writer.id();
        writer.close();
        var readInfo = reader.info();
        reader.close();
        try (RunReader r = db.openRun(appended)) {
            var info = r.info();
            if (info.blockEvents() > 0) System.out.printf("%n[store] append run: %,d block events, %.4f compressed bytes/event%n",
                    info.blockEvents(), info.bytesPerBlockEvent());
        }
        System.out.printf("[store] read run: %,d block events, %.4f compressed bytes/event%n",
                readInfo.blockEvents(), readInfo.bytesPerBlockEvent());
        db.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
