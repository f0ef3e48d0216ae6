package dev.tracedb.compiler.forecast;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.mining.BlockCatalog;
import dev.tracedb.compiler.mining.BlockStream;
import dev.tracedb.compiler.mining.ModuleKey;
import dev.tracedb.compiler.mining.ProgressListener;
import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.store.RunReader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The compiler's forecast for a {@link TraceSelection}: replays the recorded runs against its traces
 * with a {@link TraceSimulator} and reports, per trace and in total, entries, completions, side
 * exits and the share of executed instructions that would run inside traces.
 *
 * <p>Traces are switched on at the program's {@link ProgramEntry entry point}, as the loader applies
 * them (from the start if the program file is gone). Stream blocks are matched to trace blocks by module (path and build-id), offset and length,
 * so the runs need not be the ones the selection was mined from, only runs of the same program.
 * Side exits to a module the selection does not list are counted in the trace's figures but left
 * out of its exit list, which names addresses by the selection's module indices.
 *
 * <p>Stateless; a call reads the runs on the calling thread.
 */
public final class Forecaster {
    private Forecaster() {
    }

    public static Forecast forecast(List<RunReader> runs, TraceSelection selection) {
        return forecast(runs, selection, ProgressListener.NONE);
    }

    /** One streaming pass over {@code runs}. */
    public static Forecast forecast(List<RunReader> runs, TraceSelection selection, ProgressListener progress) {
        BlockStream.requireSameProgram(runs);
        BlockCatalog catalog = catalogOf(selection);
        List<SimulatedTrace> traces = simulatedTraces(selection, catalog);
        TraceSimulator simulator = TraceSimulator.simulate(runs, catalog, traces,
                ProgramEntry.of(runs.get(0)).orElse(null), progress);
        int[] ids = selection.traces().stream().mapToInt(TracePath::traceId).toArray();
        return toForecast(simulator, catalog, ids, selection.modules().size(), identity(selection.modules().size()));
    }

    /** A catalog whose module indices are the selection's (exits and blocks then name them alike). */
    public static BlockCatalog catalogOf(TraceSelection selection) {
        BlockCatalog catalog = new BlockCatalog();
        for (TraceModule module : selection.modules()) {
            catalog.module(new ModuleKey(module.path(), module.buildId()), module.size());
        }
        if (catalog.moduleCount() != selection.modules().size()) {
            throw new IllegalArgumentException("the selection lists one module twice");
        }
        return catalog;
    }

    /** The selection's traces as the simulator sees them, in selection order, blocks entered into {@code catalog}. */
    public static List<SimulatedTrace> simulatedTraces(TraceSelection selection, BlockCatalog catalog) {
        List<SimulatedTrace> traces = new ArrayList<>();
        for (TracePath trace : selection.traces()) {
            int[] blocks = new int[trace.blocks().size()];
            for (int i = 0; i < blocks.length; i++) {
                PathBlock b = trace.blocks().get(i);
                blocks[i] = catalog.block(b.at().moduleIndex(), b.at().offset(), b.bytes(), b.instructionCount(),
                        b.terminator());
            }
            traces.add(new SimulatedTrace(blocks, trace.continuation().moduleIndex(), trace.continuation().offset()));
        }
        return traces;
    }

    /**
     * The simulator's figures as a {@link Forecast}.
     *
     * @param traceIds    the trace id of each simulated trace, by simulator index
     * @param moduleCount modules of the selection; exits elsewhere are left out of the exit lists
     * @param moduleMap   catalog module index → selection module index (or -1)
     */
    public static Forecast toForecast(TraceSimulator simulator, BlockCatalog catalog, int[] traceIds, int moduleCount,
                                      int[] moduleMap) {
        List<List<Forecast.ExitCount>> exits = new ArrayList<>();
        for (int t = 0; t < simulator.traceCount(); t++) exits.add(new ArrayList<>());
        simulator.forEachExit((trace, to, count) -> {
            int module = catalog.moduleOf(to) < moduleMap.length ? moduleMap[catalog.moduleOf(to)] : -1;
            if (module >= 0 && module < moduleCount) {
                exits.get(trace).add(new Forecast.ExitCount(new CodeAddress(module, catalog.offset(to)), count));
            }
        });
        List<Forecast.TraceForecast> perTrace = new ArrayList<>();
        for (int t = 0; t < simulator.traceCount(); t++) {
            perTrace.add(new Forecast.TraceForecast(traceIds[t], simulator.entries(t), simulator.completions(t),
                    simulator.instructionsInside(t), mergeSameAddress(exits.get(t))));
        }
        perTrace.sort(Comparator.comparingInt(Forecast.TraceForecast::traceId));
        return new Forecast(simulator.totalInstructions(), simulator.instructionsInTraces(), perTrace);
    }

    /**
     * Exits by address, most frequent first (two blocks at one address, of different lengths, are
     * one exit address).
     */
    private static List<Forecast.ExitCount> mergeSameAddress(List<Forecast.ExitCount> exits) {
        Map<CodeAddress, Long> merged = new HashMap<>();
        for (Forecast.ExitCount e : exits) merged.merge(e.to(), e.count(), Long::sum);
        List<Forecast.ExitCount> out = new ArrayList<>();
        merged.forEach((to, count) -> out.add(new Forecast.ExitCount(to, count)));
        out.sort(Comparator.comparingLong(Forecast.ExitCount::count).reversed()
                .thenComparingInt(e -> e.to().moduleIndex()).thenComparingLong(e -> e.to().offset()));
        return out;
    }

    private static int[] identity(int n) {
        int[] map = new int[n];
        for (int i = 0; i < n; i++) map[i] = i;
        return map;
    }
}
