package dev.tracedb.compiler.values;

import dev.tracedb.compiler.codegen.ValueSites;
import dev.tracedb.compiler.forecast.Forecaster;
import dev.tracedb.compiler.forecast.ProgramEntry;
import dev.tracedb.compiler.forecast.TraceSimulator;
import dev.tracedb.compiler.mining.BlockCatalog;
import dev.tracedb.compiler.mining.BlockStream;
import dev.tracedb.compiler.mining.ProgressListener;
import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.compiler.path.ValueGuard;
import dev.tracedb.store.RunReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses value guards for a selection from runs recorded (or expanded) with value probes at its
 * {@link ValueProbePlan plan}'s sites.
 *
 * <p>Alignment: the runs are replayed against the selection's traces by a {@link TraceSimulator},
 * exactly as the forecast replays them, and after each block event the simulator says whether it
 * ran inside a trace and at which position of its path. A sample belongs to the block event that
 * ran its load, so a sample at an event inside trace {@code t} at position {@code p}, of a load
 * that block {@code p} of {@code t} holds, is one pass of {@code t} through that load. Samples of
 * events outside traces (the same load reached on other paths, or before the program's entry)
 * say nothing about a trace and are skipped. Each position's values are counted
 * ({@link ValueCounts}) and the {@link ValueRule} turns the dominant ones into guards.
 *
 * <p>Only passes inside the probe window carry samples: a window cut short by the probe budget
 * decides on its first part. The runs must be of one program; a run without samples at a site
 * only contributes nothing there.
 */
public final class ValueGuardChooser {
    private ValueGuardChooser() {}

    public static ChosenValues choose(List<RunReader> runs, ValueProbePlan plan, ValueRule rule,
                                      ProgressListener progress) {
        BlockStream.requireSameProgram(runs);
        TraceSelection selection = plan.selection();
        BlockCatalog catalog = Forecaster.catalogOf(selection);
        TraceSimulator simulator = new TraceSimulator(catalog, Forecaster.simulatedTraces(selection, catalog),
                ProgramEntry.of(runs.get(0)).orElse(null));
        Aligner aligner = new Aligner(simulator, plan);
        BlockStream.stream(runs, catalog, BlockStream.both(simulator, aligner), progress, "values");

        List<String> without = new ArrayList<>();
        for (RunReader run : runs) {
            if (!plan.missingFrom(run).isEmpty()) without.add(run.id().toString());
        }
        List<SiteValues> seen = new ArrayList<>();
        Map<Integer, List<ValueGuard>> guards = new HashMap<>();
        for (int o = 0; o < plan.occurrences().size(); o++) {
            ValueSites.Site site = plan.occurrences().get(o);
            ValueCounts counts = aligner.counts[o];
            long value = counts.top();
            long count = counts.countOf(value);
            boolean guarded = rule.guards(count, counts.passes());
            seen.add(new SiteValues(site.traceId(), site.block(), site.instruction(), site.at(), counts.passes(), value,
                    count, guarded));
            if (guarded) {
                guards.computeIfAbsent(site.traceId(), id -> new ArrayList<>())
                        .add(new ValueGuard(site.block(), site.instruction(), value));
            }
        }
        List<TracePath> traces = new ArrayList<>();
        for (TracePath t : selection.traces()) {
            traces.add(t.withValueGuards(guards.getOrDefault(t.traceId(), List.of())));
        }
        return new ChosenValues(new TraceSelection(selection.modules(), traces), seen, without);
    }

    /** Walks each run's samples in step with its block events and counts them by trace position. */
    private static final class Aligner implements BlockStream.Sink {
        private final TraceSimulator simulator;
        private final ValueProbePlan plan;
        private final List<CodeAddress> addresses;
        /** (simulator trace index, path position, address index) → occurrence index. */
        private final Map<Long, Integer> occurrenceAt = new HashMap<>();
        /** Per simulator trace index and path position: whether any occurrence lies there. */
        private final boolean[][] hasSite;
        final ValueCounts[] counts;

        private RunSamples samples;
        private int next;
        private long event;

        Aligner(TraceSimulator simulator, ValueProbePlan plan) {
            this.simulator = simulator;
            this.plan = plan;
            this.addresses = plan.addresses();
            List<TracePath> traces = plan.selection().traces();
            Map<Integer, Integer> indexOfTrace = new HashMap<>();
            hasSite = new boolean[traces.size()][];
            for (int t = 0; t < traces.size(); t++) {
                indexOfTrace.put(traces.get(t).traceId(), t);
                hasSite[t] = new boolean[traces.get(t).blocks().size()];
            }
            counts = new ValueCounts[plan.occurrences().size()];
            for (int o = 0; o < counts.length; o++) {
                ValueSites.Site s = plan.occurrences().get(o);
                int t = indexOfTrace.get(s.traceId());
                occurrenceAt.put(key(t, s.block(), addresses.indexOf(s.at())), o);
                hasSite[t][s.block()] = true;
                counts[o] = new ValueCounts();
            }
        }

        private static long key(int trace, int position, int address) {
            return ((long) trace << 42) | ((long) position << 21) | address;
        }

        @Override
        public void runStarted(int runIndex, RunReader run) {
            samples = RunSamples.of(run, plan, addresses);
            next = 0;
            event = -1;
        }

        @Override
        public void block(int blockId) {
            event++;
            if (next >= samples.size()) return;
            while (next < samples.size() && samples.event(next) < event) next++; // events outside traces
            int t = simulator.currentTrace();
            if (t < 0) return;
            int p = simulator.currentPosition();
            if (!hasSite[t][p]) return;
            for (; next < samples.size() && samples.event(next) == event; next++) {
                Integer o = occurrenceAt.get(key(t, p, samples.site(next)));
                if (o != null) counts[o].add(plan.occurrences().get(o).sampled(samples.value(next)));
            }
        }

        @Override
        public void runEnded(int runIndex) {
            samples = null;
        }
    }
}
