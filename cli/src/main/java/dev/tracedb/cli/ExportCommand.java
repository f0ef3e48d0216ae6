package dev.tracedb.cli;

import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.loader.stats.CacheId;
import dev.tracedb.loader.stats.TraceStats;
import dev.tracedb.loader.stats.TraceStatsDirectory;
import dev.tracedb.loader.stats.TraceStatsException;
import dev.tracedb.store.export.ColumnBatch;
import dev.tracedb.store.export.ExecWindow;
import dev.tracedb.store.export.ExportFormat;
import dev.tracedb.store.export.ExportProgress;
import dev.tracedb.store.export.ExportResult;
import dev.tracedb.store.export.ExportTable;
import dev.tracedb.store.export.Exporter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code tracedb export RUN --table T --format arrow|csv -o PATH}: one table of a run as an Apache
 * Arrow IPC file or CSV. The file appears only when complete (written beside it, then renamed).
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Export one table of a run as an Apache Arrow IPC file or CSV (schema in docs/querying.md).",
            "Tables: modules, blocks (with executions and function names), edges, exec (the block stream), syscalls;",
            "traces comes from a trace cache instead of a run: --table traces --cache FILE.tcache [--stats sNNNN]",
            "(the forecast per trace, and the entries tracedb run --stats measured with that cache: by default its latest stats).",
            "exec has one row per block event: block_id (row i is block event --from + i); --positions adds block_event",
            "and instruction. Arrow files carry tracedb.first_block_event and tracedb.first_instruction as metadata.",
            "The file is written beside PATH and renamed over it when complete; a failed export changes nothing."})
final class ExportCommand implements Callable<Integer> {

    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Mixin
    ExpandOption expand;

    @Parameters(paramLabel = "RUN", arity = "0..1",
            description = "A run id (r0001), a run name, or a unique prefix of either (not for --table traces).")
    String run;

