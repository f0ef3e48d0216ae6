package dev.tracedb.compiler.select;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The selection and its forecast as text for people, e.g. what {@code tracedb compile} prints:
 * totals, the hottest traces with their forecast, and the reasons for refused heads and dropped
 * traces. Addresses are {@code FILE+0xOFFSET}. Stateless.
 */
public final class SelectionReport {
    private static final int DROPPED_LISTED = 5;
    /** How the module rule's reasons start (TraceSelector). */
    static final String MODULE_RULE = "its module's traces would save ";

    private SelectionReport() {
    }

    /** The report, listing at most {@code maxTraces} traces (hottest first). */
    public static String format(SelectionResult result, int maxTraces) {
        TraceSelection selection = result.selection();
        Forecast forecast = result.forecast();
        SelectionSummary summary = result.summary();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "mined %d run%s: %,d block events, %,d instructions, %,d distinct blocks, "
                        + "%,d edges, %,d path nodes, %d round%s%n", summary.runs(), summary.runs() == 1 ? "" : "s",
                summary.blockEvents(), summary.instructions(), summary.distinctBlocks(), summary.distinctEdges(),
                summary.maxPathNodes(), summary.rounds(), summary.rounds() == 1 ? "" : "s"));
        out.append(String.format(Locale.ROOT, "%d trace%s; forecast: %.1f%% of %,d instructions inside traces%n",
                selection.traces().size(), selection.traces().size() == 1 ? "" : "s", 100 * forecast.coverage(),
                forecast.totalInstructions()));
        List<TracePath> traces = selection.traces();
        for (int i = 0; i < Math.min(maxTraces, traces.size()); i++) {
            TracePath trace = traces.get(i);
            Forecast.TraceForecast f = forecast.traces().get(i);
            out.append(String.format(Locale.ROOT, "  #%-3d %s  %d blocks, %d instructions, %s  entered %,d, completed %,d, "
                            + "%.1f%% inside", trace.traceId(), name(selection, trace.head().at()), trace.blocks().size(),
                    trace.instructionCount(), trace.loopsToHead() ? "loop"
                            : "then " + name(selection, trace.continuation()),
                    f.entries(), f.completions(),
                    forecast.totalInstructions() == 0 ? 0.0 : 100.0 * f.instructionsInside() / forecast.totalInstructions()));
            if (!f.exits().isEmpty()) {
                Forecast.ExitCount top = f.exits().get(0);
                out.append(String.format(Locale.ROOT, "; most exits to %s (%,d)", name(selection, top.to()), top.count()));
            }
            out.append('\n');
        }
        if (traces.size() > maxTraces) out.append("  … ").append(traces.size() - maxTraces).append(" more\n");
        appendCounts(out, "heads refused", summary.headsRejected());
        appendCounts(out, "traces end", summary.stops());
        if (!summary.tracesDropped().isEmpty()) {
            out.append("traces dropped by the forecast: ").append(summary.tracesDropped().size()).append('\n');
            // The first few with their reasons: a user asking "why no trace here?" gets the answer.
            summary.tracesDropped().stream().limit(DROPPED_LISTED).forEach(d ->
                    out.append("  ").append(d.head()).append(": ").append(d.reason()).append('\n'));
            if (summary.tracesDropped().size() > DROPPED_LISTED) {
                out.append("  … ").append(summary.tracesDropped().size() - DROPPED_LISTED).append(" more\n");
            }
            // the module rule drops a module's traces together: one line per such module
            Map<Integer, List<SelectionSummary.DroppedTrace>> byModule = new TreeMap<>();
            summary.tracesDropped().stream().filter(d -> d.reason().startsWith(MODULE_RULE))
                    .forEach(d -> byModule.computeIfAbsent(d.head().moduleIndex(), k -> new ArrayList<>()).add(d));
            byModule.forEach((module, drops) -> out.append("  m").append(module).append(", ").append(drops.size())
                    .append(drops.size() == 1 ? " trace" : " traces").append(" dropped together: ")
                    .append(drops.get(0).reason()).append('\n'));
        }
        return out.toString();
    }

    private static void appendCounts(StringBuilder out, String title, Map<String, Long> counts) {
        if (counts.isEmpty()) return;
        out.append(title).append(':');
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
                        .thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> out.append(' ').append(e.getValue()).append(' ').append(e.getKey()).append(';'));
        out.setLength(out.length() - 1);
        out.append('\n');
    }

    /** {@code FILE+0xOFFSET}, the file name alone. */
    public static String name(TraceSelection selection, CodeAddress at) {
        TraceModule module = selection.modules().get(at.moduleIndex());
        Path file = Path.of(module.path()).getFileName();
        return (file == null ? module.path() : file.toString()) + "+0x" + Long.toHexString(at.offset());
    }
}
