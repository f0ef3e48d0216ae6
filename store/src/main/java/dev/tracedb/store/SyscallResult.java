package dev.tracedb.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * A system call and its result: the nondeterministic input a replay needs.
 *
 * @param blockEvent the number of block events executed before the call, i.e. its position in the
 *                   execution stream (stamped by the writer)
 * @param number     the syscall number ({@code rax} on entry)
 * @param args       the six argument registers
 * @param result     the return value ({@code rax} on exit; negative errno on failure)
 */
public record SyscallResult(long blockEvent, int number, long[] args, long result) {
    public SyscallResult {
        if (args.length != 6) throw new IllegalArgumentException("a syscall has 6 argument registers, got " + args.length);
        args = args.clone();
    }

    @Override
    public long[] args() {
        return args.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SyscallResult s && blockEvent == s.blockEvent && number == s.number
                && Arrays.equals(args, s.args) && result == s.result;
    }

    @Override
    public int hashCode() {
        return Objects.hash(blockEvent, number, Arrays.hashCode(args), result);
    }

    @Override
    public String toString() {
        return "SyscallResult[@" + blockEvent + " nr=" + number + " args=" + Arrays.toString(args) + " -> " + result + "]";
    }
}
