package dev.tracedb.cli;

import dev.tracedb.machine.linux.AddressRandomization;
import dev.tracedb.machine.linux.LaunchException;
import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.Engines;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recorder;
import dev.tracedb.recorder.StopRequest;
import dev.tracedb.recorder.AttachException;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code tracedb record -- PROGRAM ARGS...}: runs a program under the recorder into a new run.
 *
 * <p>The program's stdin, stdout and stderr are the command's own, untouched; the command exits
 * with the program's status (128+N if signal N killed it), so it can stand in for the program in a
 * script. What tracedb itself says goes to stderr: a progress line while recording, only when
 * stderr is a terminal, and one summary line at the end. A program that cannot be started exits 127
 * (not found) or 126 (found but not executable), as {@code env}, {@code nice} and {@code timeout} do.
 */
@Command(name = "record", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a program and record every instruction it executes into a new run.",
            "The program's stdin/stdout/stderr pass through; the exit status is the program's (128+N for signal N)."})
final class RecordCommand implements Callable<Integer> {
    static final int EXIT_NOT_FOUND = 127;
    static final int EXIT_NOT_EXECUTABLE = 126;
    private static final long PROGRESS_INTERVAL_MS = 500;

    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--name", paramLabel = "NAME", description = "A name for the run (default: the program's file name).")
    String name;

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "dbi", converter = EngineConverter.class,
            description = "step (ptrace single-step: exact, ~20k instructions/s), dbi (the binary translator: runs the program from a code cache, ~1,000x faster than step) or inputs (the program runs natively, traced by a small C recorder the launcher runs, with no JVM: only its inputs are logged, syscall results and the bytes they wrote, rdtsc values, signals; the first command that needs blocks expands the run once; ASLR off and no vDSO). Default: dbi.")
    EngineKind engine;

    @Option(names = "--probe", paramLabel = "MODULE+0xOFF",
            description = "Value probe (dbi engine): sample the destination register of the instruction at this offset of this module (file name) each time it runs, next to its block event; repeatable. Read back with RunReader.probedValues; tracedb info shows the window.")
    List<String> probeSites = new java.util.ArrayList<>();

    @Option(names = "--probes", paramLabel = "FILE", description = "Value probes, one MODULE+0xOFF a line (# comments and blank lines skipped).")
    Path probesFile;

    @Option(names = "--probe-budget", paramLabel = "N", defaultValue = "4000000",
            description = "Samples kept at most (default 4,000,000); sampling stops there and the window says where.")
    long probeBudget;

    @Option(names = "--aslr", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Keep the system's address randomization. Default --no-aslr: the same program gets the same addresses in every run.")
    boolean aslr;

    @Option(names = "--quiet", description = "No summary line and no progress line.")
    boolean quiet;

    @Option(names = "--env", paramLabel = "NAME=VALUE",
            description = {"Set a variable in the program's environment (repeatable); the rest is tracedb's own, in order.",
                "E.g. GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX512ER,-AVX512PF",
                "keeps glibc off AVX-512 string functions whose instructions the decoder does not know yet."})
    List<String> env = new ArrayList<>();

    @Option(names = "--pid", paramLabel = "PID",
            description = "Record a running single-threaded process instead, from where it stands, until Ctrl-C or --duration; it is then detached and goes on natively (dbi engine).")
    Integer pid;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "With --pid: stop recording SECONDS after it started.")
    Double duration;

