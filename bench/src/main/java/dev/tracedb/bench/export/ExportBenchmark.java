package dev.tracedb.bench.export;

import dev.tracedb.store.RunReader;
import dev.tracedb.store.TraceDatabase;
import dev.tracedb.store.export.ExecWindow;
import dev.tracedb.store.export.ExportFormat;
import dev.tracedb.store.export.ExportProgress;
import dev.tracedb.store.export.ExportResult;
import dev.tracedb.store.export.ExportTable;
import dev.tracedb.store.export.Exporter;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Rows per second of {@code tracedb export --table exec}: the whole execution stream of a recorded
 * run (bench/export.sh records lua5.4 for it) written as an Arrow IPC file or CSV into a temporary
 * directory. Each operation is one full export; the {@code rows} counter is the figure to read
 * (rows/s), the operation rate is exports/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class ExportBenchmark {

    /** The database holding the recording (bench/export.sh passes it). */
    @Param("")
    public String database;

    /** The run to export. */
    @Param("")
    public String run;

    @Param({"arrow", "csv"})
    public String format;

    /** Whether rows carry block_event and instruction (20 bytes a row instead of 4). */
    @Param({"false", "true"})
    public boolean positions;

    /** Rows written, reported by JMH as a rate next to the operation rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rows {
        public long rows;

        @Setup(Level.Iteration)
        public void reset() {
            rows = 0;
        }
    }

    private TraceDatabase db;
    private RunReader reader;
    private Path directory;
    private Path target;
    private ExportFormat exportFormat;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (database.isEmpty() || run.isEmpty()) {
            throw new IllegalStateException("pass -p database=DIR -p run=RUN (bench/export.sh does)");
        }
        db = TraceDatabase.open(Path.of(database));
        reader = db.openRun(db.resolve(run).id());
        exportFormat = ExportFormat.parse(format);
        directory = Files.createTempDirectory(Path.of(System.getProperty("tracedb.bench.dir", System.getProperty("java.io.tmpdir"))), "tracedb-export-bench");
        target = directory.resolve("exec." + format);
        System.out.printf("%n[export] %s: %,d block events%n", run, reader.blockEventCount());
    }

    @Benchmark
    public long exportExec(Rows counter) {
        ExportResult result = new Exporter(reader).export(ExportTable.EXEC, exportFormat, target, new ExecWindow(0, -1, positions),
                ExportProgress.NONE);
        counter.rows += result.rows();
        return result.bytes();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        reader.close();
        db.close();
        Files.deleteIfExists(target);
        Files.deleteIfExists(directory);
    }
}
