package dev.tracedb.recorder.dbi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.machine.linux.LoadedModule;
import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.machine.linux.Tracer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SharedRegionTest extends NoStrayProcesses {
    private static final RegionLayout SMALL = new RegionLayout(3 * RegionLayout.PAGE, 16 * RegionLayout.PAGE);
    private static Tracer tracer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startTracer() {
        tracer = Tracer.start("shared-region-test");
    }

    @AfterAll
    static void stopTracer() {
        tracer.close();
    }

    @Test
    void fileIsPrivateWithAnUnguessableName() throws IOException {
        Path a = SharedRegion.createFile(1);
        Path b = SharedRegion.createFile(1);
        try {
            assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(a));
            assertNotEquals(a, b);
            String random = a.getFileName().toString().substring("tracedb-1-".length());
            assertTrue(random.matches("[0-9a-f]{32}"), random);
        } finally {
            Files.delete(a);
            Files.delete(b);
        }
    }

    @Test
    void bothSidesSeeTheSameBytesAndTheFileIsGone() throws IOException {
        Path out = tmp.resolve("out");
        try (Tracee t = Tracee.launch(tracer, TestPrograms.options("loops-static", out, "3"))) {
            LoadedModule exe = TestPrograms.executable(t.pid());
            var before = t.registers();
            try (SharedRegion region = ViewPlacement.createNear(t, exe.base(), SMALL)) {
                assertEquals(before, t.registers(), "registers restored after the remote syscalls");
                long base = region.base().value();
                assertTrue(Math.abs(base - exe.base()) < (1L << 31) && Math.abs(base + SMALL.totalBytes() - exe.end()) < (1L << 31));
                assertFalse(existsInDevShm(region.fileName()), "unlinked once mapped");

                List<MemoryMapping> maps = ProcMaps.read(t.pid());
                MemoryMapping first = mappingAt(maps, base);
                assertEquals("rwxs", first.permissions());
                assertTrue(first.path().orElseThrow().endsWith(region.fileName() + " (deleted)"), first.toString());
                assertEquals("---s", mappingAt(maps, base + SMALL.guardOffset()).permissions());
                assertEquals("---s", mappingAt(maps, base + SMALL.midGuardOffset()).permissions());
                assertEquals("rwxs", mappingAt(maps, base + SMALL.midGuardOffset() - RegionLayout.PAGE).permissions());
                assertEquals("rwxs", mappingAt(maps, base + SMALL.midGuardOffset() + RegionLayout.PAGE).permissions());

                int code = SMALL.codeOffset();
                region.buffer().putLong(code, 0x1122334455667788L);
                assertEquals(0x1122334455667788L, t.memory().readLong(RemoteAddress.of(base + code)));
                t.memory().write(RemoteAddress.of(base + code + 8), new byte[] {1, 2, 3});
                byte[] seen = new byte[3];
                region.buffer().get(code + 8, seen);
                assertArrayEquals(new byte[] {1, 2, 3}, seen);
            }
            assertEquals(new StopEvent.EventStop(dev.tracedb.machine.linux.PtraceEvent.EXIT), t.cont());
            assertEquals(new StopEvent.Exited(0), t.cont());
        }
        assertTrue(Files.readString(out).endsWith("EXIT-SUCCESS\n"));
    }

    @Test
    void aSecondViewShowsTheSameBytesAndHasItsOwnGuardPage() throws IOException {
        Path out = tmp.resolve("out");
        try (Tracee t = Tracee.launch(tracer, TestPrograms.options("loops-static", out, "3"))) {
            LoadedModule exe = TestPrograms.executable(t.pid());
            var before = t.registers();
            try (SharedRegion region = ViewPlacement.createNear(t, exe.base(), SMALL)) {
                CacheView second = region.addView(t, 0x200000000000L);
                assertEquals(before, t.registers());
                assertEquals(1, second.index());
                assertEquals(second, region.viewOf(0x200000000000L + 5));
                List<MemoryMapping> maps = ProcMaps.read(t.pid());
                assertEquals("rwxs", mappingAt(maps, second.base()).permissions());
                assertEquals("---s", mappingAt(maps, second.base() + SMALL.guardOffset()).permissions());
                assertEquals("---s", mappingAt(maps, second.base() + SMALL.midGuardOffset()).permissions());
                int code = SMALL.codeOffset();
                region.buffer().putLong(code, 0x0102030405060708L);
                assertEquals(0x0102030405060708L, t.memory().readLong(RemoteAddress.of(second.base() + code)));
                assertEquals(code, region.offsetOf(second.at(code)));
                UnsupportedProgramException taken = org.junit.jupiter.api.Assertions.assertThrows(
                        UnsupportedProgramException.class, () -> region.addView(t, exe.base()));
                assertTrue(taken.getMessage().contains("taken"), taken.getMessage());
            }
            assertEquals(new StopEvent.EventStop(dev.tracedb.machine.linux.PtraceEvent.EXIT), t.cont());
            assertEquals(new StopEvent.Exited(0), t.cont());
        }
        assertTrue(Files.readString(out).endsWith("EXIT-SUCCESS\n"));
    }

    @Test
    void placementPrefersTheNearestFreeRangeAndKeepsHeapAndStackRoom() {
        long size = 64L << 20;
        ViewPlacement.Extent pie = new ViewPlacement.Extent(0x555555554000L, 0x555555559000L);
        List<ViewPlacement.Extent> heap = List.of(new ViewPlacement.Extent(pie.end(), pie.end() + (1L << 30)));
        long below = ViewPlacement.placement(List.of(), heap, pie, size);
        assertTrue(below + size <= pie.start() && pie.start() - (below + size) < 65536 && below % 65536 == 0,
                Long.toHexString(below));

        ViewPlacement.Extent nonPie = new ViewPlacement.Extent(0x400000L, 0x4c0000L);
        List<ViewPlacement.Extent> nonPieHeap = List.of(new ViewPlacement.Extent(nonPie.end(), nonPie.end() + (1L << 30)));
        long above = ViewPlacement.placement(List.of(), nonPieHeap, nonPie, size);
        assertTrue(above >= nonPie.end() + (1L << 30) && ViewPlacement.reaches(above, above + size, nonPie),
                Long.toHexString(above));

        MemoryMapping blocker = new MemoryMapping(0x100000L, 0x7ffffffff000L, "r--p", 0, "0:0", 0, java.util.Optional.empty());
        assertEquals(0, ViewPlacement.placement(List.of(blocker), nonPieHeap, nonPie, size), "no free range at all");
    }

    private static MemoryMapping mappingAt(List<MemoryMapping> maps, long address) {
        return maps.stream().filter(m -> m.contains(address)).findFirst().orElseThrow();
    }

    private static boolean existsInDevShm(String name) throws IOException {
        try (Stream<Path> files = Files.list(Path.of("/dev/shm"))) {
            return files.anyMatch(f -> f.getFileName().toString().equals(name));
        }
    }
}