    @Parameters(paramLabel = "PROGRAM", arity = "0..*",
            description = "The program and its arguments; put them after -- so that their options are not tracedb's.")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (pid != null || duration != null) {
            return attach(err);
        }
        if (command.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "Missing PROGRAM: a program to record, or --pid PID");
        }
        EngineKind kind = engine;
        if (kind == EngineKind.INPUTS && aslr) {
            throw new ParameterException(spec.commandLine(), "--aslr cannot go with --engine inputs: an inputs-only run is re-executed, with the same addresses");
        }
        dev.tracedb.recorder.ValueProbeOptions probes = ProbeArguments.parse(spec, probeSites, probesFile, probeBudget);
        if (probes.any() && kind != EngineKind.DBI) {
            throw new ParameterException(spec.commandLine(), "--probe needs --engine dbi: only the binary translator can sample values"
                    + " (an inputs run's values come from its expansion: tracedb expand RUN --probe ...)");
        }
        // Fails before anything is created if the engine does not exist yet.
        Engines.create(kind);
        RecordOptions options = RecordOptions.builder(command)
                .engine(kind)
                .probes(probes)
                .runName(name)
                .launch(l -> l.environment(environment())
                        .randomization(aslr ? AddressRandomization.SYSTEM_DEFAULT : AddressRandomization.DISABLED))
                .build();
        Path directory = root.databaseDirectory();
        try (TraceDatabase db = TraceDatabase.open(directory)) {
            Progress progress = new Progress();
            // No progress line for the inputs engine: it counts no instructions, and the program runs at native speed.
            Thread display = !quiet && kind != EngineKind.INPUTS && Terminals.stderrIsTerminal()
                    ? startProgressLine(progress, err) : null;
            RecordOutcome outcome;
            try {
                outcome = new Recorder(db).record(options, progress);
            } catch (LaunchException e) {
                err.println("tracedb: " + e.getMessage());
                return e.getMessage().startsWith("no such program") ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
            } finally {
                stop(display, err);
            }
            if (!outcome.complete()) {
                // Said even with --quiet: the run does not hold the program to its end.
                err.println(kind == EngineKind.INPUTS ? inputsSteppedAsideLine(outcome) : steppedAsideLine(outcome));
            } else if (!quiet) {
                err.println(kind == EngineKind.INPUTS ? inputsSummary(outcome) : summary(outcome));
            }
            err.flush();
            return outcome.shellStatus();
        }
    }

    /** {@code --pid}: records a running process until Ctrl-C, --duration or its end, then lets it go. */
    private int attach(PrintWriter err) {
        if (pid == null) {
            throw new ParameterException(spec.commandLine(), "--duration needs --pid (a launched program is recorded to its end)");
        }
        if (!command.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--pid records a running process: give no PROGRAM");
        }
        if (engine != EngineKind.DBI) {
            throw new ParameterException(spec.commandLine(), "--pid needs the dbi engine");
        }
        if (duration != null && !(duration > 0)) {
            throw new ParameterException(spec.commandLine(), "--duration needs a positive number of seconds");
        }
        StopRequest stop = new StopRequest();
        Path directory = root.databaseDirectory();
        try (TraceDatabase db = TraceDatabase.open(directory);
             StopOnInterrupt interrupt = new StopOnInterrupt(stop)) {
            Thread timer = duration == null ? null : startTimer(stop, duration);
            Progress progress = new Progress();
            Thread display = !quiet && Terminals.stderrIsTerminal() ? startProgressLine(progress, err) : null;
            RecordOutcome outcome;
            try {
                outcome = new Recorder(db).attach(pid, name, progress, stop);
            } catch (AttachException e) {
                err.println("tracedb: " + e.getMessage());
                return 1;
            } finally {
                stop(display, err);
                if (timer != null) {
                    timer.interrupt();
                }
            }
            if (!outcome.complete()) {
                err.println(detachedLine(outcome));
            } else if (!quiet) {
                err.println(summary(outcome));
            }
            err.flush();
            // A process that goes on is not ours to wait for; one that ended while recorded gives its status.
            return outcome.status() == null ? 0 : outcome.shellStatus();
        }
    }

    /** The one line for an attached process that was recorded for a while, then let go. */
    static String detachedLine(RecordOutcome o) {
        return String.format(Locale.ROOT, "tracedb: recorded %s for %s: %s instructions, %s block events, %s blocks; %s,"
                        + " which goes on natively (run left incomplete)",
                o.runId(), Formats.duration(o.elapsed()), Formats.count(o.instructions()), Formats.count(o.blockEvents()),
                Formats.count(o.blocks()), o.steppedAside());
    }

    private static Thread startTimer(StopRequest stop, double seconds) {
        Thread timer = new Thread(() -> {
            try {
                stop.awaitArmed();
                Thread.sleep((long) (seconds * 1000));
                stop.request();
            } catch (InterruptedException e) {
                // recording ended first
            }
        }, "tracedb-duration");
        timer.setDaemon(true);
        timer.start();
        return timer;
    }

    /**
     * Ctrl-C (SIGINT) requests the stop instead of ending the JVM, while recording an attached
     * process: the process must be detached before we go, or it dies with us (it runs from our code cache).
     */
    private static final class StopOnInterrupt implements AutoCloseable {
        private static final sun.misc.Signal INT = new sun.misc.Signal("INT");
        private final sun.misc.SignalHandler previous;

        StopOnInterrupt(StopRequest stop) {
            previous = sun.misc.Signal.handle(INT, signal -> stop.request());
        }

        @Override
        public void close() {
            sun.misc.Signal.handle(INT, previous);
        }
    }

    /** The recorder's environment in its order, each --env replacing its variable in place or appended. */
    private List<String> environment() {
        List<String> result = new ArrayList<>(RecordOptions.builder(command).build().launch().environment());
        for (String setting : env) {
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                throw new ParameterException(spec.commandLine(), "--env needs NAME=VALUE, not '" + setting + "'");
            }
            String prefix = setting.substring(0, eq + 1);
            int at = -1;
            for (int i = 0; i < result.size(); i++) {
                if (result.get(i).startsWith(prefix)) {
                    at = i;
                }
            }
            if (at >= 0) {
                result.set(at, setting);
            } else {
                result.add(setting);
            }
        }
        return result;
    }

    /** "step" or "dbi", in any case. */
    static final class EngineConverter implements ITypeConverter<EngineKind> {
        @Override
        public EngineKind convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "step" -> EngineKind.STEP;
                case "dbi" -> EngineKind.DBI;
                case "inputs" -> EngineKind.INPUTS;
                default -> throw new TypeConversionException("unknown engine '" + value + "' (expected step, dbi or inputs)");
            };
        }
    }

    static String summary(RecordOutcome o) {
        double seconds = Math.max(o.elapsed().toNanos(), 1) / 1e9;
        return String.format(Locale.ROOT, "tracedb: recorded %s: %s instructions, %s block events, %s blocks, %s, %s (%s instructions/s)",
                o.runId(), Formats.count(o.instructions()), Formats.count(o.blockEvents()), Formats.count(o.blocks()),
                o.status(), Formats.duration(o.elapsed()), Formats.count((long) (o.instructions() / seconds)));
    }

    /** The summary of an inputs-only run: it has no instructions to count until it is expanded. */
    static String inputsSummary(RecordOutcome o) {
        return String.format(Locale.ROOT, "tracedb: recorded %s, the program's inputs only: %s, %s, %s ptrace stops",
                o.runId(), o.status(), Formats.duration(o.elapsed()), Formats.count(o.stops()));
    }

    /** The one line for an inputs recording that ended early; the program went on natively. */
    static String inputsSteppedAsideLine(RecordOutcome o) {
        return String.format(Locale.ROOT, "tracedb: %s; run %s left incomplete with the inputs up to there;"
                + " the program went on natively: %s", o.steppedAside(), o.runId(), o.status());
    }

    /** The one line for a recording that ended before the program did (its exec), which then went on natively. */
    static String steppedAsideLine(RecordOutcome o) {
        return String.format(Locale.ROOT, "tracedb: %s; run %s left incomplete with %s instructions, %s block events;"
                        + " the program went on natively: %s",
                o.steppedAside(), o.runId(), Formats.count(o.instructions()), Formats.count(o.blockEvents()), o.status());
    }

    /**
     * What the progress line says after {@code seconds}: instructions and block events so far, the
     * megabytes of block ids they make (4 bytes an event, before compression) and the rate.
     */
    static String progressLine(Progress progress, double seconds) {
        long events = progress.blockEvents();
        return String.format(Locale.ROOT, "recording: %s instructions, %s block events (%s MB of block ids), %s instructions/s",
                Formats.count(progress.instructions()), Formats.count(events), Formats.count(events * 4 / 1_000_000),
                Formats.count((long) (progress.instructions() / Math.max(seconds, 1e-3))));
    }

    /** A daemon thread that rewrites one line on the terminal until interrupted. */
    static Thread startProgressLine(Progress progress, PrintWriter err) {
        long start = System.nanoTime();
        Thread thread = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(PROGRESS_INTERVAL_MS);
                } catch (InterruptedException e) {
                    return;
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                synchronized (err) {
                    err.print("\r" + progressLine(progress, seconds) + "\033[K");
                    err.flush();
                }
            }
        }, "tracedb-progress");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    static void stop(Thread display, PrintWriter err) {
        if (display == null) {
            return;
        }
        display.interrupt();
        try {
            display.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (err) {
            // erase the progress line so the summary starts on a clean line
            err.print("\r\033[K");
            err.flush();
        }
    }
}
