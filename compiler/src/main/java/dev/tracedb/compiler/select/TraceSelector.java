package dev.tracedb.compiler.select;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.forecast.Forecaster;
import dev.tracedb.compiler.forecast.ProgramEntry;
import dev.tracedb.compiler.forecast.SimulatedTrace;
import dev.tracedb.compiler.forecast.TraceSimulator;
import dev.tracedb.compiler.mining.BlockCatalog;
import dev.tracedb.compiler.mining.BlockProfile;
import dev.tracedb.compiler.mining.BlockStream;
import dev.tracedb.compiler.mining.PathStatistics;
import dev.tracedb.compiler.mining.ProgressListener;
import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.Terminator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * Chooses the traces to compile from one or more recorded runs of one program (Dynamo's NET, on
 * the whole recorded stream at once), and forecasts them. See the package documentation for the
 * algorithm; {@link PathWalker} has the stop rules and {@link HeadEligibility} the head-patch rules.
 *
 * <p>Each call is independent and runs on the calling thread, reading the runs several times
 * (a profile pass, then per round a path pass and a forecast pass, then forecast passes while
 * traces are dropped).
 */
public final class TraceSelector {
    private final List<RunReader> runs;
    private final SelectionOptions options;
    private final ProgressListener progress;
    private final BlockCatalog catalog = new BlockCatalog();
    private final HeadEligibility eligibility;
    private final PathWalker walker;
    private final ProgramEntry activation;

    private final List<SimulatedTrace> chosen = new ArrayList<>();
    private final List<String> stops = new ArrayList<>();
    private final Map<Integer, String> rejected = new HashMap<>();
    private final Set<Integer> neverAgain = new HashSet<>();
    private final Set<Integer> coveredBefore = new HashSet<>();
    private final List<SelectionSummary.DroppedTrace> dropped = new ArrayList<>();
    private boolean[] isHead;
    private final Set<CodeAddress> headAddresses = new HashSet<>();
    private int maxPathNodes;
    private int rounds;
    /** Per block: how often it ran, and how often a call or a return brought control to it (see {@link #whyUnprofitable}). */
    private long[] executions;
    private long[] calledOrReturnedTo;
    /** Per block: how often a return brought control to it. */
    private long[] returnedTo;

    private TraceSelector(List<RunReader> runs, SelectionOptions options, ProgressListener progress, Decoder decoder) {
        this.runs = List.copyOf(runs);
        this.options = options;
        this.progress = progress;
        this.eligibility = new HeadEligibility(catalog, decoder);
        this.walker = new PathWalker(catalog, options);
        this.activation = ProgramEntry.of(this.runs.get(0)).orElse(null);
    }

    public static SelectionResult select(List<RunReader> runs, SelectionOptions options) {
        return select(runs, options, ProgressListener.NONE);
    }

    /**
     * Selects and forecasts traces.
     *
     * @param runs     runs of one program (see {@link BlockStream#requireSameProgram}); readers are
     *                 only read, and stay open
     * @param progress told about every pass over the runs
     * @throws IllegalArgumentException if the runs are of different programs, or there are none
     */
    public static SelectionResult select(List<RunReader> runs, SelectionOptions options, ProgressListener progress) {
        BlockStream.requireSameProgram(runs);
        try (Decoder decoder = Decoder.open()) {
            return new TraceSelector(runs, options, progress, decoder).run();
        }
    }