    @Option(names = "--table", required = true, paramLabel = "TABLE",
            description = "modules, blocks, edges, exec, syscalls, or traces (with --cache).")
    String table;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "arrow", description = "arrow (default) or csv.")
    String format;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "PATH", description = "The file to write.")
    Path output;

    @Option(names = "--from", paramLabel = "N", defaultValue = "0",
            description = "exec only: start at block event N (0-based).")
    long from;

    @Option(names = "--count", paramLabel = "M", defaultValue = "-1",
            description = "exec only: at most M block events (default: to the end).")
    long count;

    @Option(names = "--positions",
            description = "exec only: add each row's block_event and instruction index (20 instead of 4 bytes a row).")
    boolean positions;

    @Option(names = "--cache", paramLabel = "FILE", description = "traces only: the trace cache (tracedb compile writes it).")
    Path cache;

    @Option(names = "--stats", paramLabel = "ID",
            description = "traces only: the trace stats to join (sNNNN from tracedb runs; default: the latest measured with --cache).")
    String stats;

    @Override
    public Integer call() {
        if (table.equalsIgnoreCase("traces")) {
            return exportTraces();
        }
        if (run == null) throw new CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'RUN'");
        if (cache != null || stats != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--cache and --stats apply to --table traces only");
        }
        ExportTable exportTable;
        ExportFormat exportFormat;
        try {
            exportTable = ExportTable.parse(table);
            exportFormat = ExportFormat.parse(format);
            if (exportTable != ExportTable.EXEC && (from != 0 || count != -1 || positions)) {
                throw new IllegalArgumentException("--from, --count and --positions apply to --table exec only");
            }
            if (from < 0) throw new IllegalArgumentException("--from must be >= 0, not " + from);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Every table but syscalls is about blocks: an inputs-only run gives them through its expansion.
        try (OpenedRun opened = exportTable == ExportTable.SYSCALLS ? OpenedRun.open(root.databaseDirectory(), run, err)
                : OpenedRun.openWithBlocks(root.databaseDirectory(), run, err, expand)) {
            if (exportTable == ExportTable.EXEC) opened.requireEvents();
            long started = System.nanoTime();
            ExportResult result = new Exporter(opened.reader).export(exportTable, exportFormat, output,
                    new ExecWindow(from, count, positions), exportTable == ExportTable.EXEC ? new StderrProgress(err) : ExportProgress.NONE);
            double seconds = (System.nanoTime() - started) / 1e9;
            out.printf(Locale.ROOT, "%s: exported %s rows of %s to %s (%s, %s, %.2f s)%n", opened.summary.id(),
                    Formats.count(result.rows()), exportTable.label(), output, exportFormat.name().toLowerCase(Locale.ROOT),
                    Formats.bytes(result.bytes()), seconds);
        }
        return TraceDbCommand.EXIT_OK;
    }

    /** The traces table: from a cache and, when there are any, the trace stats measured with it. */
    private int exportTraces() {
        ExportFormat exportFormat;
        try {
            if (run != null) {
                throw new IllegalArgumentException("table traces comes from --cache FILE.tcache, not from a run (drop " + run + ")");
            }
            if (cache == null) throw new IllegalArgumentException("table traces needs --cache FILE.tcache");
            if (from != 0 || count != -1 || positions) {
                throw new IllegalArgumentException("--from, --count and --positions apply to --table exec only");
            }
            exportFormat = ExportFormat.parse(format);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        long started = System.nanoTime();
        TraceCache traceCache = TraceCacheFile.read(cache);
        int cacheId = CacheId.of(cache);
        Optional<TraceStats> measured = measuredWith(traceCache, cacheId);
        ColumnBatch rows = TracesTable.rows(traceCache, measured);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("tracedb.table", "traces");
        metadata.put("tracedb.cache", cache.toAbsolutePath().normalize().toString());
        metadata.put("tracedb.cache_id", CacheId.hex(cacheId));
        metadata.put("tracedb.stats", measured.map(TraceStats::id).orElse(""));
        ExportResult result = Exporter.exportRows(rows, metadata, exportFormat, output);
        double seconds = (System.nanoTime() - started) / 1e9;
        spec.commandLine().getOut().printf(Locale.ROOT, "%s: exported %s rows of traces to %s (%s, %s, %.2f s); %s%n", cache,
                Formats.count(result.rows()), output, exportFormat.name().toLowerCase(Locale.ROOT), Formats.bytes(result.bytes()),
                seconds, measured.map(s -> "measured entries, completions and side exits from " + s.id()).orElse("no trace stats of this cache: nothing measured"));
        return TraceDbCommand.EXIT_OK;
    }

    /** --stats ID (which must have been measured with this cache), else the cache's latest stats, if any. */
    private Optional<TraceStats> measuredWith(TraceCache traceCache, int cacheId) {
        TraceStatsDirectory directory = TraceStatsDirectory.of(root.databaseDirectory());
        if (stats == null) return directory.latestFor(cacheId);
        TraceStats s = directory.find(stats);
        if (s.cacheId() != cacheId) {
            throw new TraceStatsException("trace stats " + s.id() + " were measured with another cache (" + s.cache() + ", id "
                    + CacheId.hex(s.cacheId()) + "), not " + cache + " (id " + CacheId.hex(cacheId) + ")");
        }
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        traceCache.code().forEach(c -> c.entries().forEach(e -> ids.add(e.traceId())));
        for (TraceStats.Measured m : s.traces()) {
            if (!ids.contains(m.traceId())) {
                throw new TraceStatsException("trace stats " + s.id() + " name trace " + m.traceId() + ", which " + cache + " does not hold");
            }
        }
        return Optional.of(s);
    }

    /** One progress line on stderr per second or so, for long exports of the stream. */
    private static final class StderrProgress implements ExportProgress {
        private final PrintWriter err;
        private final long started = System.nanoTime();
        private long lastPrinted = started;

        StderrProgress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void rows(long done, long total) {
            long now = System.nanoTime();
            if (now - lastPrinted < 1_000_000_000L || done >= total) return;
            lastPrinted = now;
            err.printf(Locale.ROOT, "tracedb: exec: %s of %s rows (%d%%)%n", Formats.count(done), Formats.count(total),
                    total == 0 ? 100 : done * 100 / total);
            err.flush();
        }
    }
}
