package dev.tracedb.recorder.expand;

import dev.tracedb.machine.linux.AddressRandomization;
import dev.tracedb.machine.linux.AuxiliaryVector;
import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.machine.linux.Tracer;
import dev.tracedb.recorder.BackgroundRunWriter;
import dev.tracedb.recorder.BlockTable;
import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.ModuleTracker;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recording;
import dev.tracedb.recorder.RecordingStoppedException;
import dev.tracedb.recorder.dbi.DbiEngine;
import dev.tracedb.recorder.dbi.ExpansionDivergedException;
import dev.tracedb.recorder.dbi.RecordedFiles;
import dev.tracedb.recorder.dbi.RecordedInputs;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MachineInfo;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.TraceDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code tracedb expand}: turns an inputs-only run into an ordinary one by re-executing its program
 * under the DBI engine in replay mode ({@link DbiEngine#expanding}), launched exactly as the
 * recording launched it: same argv, environment (in order), working directory, ASLR off, vDSO
 * hidden, AT_RANDOM's recorded bytes in place. Its stdin, stdout and
 * stderr are /dev/null: every read and write is emulated anyway, so nothing reaches them.
 *
 * <p>Refused before anything is created (one line, {@link IllegalArgumentException}): a run that is
 * not inputs-only, one recorded on another machine, a mapped file that changed since. A failure
 * once the new run exists (a divergence, something the engine refuses, the inputs ending early)
 * kills the program and leaves the new run incomplete ({@link ExpansionFailedException}); the
 * inputs run is only read.
 *
 * <p>Thread-safety: each {@link #expand} is independent (own tracer thread, reader thread, writer).
 */
public final class Expander {
    private static final Path NOWHERE = Path.of("/dev/null");

    private final TraceDatabase database;
    private final Consumer<String> notes;
    private dev.tracedb.recorder.ValueProbeOptions probes = dev.tracedb.recorder.ValueProbeOptions.NONE;

    public Expander(TraceDatabase database) {
        this(database, note -> { });
    }

    /**
     * @param notes told (one line, on the calling thread, before anything is created) what an
     *              expansion checks less well than usual: the files of a run recorded before their
     *              change time and device were logged
     */
    public Expander(TraceDatabase database, Consumer<String> notes) {
        this.database = database;
        this.notes = notes;
    }

    /**
     * Samples {@code probes} (value probes) in the expansions from now on: how an inputs-only run
     * gets the values its recording could not take. Returns this expander.
     */
    public Expander probing(dev.tracedb.recorder.ValueProbeOptions probes) {
        this.probes = probes;
        return this;
    }

    /**
     * Expands {@code inputsRun} into a new run named {@code runName} ({@code null}: the program's
     * file name) whose RunStarted is the inputs run's.
     *
     * @throws IllegalArgumentException if the run cannot be expanded here (nothing is created)
     * @throws ExpansionFailedException if the expansion stopped (the new run is left incomplete)
     */
    public RecordOutcome expand(RunId inputsRun, String runName, Progress progress) {
        return expand(inputsRun, runName, progress, created -> { });
    }

    /**
     * As {@link #expand(RunId, String, Progress)}, telling {@code runCreated} the new run's id as
     * soon as it exists (after the checks that refuse before anything is created), so that a
     * caller can say which run is being written while the expansion runs. Called on the
     * expansion's tracer thread.
     */
    public RecordOutcome expand(RunId inputsRun, String runName, Progress progress, Consumer<RunId> runCreated) {
        RunStarted started;
        Optional<RunEnded> recordedEnd;
        InputsScan scan;
        try (RunReader reader = database.openRun(inputsRun)) {
            if (!reader.info().inputsOnly()) {
                throw new IllegalArgumentException("run " + inputsRun + " is not an inputs-only run (it holds its blocks"
                        + " already): there is nothing to expand");
            }
            started = reader.started();
            recordedEnd = reader.ended();
            scan = InputsScan.of(reader);
        }
        MachineInfo here = MachineInfo.current();
        if (!started.machine().equals(here)) {
            throw new IllegalArgumentException("run " + inputsRun + " was recorded on another machine (" + describe(started.machine())
                    + "; this is " + describe(here) + "): it can only be expanded where it was recorded");
        }
        Set<String> checked = new HashSet<>();
        int withoutChangeTime = 0;
        for (FileMapped file : scan.files()) {
            if (checked.add(file.path())) {
                refuseIfChanged(() -> RecordedFiles.requireUnchanged(file));
                if (!file.hasChangeTimeAndDevice()) withoutChangeTime++;
            }
        }
        if (withoutChangeTime > 0) {
            notes.accept("note: " + inputsRun + " was recorded before mapped files' change times were logged: its "
                    + withoutChangeTime + " mapped file(s) are checked by size, mtime and inode only (a rewrite in place"
                    + " that kept all three would not be noticed)");
        }
        try (Tracer tracer = Tracer.start("tracedb-expander")) {
            return tracer.call(() -> expandOnTracerThread(tracer, inputsRun, runName, started, recordedEnd, scan, progress,
                    runCreated));
        }
    }

    private RecordOutcome expandOnTracerThread(Tracer tracer, RunId inputsRun, String runName, RunStarted started,
                                               Optional<RunEnded> recordedEnd, InputsScan scan, Progress progress,
                                               Consumer<RunId> runCreated) {
        Instant start = Instant.now();
        RecordOptions options = RecordOptions.builder(started.argv()).engine(EngineKind.DBI).runName(runName)
                .launch(l -> l.environment(started.environment()).workingDirectory(Path.of(started.cwd()))
                        .randomization(AddressRandomization.DISABLED).hideVdso(true)
                        .stdin(NOWHERE).stdout(NOWHERE).stderr(NOWHERE))
                .build();
        try (Tracee tracee = Tracee.launch(tracer, options.launch())) {
            try {
                refuseChangedProgram(tracee, started);
                prepare(tracee, scan);
            } catch (RuntimeException e) {
                tracee.kill();
                throw e;
            }
            try (RunWriter direct = database.createRun(runName, started);
                 RunWriter writer = new BackgroundRunWriter(direct, progress)) {
                runCreated.accept(direct.id());
                ModuleTracker modules = new ModuleTracker(tracee.pid(), tracee.memory(), writer);
                try (BlockTable blocks = new BlockTable(tracee.memory(), modules, writer);
                     InputsStream inputs = InputsStream.open(database, inputsRun, scan)) {
                    Recording recording = new Recording(options, tracee, writer, modules, blocks, progress);
                    ExitStatus status;
                    try {
                        status = ((DbiEngine) DbiEngine.expanding(inputs, scan.mappedRanges())).probing(probes).record(recording);
                        requireSameEnd(inputs, status, recordedEnd);
                    } catch (RuntimeException | Error e) {
                        tracee.kill();
                        String reason = e instanceof RecordingStoppedException ? e.getMessage()
                                : e.getClass().getSimpleName() + ": " + e.getMessage();
                        throw new ExpansionFailedException(writer.id(), reason, e);
                    }
                    RunEnded ended = writer.end(status);
                    return new RecordOutcome(writer.id(), status, ended.blockEvents(), ended.instructions(),
                            blocks.size(), modules.modules().size(), progress.stops(),
                            Duration.between(start, Instant.now()), null);
                }
            }
        }
    }

    /**
     * The bytes the kernel put on the stack that a new exec does not repeat. (rdtsc needs no
     * PR_SET_TSC here: the translator makes it fault, see the dbi package's TimestampReads.)
     */
    private static void prepare(Tracee tracee, InputsScan scan) {
        RemoteAddress random = AuxiliaryVector.atExec(tracee).randomBytesAddress();
        for (MemoryWritten w : scan.initialWrites()) {
            if (w.address() != random.value()) {
                throw new IllegalArgumentException(String.format("the inputs run wrote %d bytes at 0x%x before the first"
                        + " syscall, but AT_RANDOM is at %s here: the program does not start as it was recorded",
                        w.bytes().length, w.address(), random));
            }
            tracee.memory().write(RemoteAddress.of(w.address()), w.bytes());
        }
    }

    /**
     * The files the kernel mapped at exec (the program, its dynamic loader) are not in the log:
     * refuse one changed since the recording started (its status-change time is later).
     */
    private static void refuseChangedProgram(Tracee tracee, RunStarted started) {
        Set<String> seen = new HashSet<>();
        for (MemoryMapping m : ProcMaps.read(tracee.pid())) {
            Optional<String> path = m.path().filter(p -> p.startsWith("/"));
            if (path.isEmpty() || !seen.add(path.get())) {
                continue;
            }
            try {
                FileTime changed = (FileTime) Files.getAttribute(Path.of(path.get()), "unix:ctime");
                if (changed.toInstant().isAfter(started.startTime())) {
                    throw new IllegalArgumentException("the file " + path.get() + " changed since the inputs were recorded"
                            + " (changed " + changed.toInstant() + ", recorded " + started.startTime()
                            + "); the run cannot be expanded");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + path.get() + ", which the program maps: " + e.getMessage());
            }
        }
    }

    /** The program ended: the inputs must be used up, and the end be the recorded one. */
    private static void requireSameEnd(RecordedInputs inputs, ExitStatus status, Optional<RunEnded> recordedEnd) {
        RecordedInputs.Input left = inputs.next();
        if (left != null) {
            throw new ExpansionDivergedException("expansion diverged at the end: the program ended (" + status
                    + ") while the inputs run goes on with " + left);
        }
        if (recordedEnd.isPresent() && !recordedEnd.get().status().equals(status)) {
            throw new ExpansionDivergedException("expansion diverged at the end: recorded " + recordedEnd.get().status()
                    + ", the program ended " + status);
        }
    }

    private static void refuseIfChanged(Runnable check) {
        try {
            check.run();
        } catch (RecordingStoppedException changed) {
            throw new IllegalArgumentException(changed.getMessage(), changed);
        }
    }

    private static String describe(MachineInfo m) {
        return m.hostname() + ", " + m.cpuModel() + ", " + m.kernel();
    }
}