    private SelectionResult run() {
        BlockProfile profile = BlockProfile.mine(runs, catalog, progress);
        int n = catalog.size();
        isHead = new boolean[n];
        long[] backward = new long[n];
        returnedTo = new long[n]; // traces end at calls: where the callees return, traces may start again
        executions = new long[n];
        for (int b = 0; b < n; b++) executions[b] = profile.count(b);
        calledOrReturnedTo = new long[n];
        profile.forEachEdge((from, to, count) -> {
            switch (catalog.terminator(from)) {
                case CALL, INDIRECT_CALL, RETURN -> calledOrReturnedTo[to] += count;
                default -> { }
            }
            if (catalog.moduleOf(from) == catalog.moduleOf(to)
                    && catalog.offset(to) < catalog.offset(from) + catalog.length(from)) {
                backward[to] += count;
            }
            if (catalog.terminator(from) == Terminator.RETURN) {
                returnedTo[to] += count;
            }
        });
        long[] hotness = new long[n];
        for (int b = 0; b < n; b++) hotness[b] = profile.count(b);
        IntPredicate qualifies = b -> backward[b] >= options.minHeadExecutions();
        TraceSimulator simulator = null;
        double coverage = 0;
        for (int round = 0; round < options.rounds(); round++) {
            int[] candidates = candidates(hotness, qualifies);
            if (candidates.length == 0) break;
            rounds++;
            PathStatistics paths = minePaths(candidates);
            maxPathNodes = Math.max(maxPathNodes, paths.nodes());
            choose(candidates, paths);
            simulator = TraceSimulator.simulate(runs, catalog, chosen, activation, progress);
            double gain = share(simulator) - coverage;
            coverage += gain;
            if (round > 0 && gain < options.minRoundGain()) break;
            long[] exitsTo = new long[n];
            simulator.forEachExit((trace, to, count) -> exitsTo[to] += count);
            TraceSimulator outside = simulator;
            for (int b = 0; b < n; b++) hotness[b] = outside.outsideCount(b);
            qualifies = b -> backward[b] >= options.minHeadExecutions() || exitsTo[b] >= options.minHeadExecutions()
                    || returnedTo[b] >= options.minHeadExecutions();
        }
        simulator = dropUnprofitable(simulator);
        return result(profile, simulator);
    }

    /**
     * The path pass. Once traces exist, it runs the simulator of those traces alongside: a head
     * occurrence counts only where the original code reaches it (where a patched program would
     * arrive at it), not where it runs inside a trace, and cursors stop at existing heads, where a
     * walk ends anyway. Both keep later rounds cheap and their statistics those of the code that
     * is still outside traces.
     */
    private PathStatistics minePaths(int[] candidates) {
        if (chosen.isEmpty()) {
            return PathStatistics.mine(runs, catalog, candidates, options.maxBlocks(), options.maxPathNodes(),
                    progress);
        }
        boolean[] chosenHeads = isHead.clone();
        TraceSimulator simulator = new TraceSimulator(catalog, chosen, activation);
        PathStatistics paths = PathStatistics.collector(catalog, candidates, options.maxBlocks(),
                options.maxPathNodes(), b -> chosenHeads[b], simulator::inOriginalCode);
        BlockStream.stream(runs, catalog, BlockStream.both(simulator, paths), progress, "paths");
        return paths;
    }

    private static double share(TraceSimulator simulator) {
        return simulator.totalInstructions() == 0 ? 0
                : (double) simulator.instructionsInTraces() / simulator.totalInstructions();
    }

    /** Eligible heads not tried before, hottest first, at most one round's worth. */
    private int[] candidates(long[] hotness, IntPredicate qualifies) {
        Integer[] hot = IntStream.range(0, hotness.length)
                .filter(b -> !isHead[b] && !neverAgain.contains(b) && hotness[b] >= options.minHeadExecutions()
                        && qualifies.test(b))
                .boxed().sorted(Comparator.<Integer>comparingLong(b -> hotness[b]).reversed()
                        .thenComparingInt(b -> b))
                .toArray(Integer[]::new);
        int[] picked = new int[Math.min(hot.length, options.maxCandidatesPerRound())];
        int count = 0;
        for (int b : hot) {
            if (count == picked.length) break;
            String why = eligibility.whyNot(b);
            if (why != null) {
                rejected.put(b, why);
                neverAgain.add(b);
            } else {
                picked[count++] = b;
            }
        }
        return Arrays.copyOf(picked, count);
    }

