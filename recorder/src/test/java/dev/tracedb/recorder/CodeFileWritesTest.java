package dev.tracedb.recorder;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import dev.tracedb.machine.linux.SyscallNumber;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CodeWrites#stepAsideCause} for writes to a file, against this JVM's own process:
 * libjvm.so's code stands for code the run has entered, and this test opens libjvm.so, so each call
 * of the write family to that descriptor is named (with the call, the descriptor and the mapping),
 * and one to another file, of nothing, or to a descriptor not open, is not.
 */
class CodeFileWritesTest {
    private final int pid = (int) ProcessHandle.current().pid();
    private final MemoryMapping jvmCode = ProcMaps.read(pid).stream()
            .filter(m -> m.isExecutable() && m.path().filter(p -> p.endsWith("/libjvm.so")).isPresent())
            .findFirst().orElseThrow();
    private final CodeWrites checks = new CodeWrites(pid, CodeWritesUnmapTest.jvmCodeEntered(jvmCode));

    @TempDir
    Path tmp;

    private static long[] args(long... values) {
        long[] all = new long[6];
        System.arraycopy(values, 0, all, 0, values.length);
        return all;
    }

    /** The descriptor number this process has open on {@code file} (opened last, if several). */
    private long descriptorOf(Path file) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file);
                } catch (IOException e) {
                    return false; // closed meanwhile (the listing's own descriptor)
                }
            }).mapToLong(fd -> Long.parseLong(fd.getFileName().toString())).max().orElseThrow();
        }
    }

    @Test
    void everyCallOfTheWriteFamilyToTheFileOfEnteredCodeIsNamed() throws IOException {
        Path library = Path.of(jvmCode.path().orElseThrow());
        try (RandomAccessFile open = new RandomAccessFile(library.toFile(), "r")) {
            long fd = descriptorOf(library);
            for (int number : new int[] {SyscallNumber.WRITE, SyscallNumber.PWRITE64, SyscallNumber.WRITEV,
                    SyscallNumber.PWRITEV, SyscallNumber.PWRITEV2}) {
                String cause = checks.stepAsideCause(number, args(fd, 0x1000, 4, 1));
                assertTrue(cause != null && cause.matches("the program writes to the file of code it ran \\((p?writev?2?|pwrite64)"
                        + " to fd " + fd + ", \\S+/libjvm\\.so r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\): self-modifying code is not recorded"),
                        number + ": " + cause);
            }
            assertTrue(checks.stepAsideCause(SyscallNumber.PWRITE64, args(fd, 0x1000, 4, 1)).contains("(pwrite64 to fd "));
            assertNull(checks.stepAsideCause(SyscallNumber.WRITE, args(fd, 0x1000, 0)), "nothing written");
        }
    }

    @Test
    void aCopyIntoTheFileOfEnteredCodeIsNamedAndACopyOutOfItIsNot() throws IOException {
        Path library = Path.of(jvmCode.path().orElseThrow());
        try (RandomAccessFile open = new RandomAccessFile(library.toFile(), "r")) {
            long fd = descriptorOf(library);
            // sendfile(out, in, offset, count); splice and copy_file_range(in, off_in, out, off_out, length, flags)
            assertTrue(checks.stepAsideCause(SyscallNumber.SENDFILE, args(fd, 0, 0, 4)).contains("(sendfile to fd " + fd + ", "));
            assertTrue(checks.stepAsideCause(SyscallNumber.SPLICE, args(0, 0, fd, 0, 4)).contains("(splice to fd " + fd + ", "));
            assertTrue(checks.stepAsideCause(SyscallNumber.COPY_FILE_RANGE, args(0, 0, fd, 0, 4))
                    .contains("(copy_file_range to fd " + fd + ", "));
            assertNull(checks.stepAsideCause(SyscallNumber.SENDFILE, args(1, fd, 0, 4)), "read from it");
            assertNull(checks.stepAsideCause(SyscallNumber.COPY_FILE_RANGE, args(fd, 0, 1, 0, 4)), "read from it");
            assertNull(checks.stepAsideCause(SyscallNumber.SPLICE, args(0, 0, fd, 0, 0)), "nothing moved");
            // The kernel reads a descriptor as 32 bits: high bits above it do not hide it.
            assertTrue(checks.stepAsideCause(SyscallNumber.WRITE, args((1L << 32) | fd, 0x1000, 4)) != null, "fd in 32 bits");
        }
    }

    @Test
    void aWriteToTheProcessesOwnMemoryFileIsNamed() throws IOException {
        Path memory = Path.of("/proc", Integer.toString(pid), "mem");
        try (RandomAccessFile open = new RandomAccessFile(Path.of("/proc/self/mem").toFile(), "r")) {
            long fd = descriptorOf(memory);
            String cause = checks.stepAsideCause(SyscallNumber.PWRITE64, args(fd, 0x1000, 4, 0x400000));
            assertTrue(("the program writes to its own memory (pwrite64 to fd " + fd + ", " + memory
                    + "): self-modifying code is not recorded").equals(cause), cause);
        }
        try (RandomAccessFile open = new RandomAccessFile(Path.of("/proc/self/status").toFile(), "r")) {
            long fd = descriptorOf(Path.of("/proc", Integer.toString(pid), "status"));
            assertNull(checks.stepAsideCause(SyscallNumber.WRITE, args(fd, 0x1000, 4)), "another file on procfs");
        }
    }

    @Test
    void aWriteToAnotherFileOrAPipeOrNoDescriptorIsNotNamed() throws IOException {
        File other = tmp.resolve("data").toFile();
        try (RandomAccessFile open = new RandomAccessFile(other, "rw")) {
            long fd = descriptorOf(other.toPath());
            assertNull(checks.stepAsideCause(SyscallNumber.WRITE, args(fd, 0x1000, 4)), "another file");
        }
        assertNull(checks.stepAsideCause(SyscallNumber.WRITE, args(1 << 20, 0x1000, 4)), "not open");
        assertNull(checks.stepAsideCause(SyscallNumber.WRITE, args(-1, 0x1000, 4)), "not a descriptor");
        assertNull(checks.stepAsideCause(SyscallNumber.READ, args(0, 0x1000, 4)), "not a write");
    }
}
