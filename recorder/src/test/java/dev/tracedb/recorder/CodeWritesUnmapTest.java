package dev.tracedb.recorder;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import dev.tracedb.machine.linux.SyscallNumber;
import org.junit.jupiter.api.Test;

/**
 * {@link CodeWrites#unmapReason} against this JVM's own mappings: libjvm.so's code stands for code
 * the run has entered, so a munmap or mremap touching it is named, one elsewhere is not.
 */
class CodeWritesUnmapTest {
    private final int pid = (int) ProcessHandle.current().pid();
    private final MemoryMapping jvmCode = ProcMaps.read(pid).stream()
            .filter(m -> m.isExecutable() && m.path().filter(p -> p.endsWith("/libjvm.so")).isPresent())
            .findFirst().orElseThrow();
    /** Entered code: libjvm.so's executable mapping only. */
    private final CodeWrites checks = new CodeWrites(pid, (start, end) ->
            Long.compareUnsigned(start, jvmCode.end()) < 0 && Long.compareUnsigned(jvmCode.start(), end) < 0);

    private static long[] args(long... values) {
        long[] all = new long[6];
        System.arraycopy(values, 0, all, 0, values.length);
        return all;
    }

    @Test
    void aMunmapOverEnteredCodeIsNamedWithTheMapping() {
        String reason = checks.unmapReason(SyscallNumber.MUNMAP, args(jvmCode.start() + 4096, 4096));
        assertTrue(reason != null && reason.matches("the program unmaps code it ran \\(munmap 0x[0-9a-f]+-0x[0-9a-f]+ over"
                + " \\S+/libjvm\\.so r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\): a later mapping there would need fresh translations,"
                + " which this engine does not make; recording stopped before the call ran"), reason);
    }

    @Test
    void aMunmapElsewhereOrOfNothingIsNotNamed() {
        assertNull(checks.unmapReason(SyscallNumber.MUNMAP, args(jvmCode.end() + (1L << 30), 4096)));
        assertNull(checks.unmapReason(SyscallNumber.MUNMAP, args(jvmCode.start(), 0)));
        assertNull(checks.unmapReason(SyscallNumber.MPROTECT, args(jvmCode.start(), 4096, 1)), "not an unmap");
    }

    @Test
    void anMremapOfEnteredCodeOrOntoItIsNamed() {
        String moved = checks.unmapReason(SyscallNumber.MREMAP, args(jvmCode.start(), 4096, 8192, 1));
        assertTrue(moved != null && moved.startsWith("the program moves or resizes code it ran (mremap 0x"), moved);
        long elsewhere = jvmCode.end() + (1L << 30);
        String onto = checks.unmapReason(SyscallNumber.MREMAP, args(elsewhere, 4096, 4096, 3, jvmCode.start()));
        assertTrue(onto != null && onto.startsWith("the program remaps over code it ran (mremap 0x"), onto);
        assertNull(checks.unmapReason(SyscallNumber.MREMAP, args(elsewhere, 4096, 8192, 1)), "not code");
        assertNull(checks.unmapReason(SyscallNumber.MREMAP, args(elsewhere, 4096, 4096, 1, jvmCode.start())),
                "no MREMAP_FIXED: the new address is a hint only");
    }
}
