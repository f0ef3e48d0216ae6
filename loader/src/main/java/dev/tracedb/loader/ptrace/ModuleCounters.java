package dev.tracedb.loader.ptrace;

import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.loader.stats.TraceStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One module's counters on the ptrace path: a file of this JVM's that the program maps shared
 * right after its counting code, so the counts outlive the program and are read from the file once
 * it has exited ({@link #readAndDelete}); the file is deleted then. Not thread-safe.
 *
 * @see PtraceLoader
 */
public final class ModuleCounters {
    private final int cacheModule;
    private final String module;
    private final ModuleCode.Counting code;
    private final Path file;
    private long[] values;

    private ModuleCounters(int cacheModule, String module, ModuleCode.Counting code, Path file) {
        this.cacheModule = cacheModule;
        this.module = module;
        this.code = code;
        this.file = file;
    }

    /** A zeroed file of {@code size} bytes for {@code code}'s counters. */
    static ModuleCounters create(int cacheModule, String module, ModuleCode.Counting code, long size) throws IOException {
        Path file = Files.createTempFile("tracedb-counters-", ".bin");
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(1), size - 1); // sparse, all zeros
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return new ModuleCounters(cacheModule, module, code, file);
    }

    Path file() {
        return file;
    }

    /** The index of the module in the cache. */
    public int cacheModule() {
        return cacheModule;
    }

    /** The loaded module's path. */
    public String module() {
        return module;
    }

    /** The installed counting code: its entries (traces, heads) and what each counter counts. */
    public ModuleCode.Counting code() {
        return code;
    }

    /** Counter {@code i}'s value when the program ended (0 if it could not be read). */
    public long value(int i) {
        return values == null ? 0 : values[i];
    }

    /** Reads the counts once the program has ended, then deletes the file. */
    void readAndDelete() {
        if (values != null) return;
        try {
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            values = new long[code.counters().size()];
            for (int i = 0; i < values.length && 8 * i + 8 <= bytes.capacity(); i++) {
                values[i] = bytes.getLong(8 * i);
            }
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the counters in " + file, e);
        }
    }

    /** Every counter, index for index with {@link ModuleCode.Counting#counters()}. */
    public List<ModuleCode.Counter> counters() {
        return code.counters();
    }

    /**
     * Per trace of {@code cache}, in the cache's module and entry order, what the counters say:
     * entries, completions (iterations), side exits by target; traces of modules that were not
     * applied (no counters here) as such, under the cache's module path.
     */
    public static List<TraceStats.Measured> measured(TraceCache cache, List<ModuleCounters> counted) {
        List<TraceStats.Measured> out = new ArrayList<>();
        for (int i = 0; i < cache.modules().size(); i++) {
            int index = i;
            List<ModuleCounters> here = counted.stream().filter(c -> c.cacheModule == index).toList();
            if (here.isEmpty()) {
                String path = cache.modules().get(i).path();
                cache.code().stream().filter(c -> c.moduleIndex() == index).flatMap(c -> c.entries().stream())
                        .forEach(e -> out.add(new TraceStats.Measured(e.traceId(), e.headOffset(), path, false, 0, 0, 0,
                                List.of())));
                continue;
            }
            for (ModuleCounters m : here) {
                for (ModuleCode.TraceEntry e : m.code.entries()) {
                    out.add(m.measure(e));
                }
            }
        }
        return out;
    }

    private TraceStats.Measured measure(ModuleCode.TraceEntry e) {
        long entries = 0;
        long completions = 0;
        long exits = 0;
        List<TraceStats.ExitCount> byTarget = new ArrayList<>();
        List<ModuleCode.Counter> all = code.counters();
        for (int i = 0; i < all.size(); i++) {
            ModuleCode.Counter c = all.get(i);
            if (c.traceId() != e.traceId()) continue;
            long v = value(i);
            switch (c.kind()) {
                case ENTRY -> entries += v;
                case COMPLETION, ITERATION -> completions += v;
                case EXIT, GUARD_EXIT -> {
                    exits += v;
                    if (v > 0) {
                        byTarget.add(new TraceStats.ExitCount(c.kind() == ModuleCode.CounterKind.EXIT ? c.target()
                                : TraceStats.ExitCount.GUARD, v));
                    }
                }
            }
        }
        return new TraceStats.Measured(e.traceId(), e.headOffset(), module, true, entries, completions, exits, byTarget);
    }
}
