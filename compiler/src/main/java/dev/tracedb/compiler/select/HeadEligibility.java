package dev.tracedb.compiler.select;

import dev.tracedb.compiler.mining.BlockCatalog;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.UndecodableInstructionException;
import dev.tracedb.store.Terminator;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Decides whether a block may be a trace head, i.e. whether patching a jump over its first bytes
 * is provably safe and its code can start a trace. A head is eligible only if:
 * <ul>
 *   <li>its whole instructions cover at least 5 bytes ({@link HeadPatch});</li>
 *   <li>no other recorded block (in any of the runs) starts strictly inside those bytes, and every
 *       recorded block that runs through the head's start has an instruction boundary there;</li>
 *   <li>no static direct branch or call target, and no call's return address, found by a linear
 *       sweep of the module file's executable sections, lies strictly inside them;</li>
 *   <li>the module file is there, has the recorded build-id, and holds the recorded bytes;</li>
 *   <li>the block itself may be in a trace: runs agree on it, and it does not end in a system call
 *       or another unsupported instruction.</li>
 * </ul>
 * The file of each module is read and scanned once, on first use, and kept for the compilation.
 *
 * <p>Not thread-safe (it uses one decoder).
 */
final class HeadEligibility {
    private final BlockCatalog catalog;
    private final Decoder decoder;
    /** A module file scanned, or why it could not be. */
    private record Scan(ModuleImage image, String failure) {
    }

    private final Map<Integer, Scan> images = new HashMap<>();
    private final Map<Integer, long[]> blockStarts = new HashMap<>();
    private final Map<Integer, int[]> blocksByStart = new HashMap<>();
    private final Map<Integer, String> verdicts = new HashMap<>();

    HeadEligibility(BlockCatalog catalog, Decoder decoder) {
        this.catalog = catalog;
        this.decoder = decoder;
    }

    /** Null if {@code block} may be a head, else the reason it may not. */
    String whyNot(int block) {
        return verdicts.computeIfAbsent(block, this::judge);
    }

    private String judge(int block) {
        if (!catalog.consistent(block)) return "runs disagree about the head block's bytes";
        Terminator terminator = catalog.terminator(block);
        if (terminator == Terminator.SYSCALL || terminator == Terminator.OTHER) {
            return "head block ends in a system call or an unsupported instruction";
        }
        long offset = catalog.offset(block);
        byte[] bytes = catalog.bytes(block);
        int patch;
        try {
            patch = HeadPatch.length(decoder, bytes, offset);
        } catch (UndecodableInstructionException e) {
            return "head block does not decode";
        }
        if (patch < 0) return "head block's whole instructions cover fewer than 5 bytes";
        int module = catalog.moduleOf(block);
        long[] starts = blockStarts.computeIfAbsent(module, catalog::blockStarts);
        int i = Arrays.binarySearch(starts, offset + 1);
        if (i < 0) i = -i - 1;
        if (i < starts.length && starts[i] < offset + patch) {
            return "another recorded block starts inside the head's patch bytes";
        }
        if (runsThroughOffBoundary(module, offset)) {
            return "a recorded block runs through the head off its instruction boundaries";
        }
        Scan scan = images.computeIfAbsent(module, this::scan);
        if (scan.failure() != null) return scan.failure();
        ModuleImage file = scan.image();
        if (!Arrays.equals(file.bytesAt(offset, bytes.length), bytes)) {
            return "module file differs from the recording at the head";
        }
        if (file.targetStrictlyInside(offset, offset + patch)) {
            return "a static branch target lies inside the head's patch bytes";
        }
        return null;
    }

    /**
     * True if a recorded block that starts before {@code head} and runs past it does not have an
     * instruction starting exactly at {@code head}. Such a block falls through the head's bytes;
     * it may do so only if it reaches the patched jump at an instruction boundary, where the
     * trace starts in the same state.
     */
    private boolean runsThroughOffBoundary(int module, long head) {
        for (int other : blocksByStart.computeIfAbsent(module, this::blocksOf)) {
            long start = catalog.offset(other);
            if (start >= head) break;
            if (start + catalog.length(other) <= head) continue;
            boolean boundary = false;
            try {
                for (Instruction instruction : decoder.decodeBlock(catalog.bytes(other), start, start).instructions()) {
                    if (instruction.address() == head) boundary = true;
                }
            } catch (UndecodableInstructionException e) {
                return true;
            }
            if (!boundary) return true;
        }
        return false;
    }

    /** The module's blocks, by start. */
    private int[] blocksOf(int module) {
        return IntStream.range(0, catalog.size()).filter(b -> catalog.moduleOf(b) == module)
                .boxed().sorted(Comparator.comparingLong(catalog::offset)).mapToInt(Integer::intValue)
                .toArray();
    }

    private Scan scan(int module) {
        try {
            return new Scan(ModuleImage.load(catalog.moduleInfo(module), decoder), null);
        } catch (IllegalStateException e) {
            return new Scan(null, e.getMessage());
        }
    }
}
