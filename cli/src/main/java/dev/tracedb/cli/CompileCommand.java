package dev.tracedb.cli;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.cache.GuardedLoad;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.compiler.codegen.GeneratedCode;
import dev.tracedb.compiler.codegen.Refusal;
import dev.tracedb.compiler.codegen.TraceCodeGenerator;
import dev.tracedb.compiler.forecast.Forecaster;
import dev.tracedb.compiler.mining.ProgressListener;
import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.select.SelectionOptions;
import dev.tracedb.compiler.select.SelectionResult;
import dev.tracedb.compiler.select.SelectionReport;
import dev.tracedb.compiler.select.TraceSelector;
import dev.tracedb.compiler.values.ChosenValues;
import dev.tracedb.compiler.values.SiteValues;
import dev.tracedb.compiler.values.PolymorphicRule;
import dev.tracedb.compiler.values.ValueRule;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * {@code tracedb compile RUN… -o FILE.tcache}: selects the hot traces of one program's recorded
 * runs, generates their code, forecasts them on the same runs and writes the trace cache. Progress
 * (one line per pass over the runs) goes to stderr; the selection's report
 * ({@link SelectionReport}: what was mined, the hottest traces and their forecast, why heads were
 * refused), any trace code generation refused, and what was written go to stdout.
 *
 * <p>Between selection and code generation, {@link CompileValues} gives the traces their value
 * guards (unless {@code --no-values}): the instruction-word loads on their paths are compared with
 * the word the runs' value probes saw in nearly every pass, and their decode folds. An expanded
 * inputs run without those samples is expanded again with the probes, once.
 *
 * <p>When code generation refuses a trace, the forecast is computed again for exactly the traces
 * that were generated, so the cache's forecast is never of code it does not hold. In the cache,
 * forecast exits name the cache's own module indices; exits to a module without traces are
 * counted in the figures but not listed (as the forecaster does for modules outside a selection).
 */
@Command(name = "compile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compile the hot traces of recorded runs of one program into a trace cache.",
            "Selects traces from the recorded paths, generates their x86-64 code,",
            "forecasts how they behave on the runs, and writes FILE.tcache for",
            "tracedb run --cache."})
final class CompileCommand implements Callable<Integer> {
    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Mixin
    ExpandOption expand;

