package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ModuleMapped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Test fixture standing in for trace selection (the real one is the mining package's): takes the
 * hottest blocks of one module as heads and, for each, the path the recorded stream followed from
 * an occurrence in the middle of the run until it came back to the head (a loop trace), left the
 * module, or grew too long (then it continues in the original code). A head is used only when no
 * recorded block starts and no recorded direct branch lands inside the bytes its entry patch
 * overwrites, the safety that selection guarantees.
 */
final class RecordedPaths {
    private RecordedPaths() {}

    static TraceSelection select(RecordedRun run, ModuleMapped module, int maxTraces, int maxBlocks) {
        List<TraceModule> modules = new ArrayList<>();
        for (ModuleMapped m : run.modules) {
            modules.add(new TraceModule(m.path(), HexFormat.of().formatHex(m.buildId()), m.size()));
        }
        long[] counts = new long[run.blocks.size()];
        for (int i = 0; i < run.length; i++) {
            counts[run.stream[i]]++;
        }
        Set<Long> entryPoints = entryPoints(run, module.moduleId());
        List<Integer> candidates = new ArrayList<>(run.blocks.keySet());
        candidates.removeIf(id -> run.blocks.get(id).moduleId() != module.moduleId() || counts[id] == 0);
        candidates.sort(Comparator.comparingLong((Integer id) -> -counts[id]).thenComparing(id -> id));
        List<TracePath> traces = new ArrayList<>();
        try (Decoder decoder = Decoder.open()) {
            for (int head : candidates) {
                if (traces.size() == maxTraces) {
                    break;
                }
                PathBlock headBlock = pathBlock(run.blocks.get(head));
                if (!patchIsSafe(decoder, headBlock, entryPoints)) {
                    continue;
                }
                traces.add(follow(run, head, traces.size(), counts[head], maxBlocks));
            }
        }
        return new TraceSelection(modules, traces);
    }

    private static TracePath follow(RecordedRun run, int head, int traceId, long entries, int maxBlocks) {
        int seen = 0;
        int start = -1;
        for (int i = 0; i < run.length; i++) {
            if (run.stream[i] == head && ++seen >= (entries + 1) / 2) {
                start = i;
                break;
            }
        }
        int module = run.blocks.get(head).moduleId();
        List<PathBlock> blocks = new ArrayList<>();
        blocks.add(pathBlock(run.blocks.get(head)));
        int j = start + 1;
        while (j < run.length && run.stream[j] != head && blocks.size() < maxBlocks
                && run.blocks.get(run.stream[j]).moduleId() == module) {
            blocks.add(pathBlock(run.blocks.get(run.stream[j])));
            j++;
        }
        if (j >= run.length) {
            throw new IllegalStateException("the run ends inside the path from block " + head);
        }
        BlockDefined next = run.blocks.get(run.stream[j]);
        return new TracePath(traceId, blocks, new CodeAddress(next.moduleId(), next.offset()), entries);
    }

    private static PathBlock pathBlock(BlockDefined b) {
        return new PathBlock(new CodeAddress(b.moduleId(), b.offset()), b.bytes(), b.instructionCount(), b.terminator());
    }

    /** Every recorded block start and every recorded direct branch target in the module. */
    private static Set<Long> entryPoints(RecordedRun run, int module) {
        Set<Long> points = new HashSet<>();
        try (Decoder decoder = Decoder.open()) {
            for (BlockDefined b : run.blocks.values()) {
                if (b.moduleId() != module) {
                    continue;
                }
                points.add(b.offset());
                DecodedBlock decoded = DecodedBlock.decode(decoder, pathBlock(b));
                Instruction last = decoded.last();
                if (last.directTarget().isPresent()) {
                    points.add(last.directTarget().getAsLong());
                }
            }
        }
        return points;
    }

    private static boolean patchIsSafe(Decoder decoder, PathBlock head, Set<Long> entryPoints) {
        int length;
        try {
            length = TraceEmitter.patchLength(DecodedBlock.decode(decoder, head));
        } catch (TraceRefusedException tooShort) {
            return true; // code generation refuses it itself, which the tests want to see
        }
        long start = head.at().offset();
        for (long p = start + 1; p < start + length; p++) {
            if (entryPoints.contains(p)) {
                return false;
            }
        }
        return true;
    }

}