    /**
     * Chooses this round's traces. A head reached from several places (an interpreter's shared
     * dispatch block, say) has many recorded paths, and its most frequent one covers only part of a
     * user-level loop; the head of that loop is reached once per iteration and its path covers the
     * whole iteration. So heads are tried in order of the instructions the recorded runs executed
     * along their path (their worth as a stand-alone trace), not of their own counts; a head that
     * lies on a trace chosen before it in this round gets none (it runs inside that trace).
     */
    private void choose(int[] candidates, PathStatistics paths) {
        IntPredicate chosenBefore = b -> b < isHead.length && isHead[b];
        Map<Integer, Long> worth = new HashMap<>();
        for (int head : candidates) {
            PathWalker.Walk walk = walker.walk(paths, head, chosenBefore);
            if (walk.trace() == null) {
                rejected.put(head, walk.noTraceReason());
                neverAgain.add(head);
            } else {
                worth.put(head, walk.recordedInstructions());
            }
        }
        List<Integer> order = new ArrayList<>(worth.keySet());
        order.sort(Comparator.<Integer>comparingLong(worth::get).reversed().thenComparingInt(b -> b));
        boolean[] covered = new boolean[catalog.size()];
        for (int head : order) {
            if (chosen.size() >= options.maxTraces()) {
                rejected.put(head, "trace limit reached");
                continue;
            }
            if (covered[head] && coveredBefore.add(head)) {
                // Skipped once; if the next forecast still finds it hot outside the traces, the
                // trace it lies on does not run it after all, and it gets a trace of its own.
                rejected.put(head, "runs inside a trace chosen before it");
                continue;
            }
            if (!headAddresses.add(catalog.address(head))) {
                // another block at this address (a prefix cut short by a signal) already heads a trace
                rejected.put(head, "another trace's head starts at the same address");
                neverAgain.add(head);
                continue;
            }
            PathWalker.Walk walk = walker.walk(paths, head, chosenBefore);
            rejected.remove(head);
            chosen.add(walk.trace());
            stops.add(walk.stop());
            isHead[head] = true;
            int[] blocks = walk.trace().blocks();
            for (int i = 1; i < blocks.length; i++) covered[blocks[i]] = true;
        }
    }

    /**
     * Forecasts, trims and drops until nothing changes. A trace is trimmed before the first block
     * that fewer than {@code coldShare} of its passes reach in the forecast (the path statistics
     * counted every occurrence of the head; the forecast counts only those where the trace is
     * entered, with the other traces in place), and continues at that block. Traces that would
     * not pay are dropped.
     */
    private TraceSimulator dropUnprofitable(TraceSimulator simulator) {
        for (int pass = 0; pass < 4 && !chosen.isEmpty(); pass++) {
            if (simulator == null) simulator = TraceSimulator.simulate(runs, catalog, chosen, activation, progress);
            boolean changed = false;
            List<SimulatedTrace> kept = new ArrayList<>();
            List<String> keptStops = new ArrayList<>();
            for (int t = 0; t < chosen.size(); t++) {
                SimulatedTrace trace = chosen.get(t);
                String reason = whyUnprofitable(simulator, t);
                if (reason != null) {
                    dropped.add(new SelectionSummary.DroppedTrace(catalog.address(trace.head()), reason));
                    isHead[trace.head()] = false;
                    headAddresses.remove(catalog.address(trace.head()));
                    changed = true;
                    continue;
                }
                int length = reachedLength(simulator, t);
                if (length < trace.blocks().length) {
                    int next = trace.blocks()[length];
                    trace = new SimulatedTrace(Arrays.copyOf(trace.blocks(), length), catalog.moduleOf(next),
                            catalog.offset(next));
                    keptStops.add("trimmed to what the forecast reaches");
                    changed = true;
                } else {
                    keptStops.add(stops.get(t));
                }
                kept.add(trace);
            }
            if (!changed) {
                // every trace pays on its own: now whether each module's traces, together, pay for
                // applying them at all
                kept.clear();
                keptStops.clear();
                changed = dropModulesThatSaveTooLittle(simulator, kept, keptStops);
                if (!changed) return simulator;
            }
            chosen.clear();
            chosen.addAll(kept);
            stops.clear();
            stops.addAll(keptStops);
            simulator = null;
        }
        if (simulator == null) simulator = TraceSimulator.simulate(runs, catalog, chosen, activation, progress);
        // out of passes: the module rule still holds for what is left
        List<SimulatedTrace> kept = new ArrayList<>();
        List<String> keptStops = new ArrayList<>();
        if (!chosen.isEmpty() && dropModulesThatSaveTooLittle(simulator, kept, keptStops)) {
            chosen.clear();
            chosen.addAll(kept);
            stops.clear();
            stops.addAll(keptStops);
            simulator = TraceSimulator.simulate(runs, catalog, chosen, activation, progress);
        }
        return simulator;
    }