    @Parameters(paramLabel = "RUN", arity = "1..*",
            description = "Runs of one program: run ids (r0001), run names, or unique prefixes of either.")
    List<String> runs;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "The trace cache to write.")
    Path output;

    @Option(names = "--max-traces", paramLabel = "N", description = "Keep at most N traces (default: ${DEFAULT-VALUE}).",
            defaultValue = "256")
    int maxTraces;

    @Option(names = "--min-head-executions", paramLabel = "N",
            description = "A trace head must have run at least N times (default: ${DEFAULT-VALUE}).", defaultValue = "100")
    long minHeadExecutions;

    @Option(names = "--keep-unprofitable",
            description = "Keep traces the cost model says would not pay (too few taken branches saved, too few "
                    + "entries completed, a module whose traces together save too little to apply): their code is "
                    + "still exact, which tests use to exercise it.")
    boolean keepUnprofitable;

    @Option(names = "--min-module-saving", paramLabel = "N", defaultValue = "5",
            description = "Drop a module's traces together when, in the forecast, they would remove fewer than N taken"
                    + " branches per 1000 instructions of the run (default: ${DEFAULT-VALUE}): applying them costs"
                    + " start-up at every run that so little cannot win back. 0: off.")
    double minModuleSaving;

    @Option(names = "--callee-entries", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Keep straight traces headed at a function's entry (a call's target, such as lua5.4's"
                    + " luaD_precall; default: on). --no-callee-entries drops them like those at a call's return"
                    + " point, as before the thirteenth round.")
    boolean calleeEntries;

    @Option(names = "--forwarding", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Forward loads of memory the trace's path has just stored from the stored register or"
                    + " constant, and leave out guards those constants decide (default: on; fourteenth round of"
                    + " docs/compiling.md). --no-forwarding compiles without.")
    boolean forwarding;

    @Option(names = "--peel", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With forwarding, give a loop trace a second copy of its body that starts with what the"
                    + " first copy's end stored (default: on; fifteenth round of docs/compiling.md). --no-peel"
                    + " compiles loop traces as one copy, as before.")
    boolean peel;

    /** Traces the report lists one by one, hottest first. */
    private static final int REPORTED_TRACES = 10;

    @Option(names = "--quiet", description = "No progress lines.")
    boolean quiet;

    @Option(names = "--values", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Guard the traces' instruction-word loads with the value recorded there and fold their decode"
                    + " (default: on). Samples come from value probes in the runs; an expanded inputs run is expanded"
                    + " again with the probes it needs, once. --no-values compiles without.")
    boolean values;

    @Option(names = "--max-values", paramLabel = "N", defaultValue = "3",
            description = "At most N values guarded at one load (default: ${DEFAULT-VALUE}): where no value holds in"
                    + " 95 %% of passes but up to N together do (in the passes that complete the trace), the load"
                    + " becomes a chain of compares, each going on into its own copy of the rest of the trace."
                    + " 1: a single dominant value only.")
    int maxValues;

    @Option(names = "--show-values", description = "After the value guards' line, one line per guardable load on a"
            + " trace path: its trace and position, passes, and its most frequent values with their shares.")
    boolean showValues;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path directory = output.toAbsolutePath().getParent();
        if (directory == null || !Files.isDirectory(directory) || !Files.isWritable(directory)) {
            // Before mining the runs, which can take a while.
            throw new IllegalArgumentException("cannot write " + output + ": " + directory + " is not a writable directory");
        }
        if (!(minModuleSaving >= 0 && minModuleSaving <= 1000)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--min-module-saving: N is taken branches per 1000 instructions, from 0 to 1000 (got " + minModuleSaving + ")");
        }
        SelectionOptions options = SelectionOptions.builder().maxTraces(maxTraces).minHeadExecutions(minHeadExecutions)
                .costModel(!keepUnprofitable).calleeEntries(calleeEntries).minModuleSavedShare(minModuleSaving / 1000)
                .build();
        ProgressListener progress = quiet ? ProgressListener.NONE : new PassProgress(err);
        List<RunReader> readers = new ArrayList<>();
        try (TraceDatabase db = DatabaseAccess.openExisting(root.databaseDirectory())) {
            for (String run : runs) {
                readers.add(OpenedRun.openWithBlocks(db, db.resolve(run), expand, err));
            }
            SelectionResult selected = TraceSelector.select(readers, options, progress);
            ChosenValues chosen = values ? new CompileValues(db, err,
                    new PolymorphicRule(ValueRule.DEFAULT, maxValues, PolymorphicRule.DEFAULT.minShareEach())).guard(selected.selection(), readers, progress)
                    : new ChosenValues(selected.selection(), List.of(), List.of());
            GeneratedCode generated = new TraceCodeGenerator().forwarding(forwarding).peeling(peel).generate(chosen.guarded());
            Forecast forecast = generated.refusals().isEmpty() ? selected.forecast()
                    : Forecaster.forecast(readers, generated.generated(), progress);
            TraceCache cache = generated.toCache(inCacheModules(forecast, generated));
            TraceCacheFile.write(cache, output);
            out.print(SelectionReport.format(new SelectionResult(generated.generated(), forecast, selected.summary()),
                    REPORTED_TRACES));
            reportValues(out, chosen, generated);
            if (showValues) showValues(out, chosen);
            report(out, generated, cache);
        } finally {
            for (RunReader reader : readers) {
                reader.close();
            }
        }
        return TraceDbCommand.EXIT_OK;
    }

    /** The forecast with exit addresses renumbered from selection modules to the cache's modules. */
    static Forecast inCacheModules(Forecast forecast, GeneratedCode generated) {
        List<Forecast.TraceForecast> traces = new ArrayList<>();
        for (Forecast.TraceForecast t : forecast.traces()) {
            List<Forecast.ExitCount> exits = new ArrayList<>();
            for (Forecast.ExitCount e : t.exits()) {
                int module = generated.sourceModules().indexOf(e.to().moduleIndex());
                if (module >= 0) {
                    exits.add(new Forecast.ExitCount(new CodeAddress(module, e.to().offset()), e.count()));
                }
            }
            traces.add(new Forecast.TraceForecast(t.traceId(), t.entries(), t.completions(), t.instructionsInside(), exits));
        }
        return new Forecast(forecast.totalInstructions(), forecast.instructionsInTraces(), traces);
    }

    /**
     * One line: how many loads were probed, how many the samples made guards (one dominant value, or
     * polymorphic: a few values together), how many values the code applies (a polymorphic load's count one each).
     */
    private static void reportValues(PrintWriter out, ChosenValues chosen, GeneratedCode generated) {
        if (chosen.sites().isEmpty()) return;
        long sampled = chosen.sites().stream().filter(s -> s.passes() > 0).count();
        long traces = generated.valueGuards().stream().mapToInt(GuardedLoad::traceId).distinct().count();
        long poly = chosen.sites().stream().filter(s -> s.guardedValues().size() > 1).count();
        out.println("value guards: " + Formats.count(chosen.sites().size()) + " guardable loads on trace paths, "
                + Formats.count(sampled) + " with samples, " + Formats.count(chosen.guardCount() - poly)
                + " stable (one value in >= 95 % of passes), "
                + (poly == 0 ? "" : Formats.count(poly) + " polymorphic (a few values in >= 95 % of completed passes), ")
                + Formats.count(generated.valueGuards().size()) + " applied in " + Formats.count(traces)
                + (traces == 1 ? " trace" : " traces"));
    }

    /** Per load on a trace path: where it is, how many passes, and its leading values' shares. */
    private static void showValues(PrintWriter out, ChosenValues chosen) {
        for (SiteValues s : chosen.sites()) {
            StringBuilder line = new StringBuilder(String.format("  trace %d block %d insn %d  %s  %s passes%s:",
                    s.traceId(), s.block(), s.instruction(), s.at(), Formats.count(s.passes()),
                    s.guardedValues().size() > 1 ? ", guarded " + s.guardedValues().size() + " values"
                            : s.guarded() ? ", guarded" : ""));
            for (SiteValues.Share v : s.leaders()) {
                line.append(String.format(" 0x%x %.1f%%", v.value(), 100.0 * v.count() / Math.max(1, s.passes())));
            }
            out.println(line);
        }
    }

    private void report(PrintWriter out, GeneratedCode generated, TraceCache cache) {
        if (!generated.refusals().isEmpty()) {
            out.println("refused by code generation: " + Formats.count(generated.refusals().size()));
            for (Refusal r : generated.refusals()) {
                out.println("  " + r);
            }
        }
        int traces = generated.generated().traces().size();
        long codeBytes = cache.code().stream().mapToLong(c -> c.code().length).sum();
        out.println("wrote " + output + ": " + Formats.count(traces) + (traces == 1 ? " trace" : " traces") + " in "
                + Formats.count(cache.modules().size()) + (cache.modules().size() == 1 ? " module, " : " modules, ")
                + Formats.bytes(codeBytes) + " of code"
                + (traces == 0 ? " (empty: applying it changes nothing)" : ""));
    }

    /** One stderr line per completed pass over the runs. */
    private static final class PassProgress implements ProgressListener {
        private final PrintWriter err;
        private final long start = System.nanoTime();
        private String phase;
        private long lastDone;
        private boolean reported;

        PassProgress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void progress(String phase, long done, long total) {
            if (!phase.equals(this.phase) || done < lastDone) {
                this.phase = phase; // a new pass
                reported = false;
            }
            lastDone = done;
            if (done >= total && !reported) {
                reported = true;
                err.println("tracedb: " + phase + " pass: " + Formats.count(total) + " block events ("
                        + Formats.duration(Duration.ofNanos(System.nanoTime() - start)) + " so far)");
                err.flush();
            }
        }
    }
}
