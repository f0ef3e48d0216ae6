package dev.tracedb.store.query;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.projection.Profile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a run's instructions went, by block, by function or by module: each entry's instructions
 * are its blocks' executions times their instruction counts, from the {@link Profile}.
 */
public final class HotCode {

    /**
     * One line of the answer.
     *
     * @param name         the block's or function's name ({@code main+0x1b}, {@code fib}, {@code libc.so.6+0x2a0});
     *                     for a module, its file name
     * @param module       the module's file name
     * @param instructions instructions executed in it
     * @param blockEvents  block events in it (executions of its blocks)
     * @param blocks       distinct blocks of it that ran
     * @param blockId      the block's id when grouping by block, else -1
     */
    public record Entry(String name, String module, long instructions, long blockEvents, int blocks, int blockId) {
    }

    private final RunCode code;
    private final Profile profile;
    private final CodeNames names;

    public HotCode(RunCode code, Profile profile, CodeNames names) {
        this.code = code;
        this.profile = profile;
        this.names = names;
    }

    /** Total instructions in the profile. */
    public long totalInstructions() {
        long[] total = {0};
        profile.forEachBlock((id, count) -> total[0] += count * code.block(id).instructionCount());
        return total[0];
    }

    /** Executed blocks, most instructions first. */
    public List<Entry> byBlock() {
        List<Entry> entries = new ArrayList<>();
        profile.forEachBlock((id, count) -> {
            BlockDefined b = code.block(id);
            entries.add(new Entry(names.describe(b.moduleId(), b.offset()), RunCode.shortName(code.module(b.moduleId())),
                    count * b.instructionCount(), count, 1, id));
        });
        return sorted(entries);
    }

    /**
     * Executed functions, most instructions first. A block no symbol covers is its own entry, named
     * {@code module+0xoffset}: guessing the function would put its instructions in the wrong place.
     */
    public List<Entry> byFunction() {
        return grouped(b -> names.functionName(b.moduleId(), b.offset())
                .orElseGet(() -> code.where(b.moduleId(), b.offset())));
    }

    /** Modules, most instructions first. */
    public List<Entry> byModule() {
        return grouped(b -> RunCode.shortName(code.module(b.moduleId())));
    }

    private List<Entry> grouped(java.util.function.Function<BlockDefined, String> key) {
        Map<String, long[]> totals = new LinkedHashMap<>();
        Map<String, String> modules = new LinkedHashMap<>();
        profile.forEachBlock((id, count) -> {
            BlockDefined b = code.block(id);
            ModuleMapped module = code.module(b.moduleId());
            // The module is part of the key: two libraries may both have a function called "init".
            String name = key.apply(b);
            String k = module.moduleId() + "\0" + name;
            long[] t = totals.computeIfAbsent(k, x -> new long[3]);
            t[0] += count * b.instructionCount();
            t[1] += count;
            t[2]++;
            modules.put(k, RunCode.shortName(module));
        });
        List<Entry> entries = new ArrayList<>();
        totals.forEach((k, t) -> entries.add(new Entry(k.substring(k.indexOf('\0') + 1), modules.get(k), t[0], t[1], (int) t[2], -1)));
        return sorted(entries);
    }

    private static List<Entry> sorted(List<Entry> entries) {
        entries.sort(Comparator.comparingLong(Entry::instructions).reversed().thenComparing(Entry::name));
        return entries;
    }
}