    /**
     * The module rule ({@link SelectionOptions#minModuleSavedShare}): per module, the taken branches
     * all its traces would remove in the forecast, against the run's instructions. Traces of a
     * module under the share are dropped, each with the module's figure as its reason; the others
     * go to {@code kept} (with their stops). A fixed cost per start is what this weighs: the shim's
     * work, the module's code blob, its patched pages (copied on write) and their protections, paid
     * on every run, where a trace's own rules weigh only what each entry costs. Measured on python3
     * (docs/compiling.md, Fourteenth round (b)): its traces removed 0.03-0.2 % of the run's
     * instructions in taken branches, were even with the same cache with no head patched, and cost
     * their start-up; lua5.4's traces remove 2-8 %.
     *
     * @return whether any trace was dropped
     */
    private boolean dropModulesThatSaveTooLittle(TraceSimulator simulator, List<SimulatedTrace> kept,
                                                 List<String> keptStops) {
        if (!options.costModel() || options.minModuleSavedShare() <= 0 || simulator.totalInstructions() == 0) {
            kept.addAll(chosen);
            keptStops.addAll(stops);
            return false;
        }
        Map<Integer, Double> savedPerModule = new HashMap<>();
        for (int t = 0; t < chosen.size(); t++) {
            savedPerModule.merge(catalog.moduleOf(chosen.get(t).head()),
                    takenTransfersRemoved(chosen.get(t), simulator.instructionsInside(t)), Double::sum);
        }
        double needed = options.minModuleSavedShare() * simulator.totalInstructions();
        boolean changed = false;
        for (int t = 0; t < chosen.size(); t++) {
            SimulatedTrace trace = chosen.get(t);
            double saved = savedPerModule.get(catalog.moduleOf(trace.head()));
            if (saved >= needed) {
                kept.add(trace);
                keptStops.add(stops.get(t));
                continue;
            }
            dropped.add(new SelectionSummary.DroppedTrace(catalog.address(trace.head()), String.format(
                    SelectionReport.MODULE_RULE + "%.2f taken branches per 1000 instructions of the run, "
                            + "fewer than applying them costs (%.2f)",
                    1000 * saved / simulator.totalInstructions(), 1000 * options.minModuleSavedShare())));
            isHead[trace.head()] = false;
            headAddresses.remove(catalog.address(trace.head()));
            changed = true;
        }
        return changed;
    }

    /** The trace's blocks up to the first one that fewer than {@code coldShare} of its passes reach. */
    private int reachedLength(TraceSimulator simulator, int t) {
        int length = chosen.get(t).blocks().length;
        double cold = options.coldShare() * simulator.passes(t);
        for (int p = 1; p < length; p++) {
            if (simulator.reached(t, p) < cold) return p;
        }
        return length;
    }

