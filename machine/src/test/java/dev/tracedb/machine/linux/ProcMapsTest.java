package dev.tracedb.machine.linux;

import dev.tracedb.machine.TestPrograms;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class ProcMapsTest {
    private static final String SAMPLE = """
            55d0c4a00000-55d0c4a01000 r--p 00000000 08:01 1234                       /opt/my prog
            55d0c4a01000-55d0c4a02000 r-xp 00001000 08:01 1234                       /opt/my prog
            55d0c4a03000-55d0c4a05000 rw-p 00002000 08:01 1234                       /opt/my prog
            55d0c5000000-55d0c5021000 rw-p 00000000 00:00 0                          [heap]
            7f0000000000-7f0000001000 rw-s 00000000 00:05 77                         /dev/shm/tracedb-x (deleted)
            7f0000010000-7f0000020000 ---p 00000000 00:00 0
            7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
            ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
            """;

    @Test
    void parsesEveryField() {
        List<MemoryMapping> mappings = ProcMaps.parse(SAMPLE);
        assertEquals(8, mappings.size());
        MemoryMapping text = mappings.get(1);
        assertEquals(0x55d0c4a01000L, text.start());
        assertEquals(0x55d0c4a02000L, text.end());
        assertEquals(0x1000, text.size());
        assertEquals("r-xp", text.permissions());
        assertTrue(text.isExecutable() && text.isReadable() && !text.isWritable() && !text.isShared());
        assertEquals(0x1000, text.offset());
        assertEquals("08:01", text.device());
        assertEquals(1234, text.inode());
        assertEquals(Optional.of("/opt/my prog"), text.path());
        assertEquals(Optional.empty(), mappings.get(5).path());
        assertEquals(Optional.of("/dev/shm/tracedb-x (deleted)"), mappings.get(4).path());
        assertTrue(mappings.get(4).isShared());
        assertEquals(0xffffffffff600000L, mappings.get(7).start());
        assertTrue(mappings.get(7).contains(0xffffffffff600800L));
        assertFalse(mappings.get(3).isFileBacked());
    }

    @Test
    void groupsAFileMappedAtSeveralSegmentsIntoOneModule() {
        List<LoadedModule> modules = LoadedModule.group(ProcMaps.parse(SAMPLE));
        assertEquals(List.of("/opt/my prog", "/dev/shm/tracedb-x (deleted)"),
                modules.stream().map(LoadedModule::path).toList());
        LoadedModule program = modules.get(0);
        assertEquals(0x55d0c4a00000L, program.base());
        assertEquals(0x5000, program.size());
        assertEquals(3, program.mappings().size());
        assertEquals(1, program.executableMappings().size());
        assertTrue(program.contains(0x55d0c4a01800L));
        assertFalse(program.contains(0x55d0c4a02800L), "the gap between segments is not mapped");
    }

    @Test
    void baseIsLowestStartMinusItsOffset() {
        // a module whose first mapped segment is not at file offset 0
        List<LoadedModule> modules = LoadedModule.group(ProcMaps.parse("""
                7f0000002000-7f0000003000 r-xp 00002000 08:01 9 /lib/x.so
                7f0000004000-7f0000005000 rw-p 00003000 08:01 9 /lib/x.so
                """));
        assertEquals(0x7f0000000000L, modules.get(0).base());
    }

    @Test
    void malformedLineIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProcMaps.parse("55d0c4a00000-55d0c4a01000 r--p\n"));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }

    @Test
    void ownProcessHasTheJvmLibrary() {
        List<LoadedModule> modules = LoadedModule.group(ProcMaps.readSelf());
        LoadedModule jvm = modules.stream().filter(m -> m.path().endsWith("/libjvm.so")).findFirst().orElseThrow();
        assertFalse(jvm.executableMappings().isEmpty());
        assertTrue(Files.exists(Path.of(jvm.path())));
        // libjvm.so is a shared library: its first segment is mapped from offset 0 at the base
        assertEquals(jvm.base(), jvm.mappings().get(0).start());
    }

    @Test
    void childProcessHasExecutableLoaderAndLibc() throws Exception {
        Path sleep = Path.of("/bin/sleep");
        Process child = new ProcessBuilder(sleep.toString(), "30").start();
        try {
            List<LoadedModule> modules = awaitModules(child.pid(), "libc.so");
            String executable = sleep.toRealPath().toString();
            assertTrue(modules.stream().anyMatch(m -> m.path().equals(executable)), modules.toString());
            assertTrue(modules.stream().anyMatch(m -> m.path().contains("/ld-linux-x86-64.so")), modules.toString());
            LoadedModule libc = modules.stream().filter(m -> m.path().contains("/libc.so")).findFirst().orElseThrow();
            assertTrue(libc.mappings().size() >= 3, "libc is mapped as several segments: " + libc);
            assertEquals(Long.toHexString(libc.base()), Long.toHexString(libc.mappings().get(0).start()));
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void compiledTestProgramIsItsOwnModule() throws Exception {
        Path loops = TestPrograms.path("loops");
        // enough rounds to run for a while; killed below
        Process child = new ProcessBuilder(loops.toString(), "100000000").start();
        try {
            List<LoadedModule> modules = awaitModules(child.pid(), "libc.so");
            String executable = loops.toRealPath().toString();
            LoadedModule program = modules.stream().filter(m -> m.path().equals(executable)).findFirst().orElseThrow();
            assertEquals(0, program.base() & 0xfff, "a PIE is loaded at a page-aligned base");
            assertEquals(1, program.executableMappings().size());
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        }
    }

    /** Waits until the dynamic loader has mapped {@code library} into the child (it starts with only ld.so). */
    private static List<LoadedModule> awaitModules(long pid, String library) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<LoadedModule> modules = LoadedModule.group(ProcMaps.read(pid));
            if (modules.stream().anyMatch(m -> m.path().contains(library)) || System.nanoTime() > deadline) {
                return modules;
            }
            Thread.sleep(10);
        }
    }
}
