package dev.tracedb.cli;

import static dev.tracedb.store.export.ColumnType.INT32;
import static dev.tracedb.store.export.ColumnType.INT64;
import static dev.tracedb.store.export.ColumnType.UTF8;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.loader.stats.TraceStats;
import dev.tracedb.store.export.Column;
import dev.tracedb.store.export.ColumnBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code traces} export table: one row per trace of a cache, its forecast (from the compiler's
 * replay of the recorded runs) and, when trace stats of that cache are given, what
 * {@code tracedb run --stats} measured. The caller has checked that the stats belong to the cache.
 */
final class TracesTable {
    static final List<Column> COLUMNS = List.of(
            new Column("trace_id", INT32, "the trace's id in the cache"),
            new Column("module", UTF8, "the file name of the module holding its head"),
            new Column("head_offset", INT64, "its head, from the module's base"),
            new Column("patch_length", INT32, "bytes of the head the loader overwrites with a jmp"),
            new Column("code_offset", INT32, "where its code starts in the module's blob"),
            new Column("code_bytes", INT32, "bytes of its code, its constants included (up to the next trace's code)"),
            new Column("forecast_entries", INT64, "forecast: times it is entered (from the original code or another trace)"),
            new Column("forecast_completions", INT64, "forecast: times its whole path runs (a loop trace: iterations)"),
            new Column("forecast_exits", INT64, "forecast: side exits taken, all targets together"),
            new Column("forecast_instructions", INT64, "forecast: instructions that run inside it"),
            new Column("forecast_total_instructions", INT64, "forecast: all instructions of the recorded runs (the same in every row)"),
            new Column("top_exit", UTF8, "forecast: its most frequent side exit (module+0xoffset), empty if none"),
            new Column("top_exit_count", INT64, "forecast: times that exit is taken"),
            new Column("stats", UTF8, "the trace stats measured (sNNNN), empty when none"),
            new Column("measured_applied", INT32, "1 when its module got its traces in the measured run, else 0"),
            new Column("measured_entries", INT64, "measured: entries, through its patched head or by a link from another trace; -1 when not measured or not applied"),
            new Column("measured_completions", INT64, "measured: times its whole path ran (a loop trace: iterations); -1 when not measured or not applied"),
            new Column("measured_exits", INT64, "measured: side exits, all targets together (guard mismatches included); -1 when not measured or not applied"),
            new Column("measured_top_exit_count", INT64, "measured: side exits to top_exit by a conditional branch's guard (an indirect transfer's mismatch is counted only in measured_guard_exits); -1 when not measured or not applied"),
            new Column("measured_guard_exits", INT64, "measured: guard mismatches of indirect transfers and returns (targets known only at run time); -1 when not measured or not applied"));

    private TracesTable() {
    }

    static ColumnBatch rows(TraceCache cache, Optional<TraceStats> stats) {
        Map<Integer, Forecast.TraceForecast> forecasts = new HashMap<>();
        long total = 0;
        if (cache.forecast() != null) {
            cache.forecast().traces().forEach(f -> forecasts.put(f.traceId(), f));
            total = cache.forecast().totalInstructions();
        }
        Map<Integer, TraceStats.Measured> measured = new HashMap<>();
        stats.ifPresent(s -> s.traces().forEach(m -> measured.put(m.traceId(), m)));
        int count = cache.code().stream().mapToInt(c -> c.entries().size()).sum();
        ColumnBatch batch = new ColumnBatch(COLUMNS, Math.max(1, count));
        int row = 0;
        for (ModuleCode code : cache.code()) {
            String module = fileName(cache.modules().get(code.moduleIndex()).path());
            List<ModuleCode.TraceEntry> entries = new ArrayList<>(code.entries());
            entries.sort(Comparator.comparingInt(ModuleCode.TraceEntry::codeOffset));
            for (int k = 0; k < entries.size(); k++) {
                ModuleCode.TraceEntry e = entries.get(k);
                int end = k + 1 < entries.size() ? entries.get(k + 1).codeOffset() : code.code().length;
                Forecast.TraceForecast f = forecasts.get(e.traceId());
                TraceStats.Measured m = measured.get(e.traceId());
                batch.ints(0)[row] = e.traceId();
                batch.strings(1)[row] = module;
                batch.longs(2)[row] = e.headOffset();
                batch.ints(3)[row] = e.patchLength();
                batch.ints(4)[row] = e.codeOffset();
                batch.ints(5)[row] = end - e.codeOffset();
                batch.longs(6)[row] = f == null ? 0 : f.entries();
                batch.longs(7)[row] = f == null ? 0 : f.completions();
                batch.longs(8)[row] = f == null ? 0 : f.exits().stream().mapToLong(Forecast.ExitCount::count).sum();
                batch.longs(9)[row] = f == null ? 0 : f.instructionsInside();
                batch.longs(10)[row] = total;
                Forecast.ExitCount top = f == null || f.exits().isEmpty() ? null : f.exits().get(0);
                batch.strings(11)[row] = top == null ? ""
                        : fileName(cache.modules().get(top.to().moduleIndex()).path()) + "+0x" + Long.toHexString(top.to().offset());
                batch.longs(12)[row] = top == null ? 0 : top.count();
                batch.strings(13)[row] = stats.map(TraceStats::id).orElse("");
                boolean counted = m != null && m.applied();
                batch.ints(14)[row] = counted ? 1 : 0;
                batch.longs(15)[row] = counted ? m.entries() : -1;
                batch.longs(16)[row] = counted ? m.completions() : -1;
                batch.longs(17)[row] = counted ? m.exits() : -1;
                // an exit into another module has no counter of its own (it leaves by a guard)
                batch.longs(18)[row] = !counted ? -1 : top == null || top.to().moduleIndex() != code.moduleIndex() ? 0
                        : m.exitsTo(top.to().offset());
                batch.longs(19)[row] = counted ? m.guardExits() : -1;
                row++;
            }
        }
        batch.rows(row);
        return batch;
    }

    private static String fileName(String path) {
        Path name = Path.of(path).getFileName();
        return name == null ? path : name.toString();
    }
}
