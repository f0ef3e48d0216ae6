package dev.tracedb.recorder;

import dev.tracedb.machine.linux.LaunchException;
import dev.tracedb.machine.linux.LaunchOptions;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.machine.linux.Tracer;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.MachineInfo;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.TraceDatabase;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Records one program into a database: launch it stopped at its first instruction, write
 * {@code RunStarted} (argv, working directory, the full environment, the machine), let the engine
 * record it to its end, write {@code RunEnded} with its exit status.
 *
 * <p>If anything fails after the run was created (the engine stops on something unsupported, or
 * an error), the program is killed, what was appended is flushed and the run is left incomplete;
 * the failure is thrown as {@link RecordingFailedException} naming the run. When the engine steps
 * aside ({@link SteppedAside}: the program execs another program, or starts a thread) the
 * recorder lets it go instead: the run is left incomplete with everything before that point, the
 * program runs on natively, and the outcome carries its exit status and
 * {@link RecordOutcome#steppedAside why}. Nothing is created
 * when the program cannot be launched ({@link LaunchException}) or the engine does not exist.
 *
 * <p>Thread-safety: each call of {@link #record} is independent (its own tracer thread, tracee,
 * writer and services); the database must be thread-safe, which {@link TraceDatabase} is.
 */
public final class Recorder {
    private final TraceDatabase database;

    public Recorder(TraceDatabase database) {
        this.database = database;
    }

    /**
     * Records {@code options} to the end of the program.
     *
     * @param progress counters the engine publishes while it runs (pass a new {@link Progress})
     * @throws LaunchException               if the program cannot be started (no run is created)
     * @throws UnsupportedOperationException if the engine is not implemented (no run is created)
     * @throws RecordingFailedException      if recording stopped early (the run is incomplete)
     */
    public RecordOutcome record(RecordOptions options, Progress progress) {
        Engine engine = Engines.create(options.engine(), options.probes());
        try (Tracer tracer = Tracer.start("tracedb-recorder")) {
            // Everything on the tracer thread: ptrace demands it, and the run's writer stays on the
            // thread that created it (Chronicle's appender is confined to its creating thread).
            return tracer.call(() -> recordOnTracerThread(tracer, engine, options, progress));
        }
    }

    private RecordOutcome recordOnTracerThread(Tracer tracer, Engine engine, RecordOptions options,
                                               Progress progress) {
        Instant start = Instant.now();
        LaunchOptions launch = options.launch();
        try (Tracee tracee = Tracee.launch(tracer, launch)) {
            RunStarted started = new RunStarted(launch.argv(), workingDirectory(launch), launch.environment(),
                    MachineInfo.current(), start);
            SteppedAside aside = null;
            RecordOutcome partial;
            try (RunWriter direct = database.createRun(options.runName(), started);
                 RunWriter writer = engine.writesLogInBackground() ? new BackgroundRunWriter(direct, progress) : direct) {
                ModuleTracker modules = new ModuleTracker(tracee.pid(), tracee.memory(), writer);
                try (BlockTable blocks = new BlockTable(tracee.memory(), modules, writer)) {
                    Recording recording = new Recording(options, tracee, writer, modules, blocks, progress);
                    ExitStatus status = null;
                    try {
                        status = engine.record(recording);
                    } catch (SteppedAside e) {
                        aside = e;
                    } catch (RuntimeException | Error e) {
                        // Kill first: the program must not go on unrecorded while we unwind.
                        tracee.kill();
                        String reason = e instanceof RecordingStoppedException ? e.getMessage()
                                : e.getClass().getSimpleName() + ": " + e.getMessage();
                        throw new RecordingFailedException(writer.id(), reason, e);
                    }
                    if (aside == null) {
                        RunEnded ended = writer.end(status);
                        return new RecordOutcome(writer.id(), status, ended.blockEvents(), ended.instructions(),
                                blocks.size(), modules.modules().size(), progress.stops(),
                                Duration.between(start, Instant.now()), null);
                    }
                    partial = new RecordOutcome(writer.id(), null, writer.blockEvents(), writer.instructions(),
                            blocks.size(), modules.modules().size(), progress.stops(), null, aside.getMessage());
                }
            }
            // The log is closed without RunEnded (incomplete, everything before the exec or thread in it) before
            // the program, no longer traced, is waited for: it is still our child, so its status is ours to report.
            Duration recorded = Duration.between(start, Instant.now());
            // An engine that stepped aside may have detached the program itself (the DBI engine, once its code
            // cache is unmapped) or seen it end on its way out (the inputs engine delivers a pending signal
            // first): then there is only its end to wait for, or to report.
            StopEvent end = tracee.isAlive() || tracee.isDetached() ? tracee.detachAndAwaitExit() : tracee.lastStop();
            ExitStatus status = end instanceof StopEvent.Killed k ? ExitStatus.killedBy(k.signal().number())
                    : ExitStatus.exited(((StopEvent.Exited) end).code());
            return new RecordOutcome(partial.runId(), status, partial.blockEvents(), partial.instructions(),
                    partial.blocks(), partial.modules(), partial.stops(), recorded, partial.steppedAside());
        }
    }

    /**
     * Attaches to the running, single-threaded process {@code pid} and records it with the DBI
     * engine from where it stands until it ends or {@code stop} is requested; then it is detached
     * and goes on natively, and the run is left incomplete (the log holds what ran while attached).
     * If the process ends while recorded the run is complete, with its status.
     *
     * @throws AttachException if there is no such process, it may not be traced, or it has threads
     *                         (nothing is created; the process is left as it was)
     */
    public RecordOutcome attach(int pid, String runName, Progress progress, StopRequest stop) {
        Engine engine = Engines.create(EngineKind.DBI);
        AttachedProcess process = AttachedProcess.read(pid);
        try (Tracer tracer = Tracer.start("tracedb-recorder")) {
            return tracer.call(() -> attachOnTracerThread(tracer, engine, process, runName, progress, stop));
        }
    }

    private RecordOutcome attachOnTracerThread(Tracer tracer, Engine engine, AttachedProcess process, String runName,
                                               Progress progress, StopRequest stop) {
        Instant start = Instant.now();
        // EXITKILL as for a launched program: once it runs from our code cache, it cannot go on without us.
        try (Tracee tracee = process.attach(tracer)) {
            // Nothing is launched: the run's facts come from /proc (RunStarted below). The process's own
            // environment stays out of the launch options, which refuse an entry without '=' (the kernel does not).
            RecordOptions options = RecordOptions.builder(process.argv()).engine(EngineKind.DBI).runName(runName)
                    .launch(l -> l.workingDirectory(Path.of(process.workingDirectory()))).build();
            RunStarted started = new RunStarted(process.argv(), process.workingDirectory(), process.environment(),
                    MachineInfo.current(), start);
            try (RunWriter direct = database.createRun(options.runName(), started);
                 RunWriter writer = new BackgroundRunWriter(direct, progress)) {
                ModuleTracker modules = new ModuleTracker(tracee.pid(), tracee.memory(), writer);
                try (BlockTable blocks = new BlockTable(tracee.memory(), modules, writer)) {
                    Recording recording = new Recording(options, tracee, writer, modules, blocks, progress);
                    try {
                        ExitStatus status = engine.recordAttached(recording, stop);
                        RunEnded ended = writer.end(status);
                        return new RecordOutcome(writer.id(), status, ended.blockEvents(), ended.instructions(),
                                blocks.size(), modules.modules().size(), progress.stops(),
                                Duration.between(start, Instant.now()), null);
                    } catch (Engine.Detached detached) {
                        return new RecordOutcome(writer.id(), null, writer.blockEvents(), writer.instructions(),
                                blocks.size(), modules.modules().size(), progress.stops(),
                                Duration.between(start, Instant.now()),
                                "detached from process " + process.pid() + " (" + detached.getMessage() + ")");
                    } catch (SteppedAside aside) {
                        // At its exec event the old image, and our cache with it, is gone: the new program runs natively.
                        if (tracee.isAlive()) {
                            tracee.detach();
                        }
                        return new RecordOutcome(writer.id(), null, writer.blockEvents(), writer.instructions(),
                                blocks.size(), modules.modules().size(), progress.stops(),
                                Duration.between(start, Instant.now()),
                                "detached from process " + process.pid() + " (" + aside.getMessage() + ")");
                    } catch (RuntimeException | Error e) {
                        // The engine could not let it go natively: it cannot run on from the cache without us.
                        tracee.kill();
                        String reason = e instanceof RecordingStoppedException ? e.getMessage()
                                : e.getClass().getSimpleName() + ": " + e.getMessage();
                        throw new RecordingFailedException(writer.id(), reason, e);
                    }
                }
            }
        }
    }

    private static String workingDirectory(LaunchOptions launch) {
        Path dir = launch.workingDirectory() != null ? launch.workingDirectory() : Path.of("");
        return dir.toAbsolutePath().normalize().toString();
    }
}