    private String whyUnprofitable(TraceSimulator simulator, int t) {
        long entries = simulator.entries(t);
        if (entries == 0) return "never entered";
        long passes = simulator.passes(t);
        if (simulator.firstGuardExits(t) > options.maxFirstGuardExitShare() * passes) {
            return String.format("%.0f%% of passes would leave at its first guard",
                    100.0 * simulator.firstGuardExits(t) / passes);
        }
        boolean costModel = options.costModel();
        double perEntry = (double) simulator.instructionsInside(t) / entries;
        if (costModel && perEntry < options.minInstructionsPerEntry()) {
            return String.format("only %.1f instructions inside per entry", perEntry);
        }
        double saved = takenTransfersRemoved(chosen.get(t), simulator.instructionsInside(t));
        int head = chosen.get(t).head();
        long enteredBy = options.calleeEntries() ? returnedTo[head] : calledOrReturnedTo[head];
        if (costModel && !isLoop(chosen.get(t)) && enteredBy * 2 > executions[head]) {
            // Measured, not modelled (docs/compiling.md): at a call's return point the CPU already
            // predicts the transfer (return stack); the head patch adds a second redirect behind
            // it, and the path from there, reached from every caller alike, has nothing its copy
            // could predict better: python3's post-call trace cost 2-3 % in a CPU A/B. A function's
            // entry was dropped alike until the thirteenth round's paired A/Bs found lua5.4's
            // luaD_precall trace paying (calleeEntries).
            return String.format("entered by a %s (%.0f%% of its runs), and not a loop",
                    options.calleeEntries() ? "return" : "call or a return", 100.0 * enteredBy / executions[head]);
        }
        if (costModel && simulator.completions(t) < MIN_COMPLETION_SHARE * entries) {
            return String.format("completes only %.0f%% of its entries",
                    100.0 * simulator.completions(t) / entries);
        }
        if (costModel && saved <= 0 && options.minBranchesSavedPerEntry() > 0) {
            // Nothing to set against its entries and exits, however long it loops: a one-block
            // loop (its taken back edge becomes a not-taken guard plus the trace's jmp back) or a
            // loop whose last block fell through to its head.
            return "would save no taken branch";
        }
        double netLoss = options.minBranchesSavedPerEntry() * entries - saved;
        if (costModel && netLoss > MAX_NET_LOSS_PER_INSTRUCTION * simulator.instructionsInside(t)) {
            return String.format("would save %.1f taken branches per entry, fewer than its entry and exit cost (%.0f)",
                    saved / entries, options.minBranchesSavedPerEntry());
        }
        double share = simulator.totalInstructions() == 0 ? 0
                : (double) simulator.instructionsInside(t) / simulator.totalInstructions();
        if (share < options.minShareInside()) {
            return String.format("only %.4f%% of all instructions inside", 100 * share);
        }
        return null;
    }

    private boolean isLoop(SimulatedTrace trace) {
        return trace.continuationModule() == catalog.moduleOf(trace.head())
                && trace.continuationOffset() == catalog.offset(trace.head());
    }

    /**
     * A trace that leaves early on most entries runs its copy of the code only part-way and the
     * original for the rest: on python3's eval loop such traces (completing 1 % of entries) cost
     * 15 % CPU in an A/B run while the code they copy saved nothing. Measured, not modelled.
     */
    private static final double MIN_COMPLETION_SHARE = 0.25;

    /**
     * A trace whose entry and exit cost more taken branches than it saves is still kept when the
     * difference is below one per this many instructions it runs (a loop entered once per outer
     * round: its entry cost is spread over all its iterations).
     */
    private static final double MAX_NET_LOSS_PER_INSTRUCTION = 1.0 / 100;

