package dev.tracedb.cli;

import dev.tracedb.compiler.mining.ProgressListener;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.compiler.values.ChosenValues;
import dev.tracedb.compiler.values.ValueGuardChooser;
import dev.tracedb.compiler.values.ValueProbePlan;
import dev.tracedb.compiler.values.PolymorphicRule;
import dev.tracedb.recorder.ValueProbeOptions;
import dev.tracedb.store.ProbeSite;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code compile}'s value step: finds the loads its selection could guard ({@link ValueProbePlan}),
 * makes sure the runs carry samples of them, and attaches the guards the samples support
 * ({@link ValueGuardChooser}).
 *
 * <p>A run without the samples is handled by what it is. The expansion of an inputs run
 * ({@code record --engine inputs}) is made again, offline and deterministically, with probes at
 * exactly the plan's sites, and the inputs run is linked to that new expansion, so the next
 * compile of it finds the samples already there. A run recorded with the DBI engine cannot be
 * re-executed: one line gives the {@code record --probe} command that would sample it, and it
 * contributes no values. Messages go to stderr.
 */
final class CompileValues {
    private final TraceDatabase db;
    private final PrintWriter err;
    private final PolymorphicRule rule;

    CompileValues(TraceDatabase db, PrintWriter err) {
        this(db, err, PolymorphicRule.DEFAULT);
    }

    CompileValues(TraceDatabase db, PrintWriter err, PolymorphicRule rule) {
        this.db = db;
        this.err = err;
        this.rule = rule;
    }

    /**
     * The selection with its value guards, or unchanged when it has no guardable load or no run
     * has samples. Readers of runs re-expanded with probes replace theirs in {@code readers}
     * (closing the old one): their block streams are the same, block for block.
     */
    ChosenValues guard(TraceSelection selection, List<RunReader> readers, ProgressListener progress) {
        ValueProbePlan plan = ValueProbePlan.of(selection);
        if (plan.isEmpty()) return new ChosenValues(selection, List.of(), List.of());
        boolean anySamples = false;
        for (int r = 0; r < readers.size(); r++) {
            RunReader reader = readers.get(r);
            if (plan.missingFrom(reader).isEmpty()) {
                anySamples = true;
                continue;
            }
            Optional<RunId> inputs = db.expansions().expandedFrom(reader.id());
            if (inputs.isPresent()) {
                RunReader probed;
                try {
                    probed = expandWithProbes(inputs.get(), reader, plan);
                } catch (RuntimeException e) {
                    // The traces are exact without values: a failed expansion costs only the guards.
                    note("tracedb: note: expanding " + inputs.get() + " with probes failed, so " + reader.id()
                            + " gives no value guards: " + e.getMessage());
                    continue;
                }
                readers.set(r, probed);
                reader.close();
                anySamples = true;
            } else {
                note("tracedb: note: " + reader.id() + " has no value samples at the traces' "
                        + Formats.count(plan.probeSites().size()) + " guardable loads, so it gives no value guards;"
                        + " a recording with value probes has them: tracedb record " + probeArguments(plan.probeSites())
                        + " -- " + Formats.commandLine(reader.started().argv()) + " (--no-values silences this)");
            }
        }
        if (!anySamples) return new ChosenValues(selection, List.of(), List.of());
        return ValueGuardChooser.choose(readers, plan, rule, progress);
    }

    private RunReader expandWithProbes(RunId inputs, RunReader stale, ValueProbePlan plan) {
        note("tracedb: " + stale.id() + " has no value samples at the traces' " + Formats.count(plan.probeSites().size())
                + " guardable loads; expanding " + inputs + " again with probes there (once; --no-values skips this)...");
        ValueProbeOptions probes = new ValueProbeOptions(plan.probeSites(), ValueProbeOptions.DEFAULT_BUDGET);
        RunId expanded = new InputsExpansion(db, err).probing(probes)
                .expand(db.find(inputs).orElseThrow(), null, true, false, true).run();
        return db.openRun(expanded);
    }

    static String probeArguments(List<ProbeSite> sites) {
        return sites.stream().map(s -> "--probe " + s).collect(Collectors.joining(" "));
    }

    private void note(String line) {
        err.println(line);
        err.flush();
    }
}
