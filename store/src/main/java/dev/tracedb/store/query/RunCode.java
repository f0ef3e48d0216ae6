package dev.tracedb.store.query;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunReader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The code of one run as its log defines it: every module and block, indexed by id. Reading it
 * costs one pass over the definitions (the replay starts at the last batch, so at most one batch is
 * decompressed).
 */
public final class RunCode {
    private final List<ModuleMapped> modules;
    private final BlockDefined[] blocks;
    private final int[] instructionCounts;

    private RunCode(List<ModuleMapped> modules, BlockDefined[] blocks) {
        this.modules = List.copyOf(modules);
        this.blocks = blocks;
        this.instructionCounts = new int[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            instructionCounts[i] = blocks[i] == null ? 0 : blocks[i].instructionCount();
        }
    }

    public static RunCode read(RunReader reader) {
        Collector collector = new Collector();
        List<ExecBatchHeader> batches = reader.batches();
        if (batches.isEmpty()) {
            reader.replay(collector);
        } else {
            reader.replayFrom(batches.get(batches.size() - 1), collector);
        }
        return new RunCode(collector.modules, collector.blocks.toArray(BlockDefined[]::new));
    }

    public List<ModuleMapped> modules() {
        return modules;
    }

    /** The module with this id; {@link IllegalStateException} if the log never mapped it. */
    public ModuleMapped module(int moduleId) {
        for (ModuleMapped m : modules) {
            if (m.moduleId() == moduleId) return m;
        }
        throw new IllegalStateException("the log never mapped module " + moduleId);
    }

    /** Number of block ids (one past the largest defined id). */
    public int blockCount() {
        return blocks.length;
    }

    /** Block {@code id}; {@link IllegalArgumentException} if the run defines no such block. */
    public BlockDefined block(int id) {
        if (id < 0 || id >= blocks.length || blocks[id] == null) {
            throw new IllegalArgumentException("the run has no block " + id + " (its blocks are 0.." + (blocks.length - 1) + ")");
        }
        return blocks[id];
    }

    /** Instruction count by block id (0 for ids never defined): the hot loops index it per event. */
    public int[] instructionCounts() {
        return instructionCounts.clone();
    }

    /** {@code libc.so.6} for a module's path: what people call it. */
    public static String shortName(ModuleMapped module) {
        Path name = Path.of(module.path()).getFileName();
        return name == null ? module.path() : name.toString();
    }

    /** {@code libc.so.6+0x1234}. */
    public String where(int moduleId, long offset) {
        return shortName(module(moduleId)) + "+0x" + Long.toHexString(offset);
    }

    /** The address a block had in the recorded process. */
    public long address(BlockDefined block) {
        return module(block.moduleId()).base() + block.offset();
    }

    private static final class Collector implements EventVisitor {
        final List<ModuleMapped> modules = new ArrayList<>();
        final List<BlockDefined> blocks = new ArrayList<>();

        @Override
        public void moduleMapped(ModuleMapped event) {
            modules.add(event);
        }

        @Override
        public void blockDefined(BlockDefined event) {
            while (blocks.size() <= event.blockId()) blocks.add(null);
            blocks.set(event.blockId(), event);
        }
    }

    @Override
    public String toString() {
        return "RunCode[" + modules.size() + " modules, " + Arrays.stream(blocks).filter(b -> b != null).count() + " blocks]";
    }
}
