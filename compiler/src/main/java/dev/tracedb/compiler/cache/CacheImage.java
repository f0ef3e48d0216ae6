package dev.tracedb.compiler.cache;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The flat image of a cache: what the native loader shim applies without a JVM and without a
 * Kryo decoder. Fixed-size little-endian tables and offsets only, so C reads it in place from an
 * mmapped file. The byte layout is in {@code docs/formats/trace-cache.md}; this class and
 * {@code loader/src/main/c/image.h} must agree with it.
 *
 * <p>Every {@link ModuleCode} of one module is merged into one blob per module (blobs are
 * position-independent and jump only inside themselves, so concatenation keeps them valid; their
 * relocations and entries are shifted by the blob's new start). Their counting variants are merged
 * alike into a second blob per module, their counters into one table (counter relocations
 * renumbered); a module some of whose code has no counting variant gets none.
 */
public final class CacheImage {
    /** Version 2's magic (version 1 was {@code TDBIMAGE}, with 64-byte module records). */
    static final byte[] MAGIC = "TDBIMGv2".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER_SIZE = 16;
    static final int MODULE_SIZE = 128;
    static final int COUNTER_SIZE = 16;
    static final int RANGE_SIZE = 16;
    static final int RELOCATION_SIZE = 16;
    static final int ENTRY_SIZE = 24;
    /** Relocation kinds as numbered in the image (0 is never used, so zeroed memory is invalid). */
    static final int REL32 = 1;
    static final int ABS64 = 2;
    static final int COUNTER = 3;

    private CacheImage() {
    }

    /**
     * Encodes {@code cache} as a flat image.
     *
     * @throws IllegalArgumentException when a relocation or entry lies outside its code blob
     */
    public static byte[] encode(TraceCache cache) {
        List<CachedModule> modules = cache.modules();
        List<MergedCode> merged = new ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            merged.add(new MergedCode());
        }
        for (ModuleCode code : cache.code()) {
            merged.get(code.moduleIndex()).add(code);
        }

        Pool pool = new Pool(HEADER_SIZE + MODULE_SIZE * modules.size());
        ByteBuffer table = ByteBuffer.allocate(MODULE_SIZE * modules.size()).order(ByteOrder.LITTLE_ENDIAN);
        int traceCount = 0;
        for (int i = 0; i < modules.size(); i++) {
            CachedModule module = modules.get(i);
            MergedCode code = merged.get(i);
            traceCount += code.entries.size();
            byte[] path = module.path().getBytes(StandardCharsets.UTF_8);
            byte[] buildId = HexFormat.of().parseHex(module.buildId());

            table.putInt(pool.addString(path)).putInt(path.length);
            table.putInt(pool.addString(buildId)).putInt(buildId.length);
            table.putLong(module.reliedOnHash());
            table.putInt(pool.addRanges(module.reliedOn())).putInt(module.reliedOn().size());
            table.putInt(pool.addCode(code.bytes.toByteArray())).putInt(code.bytes.size());
            table.putInt(pool.addRelocations(code.relocations)).putInt(code.relocations.size());
            table.putInt(pool.addEntries(code.entries)).putInt(code.entries.size());
            table.putLong(0);
            MergedCode counting = code.counting();
            table.putInt(pool.addCode(counting.bytes.toByteArray())).putInt(counting.bytes.size());
            table.putInt(pool.addRelocations(counting.relocations)).putInt(counting.relocations.size());
            table.putInt(pool.addEntries(counting.entries)).putInt(counting.entries.size());
            table.putInt(pool.addCounters(counting.counters)).putInt(counting.counters.size());
            table.put(new byte[32]);
        }

        ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).putInt(modules.size()).putInt(traceCount);
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        image.writeBytes(header.array());
        image.writeBytes(table.array());
        image.writeBytes(pool.bytes());
        return image.toByteArray();
    }

    /**
     * The code of one module, merged from its {@link ModuleCode}s, and their counting variants
     * merged alike (none at all when one of them has none: a module is counted whole or not).
     */
    private static final class MergedCode {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<ModuleCode.Relocation> relocations = new ArrayList<>();
        final List<ModuleCode.TraceEntry> entries = new ArrayList<>();
        final List<ModuleCode.Counter> counters = new ArrayList<>();
        /** The counting variants' merge; null in a merge of counting variants itself. */
        private final MergedCode counting;
        private boolean countingMissing;

        MergedCode() {
            this.counting = new MergedCode(null);
        }

        private MergedCode(MergedCode none) {
            this.counting = none;
        }

        /** The merged counting variants, empty when some {@link ModuleCode} of the module has none. */
        MergedCode counting() {
            return countingMissing ? new MergedCode(null) : counting;
        }

        void add(ModuleCode code) {
            add(code.moduleIndex(), code.code(), code.relocations(), code.entries(), List.of());
            if (code.counting() == null) {
                countingMissing = true;
            } else {
                ModuleCode.Counting c = code.counting();
                counting.add(code.moduleIndex(), c.code(), c.relocations(), c.entries(), c.counters());
            }
        }

        private void add(int moduleIndex, byte[] blob, List<ModuleCode.Relocation> blobRelocations,
                         List<ModuleCode.TraceEntry> blobEntries, List<ModuleCode.Counter> blobCounters) {
            while (bytes.size() % 16 != 0) {
                bytes.write(0xcc); // int3 between blobs: nothing jumps there
            }
            int start = bytes.size();
            int firstCounter = counters.size();
            for (ModuleCode.Relocation r : blobRelocations) {
                int width = r.kind() == ModuleCode.Relocation.Kind.ABS64 ? 8 : 4;
                if (r.codeOffset() < 0 || r.codeOffset() + width > blob.length) {
                    throw new IllegalArgumentException("relocation at " + r.codeOffset() + " outside a "
                            + blob.length + "-byte blob of module " + moduleIndex);
                }
                long target = r.kind() == ModuleCode.Relocation.Kind.COUNTER ? firstCounter + r.moduleOffset()
                        : r.moduleOffset();
                relocations.add(new ModuleCode.Relocation(start + r.codeOffset(), r.kind(), target));
            }
            counters.addAll(blobCounters);
            for (ModuleCode.TraceEntry e : blobEntries) {
                if (e.codeOffset() < 0 || e.codeOffset() >= blob.length) {
                    throw new IllegalArgumentException("entry of trace " + e.traceId() + " at " + e.codeOffset()
                            + " outside a " + blob.length + "-byte blob of module " + moduleIndex);
                }
                entries.add(new ModuleCode.TraceEntry(e.traceId(), e.headOffset(), start + e.codeOffset(),
                        e.patchLength()));
            }
            bytes.writeBytes(blob);
        }
    }

    /** The data area after the module table; offsets it hands out are from the image start. */
    private static final class Pool {
        private final int base;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pool(int base) {
            this.base = base;
        }

        private int align(int alignment) {
            while ((base + out.size()) % alignment != 0) {
                out.write(0);
            }
            return base + out.size();
        }

        /** A string with a NUL after it (not counted in its length), for C's convenience. */
        int addString(byte[] s) {
            int at = align(8);
            out.writeBytes(s);
            out.write(0);
            return at;
        }

        int addCode(byte[] code) {
            int at = align(16);
            out.writeBytes(code);
            return at;
        }

        int addRanges(List<CachedModule.ByteRange> ranges) {
            return addTable(ranges, RANGE_SIZE, (b, r) -> b.putLong(r.offset()).putInt(r.length()).putInt(0));
        }

        int addRelocations(List<ModuleCode.Relocation> relocations) {
            return addTable(relocations, RELOCATION_SIZE, (b, r) -> {
                int kind = switch (r.kind()) {
                    case REL32 -> REL32;
                    case ABS64 -> ABS64;
                    case COUNTER -> COUNTER;
                };
                b.putInt(r.codeOffset()).putInt(kind).putLong(r.moduleOffset());
            });
        }

        int addEntries(List<ModuleCode.TraceEntry> entries) {
            return addTable(entries, ENTRY_SIZE, (b, e) ->
                    b.putLong(e.headOffset()).putInt(e.codeOffset()).putInt(e.patchLength()).putInt(e.traceId()).putInt(0));
        }

        /** 16 bytes each: {@code u32} trace id, {@code u32} kind (1 + {@code CounterKind} ordinal), {@code u64} target. */
        int addCounters(List<ModuleCode.Counter> counters) {
            return addTable(counters, COUNTER_SIZE,
                    (b, c) -> b.putInt(c.traceId()).putInt(1 + c.kind().ordinal()).putLong(c.target()));
        }

        /** One fixed-size little-endian table, 8-aligned: {@code row} writes each element's {@code rowSize} bytes. */
        private <T> int addTable(List<T> rows, int rowSize, BiConsumer<ByteBuffer, T> row) {
            int at = align(8);
            ByteBuffer b = ByteBuffer.allocate(rowSize * rows.size()).order(ByteOrder.LITTLE_ENDIAN);
            for (T r : rows) {
                row.accept(b, r);
            }
            out.writeBytes(b.array());
            return at;
        }

        byte[] bytes() {
            align(16);
            return out.toByteArray();
        }
    }
}
