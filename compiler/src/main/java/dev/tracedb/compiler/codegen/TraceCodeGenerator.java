package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.cache.CachedModule;
import dev.tracedb.compiler.cache.GuardedLoad;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.compiler.path.ValueGuard;
import dev.tracedb.machine.x86.decode.Decoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongPredicate;

/**
 * Turns a {@link TraceSelection} into position-independent trace code, one blob per module, and
 * the {@link CachedModule} entries that tie each blob to the exact bytes it was compiled from.
 *
 * <p>Each trace is emitted on its own ({@link TraceEmitter}); a trace that cannot be copied
 * exactly is refused with its reason and the others go on. Then, hottest first, traces whose
 * head patch would collide with an earlier trace's (same head, or overlapping patched bytes), or
 * whose side exits would land inside bytes some head patch overwrites, are refused too, until
 * no such trace is left. Finally each module's traces are laid out in one blob and linked
 * ({@link ModuleBlob}), in two variants: the plain code {@code tracedb run} installs, and the
 * counting code of {@code run --stats} ({@link TraceCounters}).
 *
 * <p>Not thread-safe (it owns a decoder while it runs); use one generator per thread.
 */
public final class TraceCodeGenerator {
    private boolean forwarding = true;

    /**
     * Whether loads of memory the path stored are forwarded from the stored register or constant,
     * and guards those constants decide left out ({@link StoredValues}); on by default.
     */
    public TraceCodeGenerator forwarding(boolean forwarding) {
        this.forwarding = forwarding;
        return this;
    }

    private boolean peeling = true;

    /**
     * Whether a loop trace gets a second copy of its body that starts with the forwarding facts
     * the first copy's end leaves (loop peeling, {@link TraceEmitter}); on by default, only with
     * {@link #forwarding}.
     */
    public TraceCodeGenerator peeling(boolean peeling) {
        this.peeling = peeling;
        return this;
    }

    public GeneratedCode generate(TraceSelection selection) {
        List<Refusal> refusals = new ArrayList<>();
        Map<TracePath, TraceCode> emitted = new LinkedHashMap<>();
        Map<TracePath, TraceCode> counting = new LinkedHashMap<>();
        Map<Integer, DispatchTables> tables = new java.util.HashMap<>();
        List<GuardedLoad> guardedLoads = new ArrayList<>();
        try (Decoder decoder = Decoder.open()) {
            LongPredicate insideAPatch = insideHeadPatches(selection, decoder);
            for (TracePath path : selection.traces()) {
                try {
                    List<DecodedBlock> blocks = new ArrayList<>();
                    for (PathBlock block : path.blocks()) {
                        blocks.add(DecodedBlock.decode(decoder, block));
                    }
                    int moduleIndex = path.head().at().moduleIndex();
                    DispatchTables moduleTables = tables.computeIfAbsent(moduleIndex,
                            m -> DispatchTables.load(selection.modules().get(m), decoder));
                    TraceCode plain = new TraceEmitter(path, false, moduleTables).avoidingPatches(insideAPatch).forwarding(forwarding).peeling(peeling).emit(blocks);
                    // From here on the path carries only the guards its code applies.
                    TracePath applied = path.withValueGuards(plain.valueGuards());
                    counting.put(applied, new TraceEmitter(path, true, moduleTables).avoidingPatches(insideAPatch).forwarding(forwarding).peeling(peeling).emit(blocks));
                    emitted.put(applied, plain);
                    for (ValueGuard g : plain.valueGuards()) {
                        guardedLoads.add(new GuardedLoad(path.traceId(),
                                blocks.get(g.block()).body().get(g.instruction()).address(), g.value()));
                    }
                } catch (TraceRefusedException e) {
                    refusals.add(new Refusal(path.traceId(), path.head().at(), e.getMessage()));
                } catch (IllegalArgumentException | IllegalStateException e) {
                    // The assembler could not encode a form we asked for: skipping the trace is
                    // always safe, and the reason names what failed.
                    refusals.add(new Refusal(path.traceId(), path.head().at(), "cannot encode: " + e.getMessage()));
                }
            }
        }
        dropConflicts(emitted, refusals);
        refusals.sort((x, y) -> Integer.compare(order(selection, x.traceId()), order(selection, y.traceId())));

        Map<Integer, List<TracePath>> byModule = new TreeMap<>();
        for (TracePath path : emitted.keySet()) {
            byModule.computeIfAbsent(path.head().at().moduleIndex(), m -> new ArrayList<>()).add(path);
        }
        List<CachedModule> modules = new ArrayList<>();
        List<Integer> sources = new ArrayList<>();
        List<ModuleCode> code = new ArrayList<>();
        for (Map.Entry<Integer, List<TracePath>> entry : byModule.entrySet()) {
            TraceModule module = selection.modules().get(entry.getKey());
            List<PathBlock> copied = new ArrayList<>();
            List<TraceCode> traces = new ArrayList<>();
            List<TraceCode> counted = new ArrayList<>();
            for (TracePath path : entry.getValue()) {
                copied.addAll(path.blocks());
                traces.add(emitted.get(path));
                counted.add(counting.get(path));
            }
            ReliedOnBytes reliedOn = ReliedOnBytes.of(copied);
            code.add(ModuleBlob.build(modules.size(), traces, counted));
            modules.add(new CachedModule(module.path(), module.buildId(), reliedOn.ranges(), reliedOn.hash()));
            sources.add(entry.getKey());
        }
        TraceSelection generated = new TraceSelection(selection.modules(), List.copyOf(emitted.keySet()));
        List<GuardedLoad> keptGuards = guardedLoads.stream()
                .filter(g -> generated.traces().stream().anyMatch(t -> t.traceId() == g.traceId())).toList();
        return new GeneratedCode(generated, modules, sources, code, refusals, keptGuards);
    }

