package dev.tracedb.compiler.mining;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.store.Terminator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The distinct blocks of one or more runs of a program, under ids of our own ("global block ids",
 * dense from 0) that mean the same code in every run. Modules are matched by {@link ModuleKey} (path
 * and build-id); blocks by module, offset and length, never by the recorder's per-run block id.
 * Length is part of a block's identity because a run may hold two blocks at one offset (the prefix
 * of a block that a signal cut short is a block of its own).
 *
 * <p>If two runs define the same block with different bytes (the file changed under the same
 * build-id), the block is marked {@linkplain #consistent inconsistent}, and selection never puts it
 * in a trace.
 *
 * <p>Memory is proportional to the distinct blocks, never to the block events. Not thread-safe.
 */
public final class BlockCatalog {
    private record BlockKey(int module, long offset, int length) {
    }

    private final List<TraceModule> modules = new ArrayList<>();
    private final List<ModuleKey> moduleKeys = new ArrayList<>();
    private final Map<ModuleKey, Integer> moduleIndex = new HashMap<>();
    private final Map<BlockKey, Integer> blockIndex = new HashMap<>();
    private final List<byte[]> bytes = new ArrayList<>();
    private final List<Terminator> terminators = new ArrayList<>();
    private int[] moduleOf = new int[1024];
    private long[] offsets = new long[1024];
    private int[] instructions = new int[1024];
    private boolean[] inconsistent = new boolean[1024];
    private int size;

    /** The index of the module with this key, adding it if new. */
    public int module(ModuleKey key, long size) {
        Integer index = moduleIndex.get(key);
        if (index != null) return index;
        int added = modules.size();
        modules.add(new TraceModule(key.path(), key.buildId(), size));
        moduleKeys.add(key);
        moduleIndex.put(key, added);
        return added;
    }

    /** The index of the module with this key, or -1. */
    public int findModule(ModuleKey key) {
        return moduleIndex.getOrDefault(key, -1);
    }

    public int moduleCount() {
        return modules.size();
    }

    public TraceModule moduleInfo(int module) {
        return modules.get(module);
    }

    public ModuleKey moduleKey(int module) {
        return moduleKeys.get(module);
    }

    /** The global id of this block, adding it if new (and checking its bytes if not). */
    public int block(int module, long offset, byte[] code, int instructionCount, Terminator terminator) {
        BlockKey key = new BlockKey(module, offset, code.length);
        Integer known = blockIndex.get(key);
        if (known != null) {
            if (!Arrays.equals(bytes.get(known), code) || instructions[known] != instructionCount
                    || terminators.get(known) != terminator) {
                inconsistent[known] = true;
            }
            return known;
        }
        if (size == moduleOf.length) grow();
        int id = size++;
        blockIndex.put(key, id);
        moduleOf[id] = module;
        offsets[id] = offset;
        instructions[id] = instructionCount;
        bytes.add(code.clone());
        terminators.add(terminator);
        return id;
    }

    /** The global id of the block with exactly these coordinates, or -1. */
    public int find(int module, long offset, int length) {
        return blockIndex.getOrDefault(new BlockKey(module, offset, length), -1);
    }

    /** Distinct blocks so far; global ids are {@code 0 .. size() - 1}. */
    public int size() {
        return size;
    }

    public int moduleOf(int block) {
        return moduleOf[block];
    }

    public long offset(int block) {
        return offsets[block];
    }

    public int length(int block) {
        return bytes.get(block).length;
    }

    public int instructionCount(int block) {
        return instructions[block];
    }

    public Terminator terminator(int block) {
        return terminators.get(block);
    }

    /** The block's bytes (a copy). */
    public byte[] bytes(int block) {
        return bytes.get(block).clone();
    }

    /** False if runs disagree about this block's bytes, length or terminator. */
    public boolean consistent(int block) {
        return !inconsistent[block];
    }

    /** True if both blocks start at the same address (they may differ in length). */
    public boolean sameAddress(int a, int b) {
        return moduleOf[a] == moduleOf[b] && offsets[a] == offsets[b];
    }

    /** The block's address, with module indices of this catalog. */
    public CodeAddress address(int block) {
        return new CodeAddress(moduleOf[block], offsets[block]);
    }

    /** The block as a path element, its module index mapped through {@code moduleMap}. */
    public PathBlock pathBlock(int block, int[] moduleMap) {
        return new PathBlock(new CodeAddress(moduleMap[moduleOf[block]], offsets[block]), bytes.get(block),
                instructions[block], terminators.get(block));
    }

    /** Every recorded block start of {@code module}, ascending, without duplicates. */
    public long[] blockStarts(int module) {
        long[] starts = new long[size];
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (moduleOf[i] == module) starts[n++] = offsets[i];
        }
        return Arrays.stream(starts, 0, n).sorted().distinct().toArray();
    }

    private void grow() {
        int capacity = moduleOf.length * 2;
        moduleOf = Arrays.copyOf(moduleOf, capacity);
        offsets = Arrays.copyOf(offsets, capacity);
        instructions = Arrays.copyOf(instructions, capacity);
        inconsistent = Arrays.copyOf(inconsistent, capacity);
    }
}
