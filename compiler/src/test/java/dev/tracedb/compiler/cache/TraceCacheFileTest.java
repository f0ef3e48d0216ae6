package dev.tracedb.compiler.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.path.CodeAddress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceCacheFileTest {
    @TempDir
    Path dir;

    static TraceCache sampleCache() {
        CachedModule program = new CachedModule("/usr/bin/lua5.4", "a1b2c3d4e5f60718",
                List.of(new CachedModule.ByteRange(0x1040, 12), new CachedModule.ByteRange(0x2000, 7)),
                new ReliedOnHash().update(new byte[] {1, 2, 3}).value());
        CachedModule libc = new CachedModule("/usr/lib/x86_64-linux-gnu/libc.so.6", "", List.of(), 0);
        ModuleCode code = new ModuleCode(0, new byte[] {(byte) 0x90, (byte) 0xe9, 0, 0, 0, 0, (byte) 0xcc, 0x48, 1, 2, 3, 4, 5, 6, 7, 8},
                List.of(new ModuleCode.Relocation(2, ModuleCode.Relocation.Kind.REL32, 0x104c),
                        new ModuleCode.Relocation(8, ModuleCode.Relocation.Kind.ABS64, 0x3000)),
                List.of(new ModuleCode.TraceEntry(7, 0x1040, 0, 5)),
                new ModuleCode.Counting(new byte[] {(byte) 0xf0, 0x48, (byte) 0xff, 5, 0, 0, 0, 0, (byte) 0xe9, 0, 0, 0, 0},
                        List.of(new ModuleCode.Relocation(4, ModuleCode.Relocation.Kind.COUNTER, 0),
                                new ModuleCode.Relocation(9, ModuleCode.Relocation.Kind.REL32, 0x104c)),
                        List.of(new ModuleCode.TraceEntry(7, 0x1040, 0, 5)),
                        List.of(new ModuleCode.Counter(7, ModuleCode.CounterKind.ENTRY, 0))));
        ModuleCode more = new ModuleCode(0, new byte[] {(byte) 0xe9, 0, 0, 0, 0},
                List.of(new ModuleCode.Relocation(1, ModuleCode.Relocation.Kind.REL32, 0x2007)),
                List.of(new ModuleCode.TraceEntry(8, 0x2000, 0, 7)),
                new ModuleCode.Counting(new byte[] {(byte) 0xf0, 0x48, (byte) 0xff, 5, 0, 0, 0, 0,
                        (byte) 0xf0, 0x48, (byte) 0xff, 5, 0, 0, 0, 0, (byte) 0xe9, 0, 0, 0, 0},
                        List.of(new ModuleCode.Relocation(4, ModuleCode.Relocation.Kind.COUNTER, 1),
                                new ModuleCode.Relocation(12, ModuleCode.Relocation.Kind.COUNTER, 0),
                                new ModuleCode.Relocation(17, ModuleCode.Relocation.Kind.REL32, 0x2007)),
                        List.of(new ModuleCode.TraceEntry(8, 0x2000, 0, 7)),
                        List.of(new ModuleCode.Counter(8, ModuleCode.CounterKind.ENTRY, 0),
                                new ModuleCode.Counter(8, ModuleCode.CounterKind.EXIT, 0x2007))));
        Forecast forecast = new Forecast(1000, 600, List.of(new Forecast.TraceForecast(7, 10, 9, 600,
                List.of(new Forecast.ExitCount(new CodeAddress(0, 0x1050), 1)))));
        return new TraceCache(TraceCache.FORMAT_VERSION, List.of(program, libc), List.of(code, more), forecast);
    }

    @Test
    void roundTripsEveryField() {
        TraceCache cache = sampleCache();
        Path file = dir.resolve("lua.tcache");
        TraceCacheFile.write(cache, file);
        TraceCache back = TraceCacheFile.read(file);

        assertEquals(cache.formatVersion(), back.formatVersion());
        assertEquals(cache.modules(), back.modules());
        assertEquals(cache.forecast(), back.forecast());
        assertEquals(cache.code().size(), back.code().size());
        for (int i = 0; i < cache.code().size(); i++) {
            ModuleCode want = cache.code().get(i);
            ModuleCode got = back.code().get(i);
            assertEquals(want.moduleIndex(), got.moduleIndex());
            assertArrayEquals(want.code(), got.code());
            assertEquals(want.relocations(), got.relocations());
            assertEquals(want.entries(), got.entries());
        }
    }

    @Test
    void replacesAnOldFileAndLeavesNoTemporaryBehind() throws IOException {
        Path file = dir.resolve("x.tcache");
        Files.writeString(file, "an older, unrelated file");
        TraceCacheFile.write(sampleCache(), file);
        TraceCacheFile.write(sampleCache(), file);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
        assertEquals(2, TraceCacheFile.read(file).modules().size());
    }

    @Test
    void aFailedWriteLeavesTheOldFileAlone() throws IOException {
        Path file = dir.resolve("keep.tcache");
        TraceCacheFile.write(sampleCache(), file);
        byte[] before = Files.readAllBytes(file);
        TraceCache wrong = new TraceCache(TraceCache.FORMAT_VERSION, sampleCache().modules(),
                List.of(new ModuleCode(0, new byte[4], List.of(new ModuleCode.Relocation(2, ModuleCode.Relocation.Kind.REL32, 0)), List.of())),
                sampleCache().forecast());
        assertThrows(IllegalArgumentException.class, () -> TraceCacheFile.write(wrong, file));
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void truncatedFilesAreRefusedNamingTheFile() throws IOException {
        Path file = dir.resolve("t.tcache");
        TraceCacheFile.write(sampleCache(), file);
        byte[] whole = Files.readAllBytes(file);
        for (int length : new int[] {0, 10, 63, 64, 100, whole.length - 1}) {
            Files.write(file, Arrays.copyOf(whole, length));
            TraceCacheFileException e = assertThrows(TraceCacheFileException.class, () -> TraceCacheFile.read(file));
            assertTrue(e.getMessage().startsWith("trace cache " + file + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("truncated"),
                    length + ": " + e.getMessage());
        }
    }

    @Test
    void aFlippedByteAnywhereIsRefused() throws IOException {
        Path file = dir.resolve("c.tcache");
        TraceCacheFile.write(sampleCache(), file);
        byte[] whole = Files.readAllBytes(file);
        ByteBuffer header = ByteBuffer.wrap(whole).order(ByteOrder.LITTLE_ENDIAN);
        int modelAt = (int) header.getLong(16);
        int imageAt = (int) header.getLong(32);
        int imageLength = (int) header.getLong(40);
        record Flip(int at, String says) {
        }
        for (Flip flip : List.of(new Flip(20, "header checksum"), new Flip(modelAt + 3, "model checksum"),
                new Flip(imageAt + imageLength - 1, "image checksum"), new Flip(2, "no TDBCACHE magic"))) {
            byte[] bad = whole.clone();
            bad[flip.at] ^= 0x10;
            Files.write(file, bad);
            TraceCacheFileException e = assertThrows(TraceCacheFileException.class, () -> TraceCacheFile.read(file));
            assertTrue(e.getMessage().contains(flip.says), e.getMessage());
            assertEquals(file, e.file());
        }
    }

    @Test
    void anotherFormatVersionIsRefused() throws IOException {
        // 1: a cache from before counting code (version 2); FORMAT_VERSION + 1: one from a newer tracedb
        for (int version : new int[] {1, TraceCache.FORMAT_VERSION + 1}) {
            Path file = dir.resolve("v" + version + ".tcache");
            TraceCacheFile.write(sampleCache(), file);
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(8, version);
            header.putInt(TraceCacheFile.HEADER_CRC_AT, TraceCacheFile.crc(bytes, 0, TraceCacheFile.HEADER_CRC_AT));
            Files.write(file, bytes);
            TraceCacheFileException e = assertThrows(TraceCacheFileException.class, () -> TraceCacheFile.read(file));
            assertEquals("trace cache " + file + ": format version " + version + ", this tracedb reads version " + TraceCache.FORMAT_VERSION
                    + " (recompile the cache)", e.getMessage());
        }
    }

    @Test
    void aMissingFileIsOneClearError() {
        Path file = dir.resolve("nothing-here.tcache");
        TraceCacheFileException e = assertThrows(TraceCacheFileException.class, () -> TraceCacheFile.read(file));
        assertEquals("trace cache " + file + ": no such file", e.getMessage());
    }

    @Test
    void theImageHasTheDocumentedLayout() throws IOException {
        Path file = dir.resolve("i.tcache");
        TraceCacheFile.write(sampleCache(), file);
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int at = (int) bytes.getLong(32);
        ByteBuffer image = bytes.slice(at, (int) bytes.getLong(40)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("TDBIMGv2", StandardCharsets.US_ASCII.decode(image.slice(0, 8)).toString());
        assertEquals(2, image.getInt(8), "modules");
        assertEquals(2, image.getInt(12), "traces");
        int m0 = CacheImage.HEADER_SIZE;
        assertEquals("/usr/bin/lua5.4", string(image, image.getInt(m0), image.getInt(m0 + 4)));
        assertEquals(8, image.getInt(m0 + 12), "build-id bytes");
        assertEquals((byte) 0xa1, image.get(image.getInt(m0 + 8)));
        assertEquals(sampleCache().modules().get(0).reliedOnHash(), image.getLong(m0 + 16));
        int ranges = image.getInt(m0 + 24);
        assertEquals(2, image.getInt(m0 + 28));
        assertEquals(0x2000, image.getLong(ranges + 16));
        assertEquals(7, image.getInt(ranges + 24));
        // both ModuleCodes of module 0 merged: 16 bytes, then the second blob at 16
        int code = image.getInt(m0 + 32);
        assertEquals(0, code % 16, "code is 16-aligned");
        assertEquals(21, image.getInt(m0 + 36));
        assertEquals((byte) 0xe9, image.get(code + 16));
        int relocations = image.getInt(m0 + 40);
        assertEquals(3, image.getInt(m0 + 44));
        assertEquals(8, image.getInt(relocations + 16));
        assertEquals(CacheImage.ABS64, image.getInt(relocations + 16 + 4));
        assertEquals(0x3000, image.getLong(relocations + 16 + 8));
        assertEquals(17, image.getInt(relocations + 32), "second blob's relocation shifted by 16");
        int entries = image.getInt(m0 + 48);
        assertEquals(2, image.getInt(m0 + 52));
        assertEquals(0x2000, image.getLong(entries + 24));
        assertEquals(16, image.getInt(entries + 24 + 8));
        assertEquals(7, image.getInt(entries + 24 + 12));
        assertEquals(8, image.getInt(entries + 24 + 16));
        // the counting variants merged alike: the second blob at 16, its counters after the first's
        int counting = image.getInt(m0 + 64);
        assertEquals(0, counting % 16, "counting code is 16-aligned");
        assertEquals(37, image.getInt(m0 + 68));
        assertEquals((byte) 0xf0, image.get(counting + 16));
        int countingRelocations = image.getInt(m0 + 72);
        assertEquals(5, image.getInt(m0 + 76));
        assertEquals(20, image.getInt(countingRelocations + 32), "second blob's counter use shifted by 16");
        assertEquals(CacheImage.COUNTER, image.getInt(countingRelocations + 32 + 4));
        assertEquals(2, image.getLong(countingRelocations + 32 + 8), "and its counter 1 renumbered after the first blob's");
        int countingEntries = image.getInt(m0 + 80);
        assertEquals(2, image.getInt(m0 + 84));
        assertEquals(16, image.getInt(countingEntries + 24 + 8));
        int counters = image.getInt(m0 + 88);
        assertEquals(3, image.getInt(m0 + 92));
        assertEquals(8, image.getInt(counters + 32), "trace");
        assertEquals(1 + ModuleCode.CounterKind.EXIT.ordinal(), image.getInt(counters + 32 + 4), "kind");
        assertEquals(0x2007, image.getLong(counters + 32 + 8), "target");
        int m1 = m0 + CacheImage.MODULE_SIZE;
        assertEquals(0, image.getInt(m1 + 12), "libc has no build-id here");
        assertEquals(0, image.getInt(m1 + 36), "and no code");
        assertEquals(0, image.getInt(m1 + 84), "nor counting code");
    }

    private static String string(ByteBuffer image, int at, int length) {
        return StandardCharsets.UTF_8.decode(image.slice(at, length)).toString();
    }
}