    /**
     * Module offsets strictly inside the bytes some trace's head patch would overwrite (per module,
     * an approximation that ignores the module index: a value guard is only left out where it
     * would otherwise get its whole trace refused by {@link #dropConflicts}).
     */
    private static LongPredicate insideHeadPatches(TraceSelection selection, Decoder decoder) {
        List<long[]> ranges = new ArrayList<>();
        for (TracePath path : selection.traces()) {
            try {
                int length = TraceEmitter.patchLength(DecodedBlock.decode(decoder, path.head()));
                ranges.add(new long[] {path.head().at().offset(), path.head().at().offset() + length});
            } catch (TraceRefusedException e) {
                // refused later with its reason; it patches nothing
            }
        }
        return offset -> ranges.stream().anyMatch(r -> offset > r[0] && offset < r[1]);
    }

    /**
     * Refuses, hottest first kept, every trace whose entry patch collides with a kept trace's or
     * whose side exits jump into bytes a kept trace's patch overwrites (they would run the middle
     * of a {@code jmp rel32}). Dropping a trace only removes patches, so the loop ends.
     */
    private static void dropConflicts(Map<TracePath, TraceCode> emitted, List<Refusal> refusals) {
        boolean changed = true;
        while (changed) {
            changed = false;
            Map<Integer, List<TraceCode>> kept = new TreeMap<>();
            for (Map.Entry<TracePath, TraceCode> e : new ArrayList<>(emitted.entrySet())) {
                TracePath path = e.getKey();
                TraceCode trace = e.getValue();
                int module = path.head().at().moduleIndex();
                List<TraceCode> others = kept.computeIfAbsent(module, m -> new ArrayList<>());
                String conflict = patchConflict(trace, others);
                if (conflict != null) {
                    emitted.remove(path);
                    refusals.add(new Refusal(path.traceId(), path.head().at(), conflict));
                    changed = true;
                    continue;
                }
                others.add(trace);
            }
            for (Map.Entry<TracePath, TraceCode> e : new ArrayList<>(emitted.entrySet())) {
                TraceCode trace = e.getValue();
                String exit = exitIntoPatch(trace, kept.get(e.getKey().head().at().moduleIndex()));
                if (exit != null) {
                    emitted.remove(e.getKey());
                    refusals.add(new Refusal(trace.traceId(), e.getKey().head().at(), exit));
                    changed = true;
                }
            }
        }
    }

    private static String patchConflict(TraceCode trace, List<TraceCode> kept) {
        long start = trace.headOffset();
        long end = start + trace.patchLength();
        for (TraceCode other : kept) {
            long otherEnd = other.headOffset() + other.patchLength();
            if (start < otherEnd && other.headOffset() < end) {
                return "its entry patch [+0x" + Long.toHexString(start) + ", +0x" + Long.toHexString(end)
                        + ") overlaps that of hotter trace " + other.traceId();
            }
        }
        return null;
    }

    private static String exitIntoPatch(TraceCode trace, List<TraceCode> patches) {
        for (TraceCode.Fixup fixup : trace.fixups()) {
            if (fixup instanceof TraceCode.Jump jump) {
                for (TraceCode patch : patches) {
                    if (jump.target() > patch.headOffset() && jump.target() < patch.headOffset() + patch.patchLength()) {
                        return "it exits to +0x" + Long.toHexString(jump.target())
                                + ", inside the bytes the entry patch of trace " + patch.traceId() + " overwrites";
                    }
                }
            }
        }
        return null;
    }

    private static int order(TraceSelection selection, int traceId) {
        for (int i = 0; i < selection.traces().size(); i++) {
            if (selection.traces().get(i).traceId() == traceId) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }
}
