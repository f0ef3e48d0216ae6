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
        return choose(runs, plan, new PolymorphicRule(rule, 1, PolymorphicRule.DEFAULT.minShareEach()), progress);
    }

    /** As {@link #choose(List, ValueProbePlan, ValueRule, ProgressListener)}, with polymorphic guards where {@code rule} allows them. */
    public static ChosenValues choose(List<RunReader> runs, ValueProbePlan plan, PolymorphicRule rule,
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
            List<Long> values = rule.values(counts, aligner.completed[o]);
            seen.add(new SiteValues(site.traceId(), site.block(), site.instruction(), site.at(), counts.passes(), value,
                    count, !values.isEmpty(), counts.leaders(SiteValues.LEADERS), values));
            for (long v : values) {
                guards.computeIfAbsent(site.traceId(), id -> new ArrayList<>())
                        .add(new ValueGuard(site.block(), site.instruction(), v));
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
        /** Per occurrence, the values of the passes that completed their trace. */
        final ValueCounts[] completed;
        /** The trace pass now under way (simulator trace index, last position) and its samples so far. */
        private int passTrace = -1;
        private int passPosition;
        private long passCompletions;
        private final List<long[]> passSamples = new ArrayList<>();

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
            completed = new ValueCounts[counts.length];
            for (int o = 0; o < counts.length; o++) {
                ValueSites.Site s = plan.occurrences().get(o);
                int t = indexOfTrace.get(s.traceId());
                occurrenceAt.put(key(t, s.block(), addresses.indexOf(s.at())), o);
                hasSite[t][s.block()] = true;
                counts[o] = new ValueCounts();
                completed[o] = new ValueCounts();
            }
        }

        private static long key(int trace, int position, int address) {
            return ((long) trace << 42) | ((long) position << 21) | address;
        }

        @Override
        public void runStarted(int runIndex, RunReader run) {
            samples = RunSamples.of(run, plan, addresses);
            passTrace = -1;
            passSamples.clear();
            next = 0;
            event = -1;
        }

        @Override
        public void block(int blockId) {
            event++;
            if (next >= samples.size()) return;
            while (next < samples.size() && samples.event(next) < event) next++; // events outside traces
            int t = simulator.currentTrace();
            int p = t < 0 ? 0 : simulator.currentPosition();
            followPass(t, p);
            if (t < 0) return;
            if (!hasSite[t][p]) return;
            for (; next < samples.size() && samples.event(next) == event; next++) {
                Integer o = occurrenceAt.get(key(t, p, samples.site(next)));
                if (o != null) {
                    long value = plan.occurrences().get(o).sampled(samples.value(next));
                    counts[o].add(value);
                    passSamples.add(new long[] {o, value});
                }
            }
        }

        /**
         * The simulator has run this event already: if the pass under way completed its trace (the
         * event is its continuation, or a loop's head again) its samples count as completed. A pass
         * goes on while the events stay in its trace at later positions; anything else ends it.
         */
        private void followPass(int trace, int position) {
            if (passTrace >= 0 && simulator.completions(passTrace) > passCompletions) completePass();
            if (trace >= 0 && trace == passTrace && position > passPosition) {
                passPosition = position;
                return;
            }
            passSamples.clear();
            passTrace = trace;
            passPosition = position;
            if (trace >= 0) passCompletions = simulator.completions(trace);
        }

        /** The pass completed its trace: its samples count as completed. */
        private void completePass() {
            for (long[] s : passSamples) {
                completed[(int) s[0]].add(s[1]);
            }
            passSamples.clear();
        }

        @Override
        public void runEnded(int runIndex) {
            samples = null;
        }
    }
}