    /**
     * Taken branches the trace would remove from the instructions it runs: a trace lays its path
     * out straight, so each direct jump and each conditional branch that the path follows to its
     * taken side no longer redirects the fetch. An indirect jump inside does not count: its guard
     * (a compare with the recorded target and a not-taken branch) costs about what a predicted
     * indirect jump costs, and python3's trace through four dispatches and nothing else cost 2.5 %
     * in a CPU A/B (docs/compiling.md). Counted per instruction of the path and scaled to the
     * instructions the forecast runs inside, so that passes cut short by a side exit count in
     * part. A model, not a measurement: it ignores i-cache footprint and branch prediction, and
     * was checked against the workloads of bench/speedup.sh (README, Measured).
     */
    private double takenTransfersRemoved(SimulatedTrace trace, long instructionsInside) {
        int[] blocks = trace.blocks();
        long instructions = 0;
        int removed = 0;
        for (int i = 0; i < blocks.length; i++) {
            int b = blocks[i];
            instructions += catalog.instructionCount(b);
            if (i == blocks.length - 1) {
                // The last transfer becomes a jmp (back to the start, or on to the continuation):
                // taken where the original fell through to the same place.
                if (fallsThroughAtEnd(trace, b)) removed--;
                break;
            }
            int next = blocks[i + 1];
            switch (catalog.terminator(b)) {
                case JUMP -> removed++;
                case CONDITIONAL -> {
                    if (catalog.offset(next) != catalog.offset(b) + catalog.length(b)) removed++;
                }
                default -> { }
            }
        }
        return instructions == 0 ? 0 : (double) removed * instructionsInside / instructions;
    }

    /**
     * Whether the trace's last block {@code b} goes on to the continuation without a taken branch
     * in the original (it falls through, or its conditional branch is not taken there): the
     * trace's own {@code jmp} to the start or the continuation is then a taken branch the original
     * did not have. python3's two-block scanning loops were of this shape: the original's one taken
     * branch per iteration became a not-taken guard plus the loop's {@code jmp} back, so they saved
     * nothing while their entries and exits cost.
     */
    private boolean fallsThroughAtEnd(SimulatedTrace trace, int b) {
        if (trace.continuationModule() != catalog.moduleOf(b)
                || trace.continuationOffset() != catalog.offset(b) + catalog.length(b)) {
            return false;
        }
        Terminator kind = catalog.terminator(b);
        return kind == Terminator.FALL_THROUGH || kind == Terminator.CONDITIONAL;
    }

    private SelectionResult result(BlockProfile profile, TraceSimulator simulator) {
        Integer[] order = IntStream.range(0, chosen.size()).boxed()
                .sorted(Comparator.<Integer>comparingLong(simulator::instructionsInside).reversed()
                        .thenComparingInt(t -> chosen.get(t).head()))
                .toArray(Integer[]::new);
        int[] moduleMap = new int[catalog.moduleCount()];
        Arrays.fill(moduleMap, -1);
        List<TraceModule> modules = new ArrayList<>();
        for (int t : order) {
            int module = catalog.moduleOf(chosen.get(t).head());
            if (moduleMap[module] < 0) {
                moduleMap[module] = modules.size();
                modules.add(catalog.moduleInfo(module));
            }
        }
        int[] traceIds = new int[chosen.size()];
        TracePath[] paths = new TracePath[chosen.size()];
        Map<String, Long> stopCounts = new TreeMap<>();
        for (int id = 0; id < order.length; id++) {
            int t = order[id];
            traceIds[t] = id;
            SimulatedTrace trace = chosen.get(t);
            List<PathBlock> blocks = Arrays.stream(trace.blocks()).mapToObj(b -> catalog.pathBlock(b, moduleMap))
                    .toList();
            CodeAddress continuation = new CodeAddress(moduleMap[trace.continuationModule()],
                    trace.continuationOffset());
            paths[id] = new TracePath(id, blocks, continuation, simulator.entries(t));
            stopCounts.merge(stops.get(t), 1L, Long::sum);
        }
        Forecast forecast = Forecaster.toForecast(simulator, catalog, traceIds, modules.size(), moduleMap);
        Map<String, Long> rejectedCounts = new TreeMap<>();
        rejected.values().forEach(reason -> rejectedCounts.merge(reason, 1L, Long::sum));
        SelectionSummary summary = new SelectionSummary(runs.size(), profile.events(), profile.instructions(),
                catalog.size(), profile.edgeCount(), maxPathNodes, rounds, rejectedCounts, dropped, stopCounts);
        return new SelectionResult(new TraceSelection(modules, List.of(paths)), forecast, summary);
    }
}
