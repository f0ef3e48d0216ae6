package dev.tracedb.recorder.inputs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The native recorder's syscall effects table (recorder/src/main/c/effects.c) against the Java
 * engine's {@link SyscallEffects}, entry by entry: for every syscall number and a set of argument
 * vectors and results (null pointers, a failed call, each known ioctl request, prctl option,
 * arch_prctl code, fcntl command, futex operation and clone flag, and unknown ones), the same
 * refusal phrase or the same written ranges. Calls whose ranges are read from the program's
 * memory (vectors, message headers, socket address lengths, clone3) are answered "memory" by both
 * here; the real-program parity tests ({@link NativeRecorderTest}) cover them.
 */
class EffectsTableTest {
    private static final long[] IOCTLS = {0x5401, 0x5402, 0x5403, 0x5404, 0x5413, 0x5414, 0x541b, 0x540f, 0x5421,
        0x5451, 0x5409, 0x80045430L};
    private static final long[] PRCTLS = {1, 2, 3, 4, 15, 16, 23, 30, 36, 38, 39, 42, 0x53564d41, 26, 22};
    private static final long[] ARCH_PRCTLS = {0x1001, 0x1002, 0x1003, 0x1004, 0x1011, 0x1021, 0x1022, 0x1023,
        0x3001, 0x2001};
    private static final long[] FCNTLS = {5, 36, 16, 1, 0};
    private static final long[] FUTEX_OPS = {5, 0x85, 0, 1};
    private static final long[] CLONE_FLAGS = {0x100000, 0x1000, 0x101000, 17};

    /** One call to ask both tables about: number, result, six arguments. */
    private record Call(long number, long result, long[] args) {
        String line() {
            StringBuilder s = new StringBuilder(number + " " + result);
            for (long a : args) {
                s.append(' ').append(Long.toUnsignedString(a));
            }
            return s.toString();
        }
    }

    private static List<Call> calls() {
        List<Call> calls = new ArrayList<>();
        // addresses below mmap_min_addr: never mapped, in the harness or anywhere
        long[] plain = {3, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000};
        long[] nulls = {0x1000, 0, 0x3000, 0, 0x5000, 0};
        for (long number = -1; number <= 460; number++) {
            for (long result : new long[] {100, 0, -4, -4095, -4096}) {
                calls.add(new Call(number, result, plain));
            }
            calls.add(new Call(number, 7, nulls));
            calls.add(new Call(number, 1, new long[6]));
        }
        calls.add(new Call(999, 0, plain));
        for (long request : IOCTLS) {
            calls.add(new Call(16, 0, new long[] {1, request, 0x3000, 0, 0, 0}));
        }
        for (long option : PRCTLS) {
            calls.add(new Call(157, 0, new long[] {option, 0x2000, 0, 0, 0, 0}));
        }
        for (long code : ARCH_PRCTLS) {
            calls.add(new Call(158, 0, new long[] {code, 0x2000, 0, 0, 0, 0}));
        }
        for (long command : FCNTLS) {
            calls.add(new Call(72, 0, new long[] {3, command, 0x3000, 0, 0, 0}));
        }
        for (long op : FUTEX_OPS) {
            calls.add(new Call(202, 1, new long[] {0x1000, op, 1, 0, 0x5000, 0}));
        }
        for (long flags : CLONE_FLAGS) {
            calls.add(new Call(56, 1234, new long[] {flags, 0, 0x3000, 0x4000, 0, 0}));
        }
        return calls;
    }

    /** What the Java table says, in the harness's words. */
    private static String java(Call call) {
        String refusal = SyscallEffects.refusal(call.number(), call.args());
        if (refusal != null) {
            return "refused " + refusal;
        }
        List<SyscallEffects.Written> ranges;
        try {
            ranges = SyscallEffects.written((int) call.number(), call.args(), call.result(), null);
        } catch (NullPointerException needsMemory) {
            return "memory";
        }
        StringBuilder s = new StringBuilder("wrote");
        for (SyscallEffects.Written w : ranges) {
            s.append(' ').append(Long.toUnsignedString(w.address())).append('+').append(w.length());
        }
        return s.toString();
    }

    @Test
    void theCTableIsTheJavaTableEntryByEntry() throws IOException, InterruptedException {
        Path harness = NativeRecorderTest.binary().resolveSibling("effects-dump");
        assertTrue(Files.isExecutable(harness), "effects harness not built: " + harness);
        List<Call> calls = calls();
        Process process = new ProcessBuilder(harness.toString()).redirectErrorStream(true).start();
        StringBuilder input = new StringBuilder();
        for (Call call : calls) {
            input.append(call.line()).append('\n');
        }
        process.getOutputStream().write(input.toString().getBytes(StandardCharsets.US_ASCII));
        process.getOutputStream().close();
        List<String> answers = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(calls.size(), answers.size(), "one answer per call");
        List<String> expected = new ArrayList<>();
        List<String> actual = new ArrayList<>();
        long memoryOnes = 0;
        for (int i = 0; i < calls.size(); i++) {
            expected.add(calls.get(i).line() + " -> " + java(calls.get(i)));
            actual.add(calls.get(i).line() + " -> " + answers.get(i));
            memoryOnes += answers.get(i).equals("memory") ? 1 : 0;
        }
        assertEquals(String.join("\n", expected), String.join("\n", actual));
        assertTrue(memoryOnes < calls.size() / 10, "most entries compared on their ranges: " + memoryOnes + " memory");
    }
}
