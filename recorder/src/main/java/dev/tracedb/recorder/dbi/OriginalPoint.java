package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import java.util.HashMap;
import java.util.Map;

/**
 * Brings a tracee stopped anywhere in the code cache to a place the original program has an exact
 * equivalent for, and computes the registers it would have there natively: what a detach (or any
 * hand-over to native execution) needs.
 *
 * <p>Exact places, all before the instruction at rip has run: a block's entry (before its
 * prologue: the app is at the block's original start); a direct exit's stub (at the original
 * target); the vet stub before a syscall (at the original syscall); a syscall's result stub (after
 * it; the result is logged as usual, unless the call was interrupted and would be restarted: then
 * the app is put back on the syscall, which runs again natively); an indirect-branch miss stub (at
 * the target in rax, with the registers the lookup spilled). Anywhere else (inside a prologue, the
 * copied body, the lookup routine) the tracee is single-stepped until it reaches one; a block
 * reaches one within its few instructions, except that a {@code rep} string instruction steps once
 * per iteration. A ring that fills meanwhile is drained as in the recording; any other signal is
 * kept to be delivered natively, once the tracee stands in the original program.
 *
 * <p>Not thread-safe: tracer thread only, tracee stopped.
 */
final class OriginalPoint {
    /**
     * Where the tracee stands natively, and a signal to deliver there (or null) with its details;
     * or, if the tracee ended on the way, null registers and its {@code end}.
     */
    record Place(Registers registers, Signal pendingSignal, SignalInfo pendingInfo, StopEvent end) {}

    private static final long ERESTARTSYS = -512;
    private static final long ERESTARTNOINTR = -513;
    private static final long ERESTARTNOHAND = -514;
    private static final long ERESTART_RESTARTBLOCK = -516;
    private static final long SYS_RESTART_SYSCALL = 219;

    private final Tracee tracee;
    private final SharedRegion region;
    private final MissHandler misses;
    private final Ring ring;
    private final EventSink sink;
    /** Block entries (cache address) to their blocks. */
    private final Map<Long, Fragment> entries = new HashMap<>();

    OriginalPoint(Tracee tracee, SharedRegion region, MissHandler misses, Ring ring, EventSink sink,
                  Iterable<Fragment> blocks) {
        this.tracee = tracee;
        this.region = region;
        this.misses = misses;
        this.ring = ring;
        this.sink = sink;
        for (Fragment block : blocks) {
            entries.put(block.entry().value(), block);
        }
    }

    /**
     * Steps the stopped tracee to an exact place and returns the native registers there (not yet
     * written to the tracee). {@code pending}: a signal the tracee was stopped for that must reach
     * the program natively, or null.
     */
    Place reach(Signal pending, SignalInfo pendingInfo) {
        Signal held = pending;
        SignalInfo heldInfo = pendingInfo;
        while (true) {
            Registers regs = tracee.registers();
            Registers exact = exactAt(regs, held != null);
            if (exact != null) {
                return new Place(exact, held, heldInfo, null);
            }
            StopEvent stop = tracee.step();
            if (stop.isTerminal()) {
                return new Place(null, null, null, stop);
            }
            if (stop instanceof StopEvent.EventStop) {
                // Its exit event (killed from outside meanwhile): the ring is still readable, and last read here.
                ring.drain(sink);
            }
            if (stop instanceof StopEvent.SignalStop s && !s.signal().equals(Signal.SIGTRAP)) {
                SignalInfo info = tracee.signalInfo();
                Registers now = tracee.registers();
                if (s.signal().equals(Signal.SIGSEGV) && info.faultAddress() != null
                        && info.faultAddress().value() == ring.guard().value()) {
                    ring.onOverflow(sink);
                    tracee.setRegisters(now.set(Register.RAX, ring.start().value()));
                } else if (held == null) {
                    held = s.signal();
                    heldInfo = info;
                }
            }
        }
    }

    /** The native registers if the tracee stands at an exact place, else null. */
    private Registers exactAt(Registers regs, boolean signalPending) {
        long rip = regs.rip().value();
        if (!region.contains(rip)) {
            return regs;
        }
        Fragment block = entries.get(rip);
        if (block != null) {
            return regs.copy().setRip(RemoteAddress.of(block.start().value()));
        }
        ExitStub stub = misses.stubBefore(regs.rip());
        if (stub == null) {
            return null;
        }
        return switch (stub.kind()) {
            case DIRECT -> regs.copy().setRip(RemoteAddress.of(stub.target().value()));
            case SYSCALL -> {
                // int3, syscall (2 bytes), then the result stub, which knows the original next address.
                ExitStub result = misses.stubBefore(regs.rip().plus(3));
                yield regs.copy().setRip(RemoteAddress.of(result.target().value() - 2));
            }
            case SYSCALL_RESULT -> afterSyscall(stub, regs, signalPending);
            case INDIRECT_MISS -> misses.beforeIndirectMiss(regs);
            case REISSUE -> null;
        };
    }

    /**
     * At a syscall's result stub: the call returned (log it, go on after it) or was interrupted
     * with a restart code. Then, with no signal to deliver, put the app back on the syscall with
     * the number to issue again, as the kernel would on its way back (orig_rax -1 so it does not
     * rewind a second time); with a signal to deliver, leave rax and orig_rax to the kernel, which
     * restarts or fails the call with EINTR by the handler's flags when it delivers the signal.
     */
    private Registers afterSyscall(ExitStub stub, Registers regs, boolean signalPending) {
        long next = stub.target().value();
        long rax = regs.rax();
        long number = regs.get(Register.ORIG_RAX);
        boolean restart = number >= 0
                && (rax == ERESTARTSYS || rax == ERESTARTNOINTR || rax == ERESTARTNOHAND || rax == ERESTART_RESTARTBLOCK);
        if (restart && signalPending) {
            misses.forgetSyscall();
            return regs.copy().setRip(RemoteAddress.of(next)).set(Register.RCX, next);
        }
        if (restart) {
            misses.forgetSyscall();
            return regs.copy().setRip(RemoteAddress.of(next - 2))
                    .set(Register.RAX, rax == ERESTART_RESTARTBLOCK ? SYS_RESTART_SYSCALL : number)
                    .set(Register.ORIG_RAX, -1);
        }
        misses.syscallReturned(rax);
        return regs.copy().setRip(RemoteAddress.of(next)).set(Register.RCX, next);
    }
}
