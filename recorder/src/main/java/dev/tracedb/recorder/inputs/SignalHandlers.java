package dev.tracedb.recorder.inputs;

import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteMemory;

import java.util.HashMap;
import java.util.Map;

/**
 * The handlers the program installed, as its {@code rt_sigaction} calls set them (exec starts with
 * none), to recognise one moment: a signal-delivery-stop that comes right after the kernel set up
 * another signal's handler frame, before any instruction of it ran. Two signals pending at once
 * (unblocked together, raised together) are delivered that way, one on top of the other; the
 * second is then at the same point of the program as the first, a system call's end.
 *
 * <p>That moment is recognised by the stack the kernel just built: pc at the first signal's
 * handler and, at the stack pointer, the return address it pushed, the handler's restorer. Code
 * cannot be there with that return address on top without having entered the handler, except a
 * handler that jumps back to its own first instruction at its top level, which compilers do not
 * emit (its first instruction is a prologue or {@code endbr64}).
 *
 * <p>Not thread-safe: one per recording, on the tracer thread.
 */
final class SignalHandlers {
    private static final long SIG_IGN = 1;
    /** {@code struct kernel_sigaction}: handler, flags, restorer, mask. */
    private static final int HANDLER = 0;
    private static final int RESTORER = 16;

    /** Signal number → {handler, restorer}, for signals with a handler. */
    private final Map<Integer, long[]> installed = new HashMap<>();

    /** After an {@code rt_sigaction(signo, act, …)} that succeeded: what {@code act} installed. */
    void installed(long[] args, RemoteMemory memory) {
        int signo = (int) args[0];
        if (args[1] == 0) {
            return; // a query
        }
        long handler = memory.readLong(RemoteAddress.of(args[1] + HANDLER));
        if (handler == 0 || handler == SIG_IGN) {
            installed.remove(signo);
        } else {
            installed.put(signo, new long[] {handler, memory.readLong(RemoteAddress.of(args[1] + RESTORER))});
        }
    }

    /** Whether {@code regs} stand at the first instruction of {@code signo}'s handler, its frame just built. */
    boolean justEntered(int signo, Registers regs, RemoteMemory memory) {
        long[] handler = installed.get(signo);
        if (handler == null || regs.rip().value() != handler[0]) {
            return false;
        }
        try {
            return memory.readLong(regs.rsp()) == handler[1];
        } catch (RemoteMemory.RemoteMemoryException unreadable) {
            return false;
        }
    }
}
