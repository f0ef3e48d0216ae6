package dev.tracedb.recorder;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import dev.tracedb.machine.linux.SyscallNumber;
import org.junit.jupiter.api.Test;

/**
 * {@link CodeWrites#staleTranslationCause} against this JVM's own mappings: libjvm.so's code stands
 * for code the run has entered, so a munmap or mremap touching it, or an mprotect taking its execute
 * permission, is named; one elsewhere, or one leaving it executable, is not.
 */
class CodeWritesUnmapTest {
    private final int pid = (int) ProcessHandle.current().pid();
    private final MemoryMapping jvmCode = ProcMaps.read(pid).stream()
            .filter(m -> m.isExecutable() && m.path().filter(p -> p.endsWith("/libjvm.so")).isPresent())
            .findFirst().orElseThrow();
    private final CodeWrites checks = new CodeWrites(pid, jvmCodeEntered(jvmCode));

    /** Entered code: {@code code}'s mapping only, and its file. */
    static CodeWrites.EnteredCode jvmCodeEntered(MemoryMapping code) {
        return new CodeWrites.EnteredCode() {
            @Override
            public boolean overlaps(long start, long end) {
                return Long.compareUnsigned(start, code.end()) < 0 && Long.compareUnsigned(code.start(), end) < 0;
            }

            @Override
            public boolean holdsCodeOf(long inode) {
                return inode == code.inode();
            }
        };
    }

    private static long[] args(long... values) {
        long[] all = new long[6];
        System.arraycopy(values, 0, all, 0, values.length);
        return all;
    }

    @Test
    void aMunmapOverEnteredCodeIsNamedWithTheMapping() {
        String cause = checks.staleTranslationCause(SyscallNumber.MUNMAP, args(jvmCode.start() + 4096, 4096));
        assertNotNull(cause);
        String reason = CodeWrites.recordingStopped(cause);
        assertTrue(reason.matches("the program unmaps code it ran \\(munmap 0x[0-9a-f]+-0x[0-9a-f]+ over"
                + " \\S+/libjvm\\.so r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\): a later mapping there would need fresh translations,"
                + " which this engine does not make; recording stopped before the call ran"), reason);
    }

    @Test
    void aMunmapElsewhereOrOfNothingIsNotNamed() {
        assertNull(checks.staleTranslationCause(SyscallNumber.MUNMAP, args(jvmCode.end() + (1L << 30), 4096)));
        assertNull(checks.staleTranslationCause(SyscallNumber.MUNMAP, args(jvmCode.start(), 0)));
        assertNull(checks.staleTranslationCause(SyscallNumber.MPROTECT, args(jvmCode.start(), 4096, 5)),
                "it stays executable");
    }

    @Test
    void anMremapOfEnteredCodeOrOntoItIsNamed() {
        String moved = checks.staleTranslationCause(SyscallNumber.MREMAP, args(jvmCode.start(), 4096, 8192, 1));
        assertTrue(moved != null && moved.startsWith("the program moves or resizes code it ran (mremap 0x"), moved);
        long elsewhere = jvmCode.end() + (1L << 30);
        String onto = checks.staleTranslationCause(SyscallNumber.MREMAP, args(elsewhere, 4096, 4096, 3, jvmCode.start()));
        assertTrue(onto != null && onto.startsWith("the program remaps over code it ran (mremap 0x"), onto);
        assertNull(checks.staleTranslationCause(SyscallNumber.MREMAP, args(elsewhere, 4096, 8192, 1)), "not code");
        assertNull(checks.staleTranslationCause(SyscallNumber.MREMAP, args(elsewhere, 4096, 4096, 1, jvmCode.start())),
                "no MREMAP_FIXED: the new address is a hint only");
    }

    @Test
    void anMprotectTakingExecuteFromEnteredCodeIsNamedAndOneLeavingItOrElsewhereIsNot() {
        String readOnly = checks.staleTranslationCause(SyscallNumber.MPROTECT, args(jvmCode.start() + 100, 10, 1));
        assertNotNull(readOnly);
        assertTrue(CodeWrites.recordingStopped(readOnly).matches("the program takes execute permission from code it ran"
                + " \\(mprotect 0x[0-9a-f]+-0x[0-9a-f]+ r-- over \\S+/libjvm\\.so r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\): this"
                + " engine's translations of it would still run where a plain run faults; recording stopped before the call ran"),
                readOnly);
        String none = checks.staleTranslationCause(SyscallNumber.PKEY_MPROTECT, args(jvmCode.start(), 4096, 0, 1));
        assertTrue(none != null && none.contains("(pkey_mprotect 0x") && none.contains(" --- over "), none);
        assertNull(checks.staleTranslationCause(SyscallNumber.MPROTECT, args(jvmCode.end() + (1L << 30), 4096, 1)),
                "not code");
        assertNull(checks.staleTranslationCause(SyscallNumber.MPROTECT, args(jvmCode.start(), 0, 1)), "no length");
    }
}
