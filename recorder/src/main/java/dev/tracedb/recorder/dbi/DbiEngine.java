package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.x86.decode.BasicBlock;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.recorder.Block;
import dev.tracedb.recorder.BlockTable;
import dev.tracedb.recorder.CodeModule;
import dev.tracedb.recorder.CodeWrites;
import dev.tracedb.recorder.Engine;
import dev.tracedb.recorder.Recording;
import dev.tracedb.recorder.SteppedAside;
import dev.tracedb.recorder.StopRequest;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.Terminators;
import java.util.List;

/**
 * The {@code --engine dbi} recorder: runs the program from a code cache in shared memory (see
 * the package documentation) and logs through the framework's services. Blocks come from the
 * recording's {@link BlockTable}, so their ids are those defined in the log, exactly as the step
 * engine's are.
 *
 * <p>Supported now: one thread (at a second one the recording steps aside: {@link SteppedAside},
 * the process placed on its own {@code clone} and detached; so it does at JIT code, the process
 * placed at its first instruction), static and dynamic programs (recorded from the dynamic loader's
 * entry; every module gets a code-cache view within rel32 reach, see {@link ViewPlacement}).
 * Signal handlers run translated ({@link SignalDelivery}). Child processes run natively
 * ({@link NativeChild}); an exec ends the recording ({@link dev.tracedb.recorder.ProgramExecuted}).
 * Refused with {@link UnsupportedProgramException}: the instructions listed in
 * {@link BlockTranslator}, and the few signal placements listed in {@link OriginalPoint}. Not thread-safe; {@link #record} runs on the
 * tracer thread.
 */
public final class DbiEngine implements Engine {
    private final RegionLayout layout;
    /** For an expansion: the inputs run's inputs; null when recording. */
    private final RecordedInputs inputs;
    /** For an expansion: what the recorded program mapped, kept free of views. */
    private final List<ViewPlacement.Extent> reserved;
    /** The value probes to sample. */
    private dev.tracedb.recorder.ValueProbeOptions probes = dev.tracedb.recorder.ValueProbeOptions.NONE;

    /** This engine, sampling {@code probes} (value probes) in what it records. */
    public DbiEngine probing(dev.tracedb.recorder.ValueProbeOptions probes) {
        this.probes = probes;
        return this;
    }

    public DbiEngine() {
        // A knob for measuring the ring's size (bench/record.sh), not an option of the command.
        this(Integer.getInteger("tracedb.dbi.ringMiB") == null ? RegionLayout.DEFAULT
                : new RegionLayout(Integer.getInteger("tracedb.dbi.ringMiB") << 20, RegionLayout.DEFAULT.codeBytes()));
    }

    DbiEngine(RegionLayout layout) {
        this(layout, null, List.of());
    }

    private DbiEngine(RegionLayout layout, RecordedInputs inputs, List<ViewPlacement.Extent> reserved) {
        this.layout = layout;
        this.inputs = inputs;
        this.reserved = reserved;
    }

    /**
     * The engine in replay mode, for {@code tracedb expand}: the launched program is run from the
     * code cache as in a recording, but its syscalls, timestamp reads and signals are matched
     * against {@code inputs} and fed from them ({@link ReplayedSyscalls}); no view is placed in
     * {@code reserved} (every range the recorded program mapped). The tracee must have been
     * launched as the inputs run's program was (see the expand package).
     */
    public static Engine expanding(RecordedInputs inputs, List<AddressRange> reserved) {
        return new DbiEngine(RegionLayout.DEFAULT, inputs,
                reserved.stream().map(r -> new ViewPlacement.Extent(r.start(), r.end())).toList());
    }

    /** The drain (ring to compressed log) costs seconds per billion events: it runs beside the program. */
    @Override
    public boolean writesLogInBackground() {
        return true;
    }

    @Override
    public ExitStatus record(Recording recording) {
        return record(recording, null);
    }

    @Override
    public ExitStatus recordAttached(Recording recording, StopRequest stop) {
        return record(recording, stop);
    }

    /** Launched ({@code stop} null) or attached. */
    private ExitStatus record(Recording recording, StopRequest stop) {
        RunWriterSink log = new RunWriterSink(recording.writer());
        ExpansionSink expansion = inputs == null ? null : new ExpansionSink(log);
        EventSink sink = expansion == null ? log : expansion;
        BlockSource source = new BlockSource() {
            @Override
            public Source blockAt(AppAddress address) {
                Block block = recording.blocks().blockAt(address.value());
                return source(block.id(), block.module(), block.instructions(), block.terminator());
            }

            @Override
            public Source prefix(AppAddress start, int count) {
                Block prefix = recording.blocks().prefix(recording.blocks().blockAt(start.value()), count);
                return source(prefix.id(), prefix.module(), prefix.instructions(), prefix.terminator());
            }

            @Override
            public CodeWrites.EnteredCode enteredCode() {
                return recording.modules();
            }

            @Override
            public Source peek(AppAddress address) {
                return recording.blocks().peek(address.value()).map(d -> source(-1, d.module(), d.instructions(),
                        Terminators.of(d.instructions().get(d.instructions().size() - 1), d.complete()))).orElse(null);
            }
        };
        DbiSession created;
        try {
            created = new DbiSession(recording.tracee(), probes.any() ? layout.withProbeBuffer(ValueProbes.BUFFER_BYTES) : layout,
                    MissHandshake.configured(), source, sink, reserved);
        } catch (UnsupportedProgramException refused) {
            if (stop == null) {
                throw refused;
            }
            // An attached process has not run any code of ours yet: it goes on as it was.
            recording.tracee().detach();
            throw new Detached("recording stopped before it began: " + refused.getMessage());
        }
        try (DbiSession session = created) {
            if (probes.any()) {
                session.probe(new ValueProbes(probes.sites(), probes.budget(), note -> System.err.println("tracedb: " + note)));
            }
            if (expansion != null) {
                ReplayedSyscalls replayed = new ReplayedSyscalls(recording.tracee(), session.region(), inputs);
                expansion.matchAgainst(replayed);
                session.boundary(replayed);
            }
            DbiSession.Result result = stop == null ? session.run() : session.runAttached(stop);
            if (Boolean.getBoolean("tracedb.dbi.stats")) {
                // A diagnostic for measuring the engine (bench/record.sh), not part of the command's output.
                System.err.println("tracedb: dbi " + result + ", ringWaitNanos=" + session.ringWaitNanos());
            }
            StopEvent end = result.end();
            if (end == null) {
                // Let go natively (the views unmapped, detached): an attached process because it was asked
                // to or at something refused; a launched one only where a run cannot follow it, at a thread.
                if (stop == null) {
                    throw new SteppedAside(session.detachReason());
                }
                throw new Detached(session.detachReason());
            }
            if (end instanceof StopEvent.Exited e) {
                return ExitStatus.exited(e.code());
            }
            if (end instanceof StopEvent.Killed k) {
                return ExitStatus.killedBy(k.signal().number());
            }
            throw new IllegalStateException("recording ended without the program's end: " + end);
        }
    }

    private static BlockSource.Source source(int id, CodeModule module, List<Instruction> instructions,
                                             Terminator terminator) {
        BasicBlock.End end = terminator == Terminator.FALL_THROUGH
                ? BasicBlock.End.INSTRUCTION_LIMIT : BasicBlock.End.CONTROL_TRANSFER;
        return new BlockSource.Source(id, new BasicBlock(instructions.get(0).address(), instructions, end),
                new ViewPlacement.Extent(module.base(), module.base() + module.size()), module.path());
    }
}
