package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.recorder.ChildProcesses;
import dev.tracedb.recorder.CodeWrites;
import dev.tracedb.recorder.RecordingStoppedException;
import dev.tracedb.recorder.SteppedAside;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Answers the tracee's requests (DynamoRIO's dispatch): the tracee stopped on one of our
 * {@code int3} stubs, rip one past it; this class finds the stub, does what it asks and sets the
 * registers so that resuming continues the program in the cache.
 *
 * <p>Two handshakes ({@link MissHandshake}): a ptrace stop (SIGTRAP, then GETREGS/SETREGS and
 * PTRACE_CONT; the int3 changes nothing but rip), handled by {@link #handle}; or a mailbox
 * request through {@link FutexHandshake}, answered by {@link #answerRequest} while the tracee waits,
 * which falls back to a ptrace stop (the {@link ExitStub.Kind#REISSUE} trap) when serving needs the
 * tracee stopped, so that every refusal and step aside is met at a stop under either handshake.
 *
 * <p>System calls the engine cannot follow are stopped here, before they run: a thread
 * ({@code CLONE_THREAD}: it would run our code cache unrecorded, writing into our ring; see
 * {@link ChildProcesses}) or one that lets the program write its own code or unmaps code it ran
 * ({@link CodeWrites}) is
 * {@link AsideBeforeSyscall}, for the session to step aside; a
 * {@code CLONE_UNTRACED} child is refused. A child process is let go natively by {@link DbiSession} at its birth
 * stop; exec runs and, if it succeeds, ends the recording there. {@code rt_sigreturn} is handed to
 * {@link SignalDelivery#sigreturn}, which points the frame's saved rip into the cache. exit and
 * exit_group are logged when the process exits ({@link #exited}), not at their vetting trap, so
 * that a signal arriving between the trap and the syscall can still take the block's event back
 * ({@link OriginalPoint}); for the same reason the vetting trap does not drain the ring.
 *
 * <p>Not thread-safe: tracer thread only.
 */
final class MissHandler {
    private static final int SYS_RT_SIGRETURN = 15;
    private static final int SYS_EXIT = 60;
    private static final int SYS_EXIT_GROUP = 231;

    /** Counts of requests by kind, for the engine's statistics. */
    private final long[] counts = new long[ExitStub.Kind.values().length];
    /** Distinct targets of indirect-branch lookups that missed: more misses than these are evictions. */
    private final Set<Long> indirectTargets = new HashSet<>();
    /** By the trap's offset in the region: a stub traps at the same offset in whichever view runs it. */
    private final Map<Integer, ExitStub> stubsByTrap = new HashMap<>();
    /** Direct exits not linked yet, by their target: one translation links them all. */
    private final Map<Long, List<ExitStub>> waiting = new HashMap<>();
    private final Tracee tracee;
    private final SharedRegion region;
    private final ByteBuffer control;
    private final Linker linker;
    private final IndirectBranchTable ibl;
    private final Translate translate;
    /** The futex handshake, or null when misses are int3 stops. */
    private final FutexHandshake futex;
    /** Futex handshake: a request deferred to the reissue trap, to be served there. */
    private ExitStub reissued;
    private long requests;

    /** Translates a target and returns its entry; null if that needs the tracee stopped and it is not. */
    interface Translate {
        CacheAddress entry(AppAddress target, boolean traceeStopped);
    }

    /** Serves an {@code rt_sigreturn} at its vetting trap (see {@link SignalDelivery#sigreturn}). */
    interface Sigreturn {
        void serve(Registers regs, long[] args);
    }

    private Sigreturn sigreturn = (regs, args) -> {
        throw new UnsupportedProgramException("the program makes system call " + SYS_RT_SIGRETURN
                + ": rt_sigreturn is not supported by the DBI engine here; recording stopped before it ran");
    };
    private final EventSink sink;
    /** Whether a syscall lets the program write its own code: the session steps aside before it runs. */
    private final CodeWrites codeWrites;
    private SyscallBoundary boundary = SyscallBoundary.NATIVE;
    private int pendingSyscall = -1;
    private long[] pendingArgs;
    /** The clone flags of the pending syscall if it creates a process (see {@link ChildProcesses#cloneFlags}). */
    private long pendingCloneFlags;
    /** The program the pending exec names, read before it runs (its memory is gone after). */
    private String pendingExecPath;

    MissHandler(Tracee tracee, SharedRegion region, Linker linker, IndirectBranchTable ibl, FutexHandshake futex,
                Translate translate, EventSink sink, CodeWrites codeWrites) {
        this.tracee = tracee;
        this.codeWrites = codeWrites;
        this.futex = futex;
        this.region = region;
        this.control = region.buffer();
        this.linker = linker;
        this.ibl = ibl;
        this.translate = translate;
        this.sink = sink;
    }

    /** Where syscalls get their results (default: the kernel, {@link SyscallBoundary#NATIVE}). */
    void boundary(SyscallBoundary boundary) {
        this.boundary = boundary;
    }

    /** Who serves rt_sigreturn; until set, it is refused. */
    void onSigreturn(Sigreturn serve) {
        this.sigreturn = serve;
    }

    void register(ExitStub stub) {
        stubsByTrap.put(region.offsetOf(stub.trap()), stub);
        if (stub.kind() == ExitStub.Kind.DIRECT) {
            waiting.computeIfAbsent(stub.target().value(), t -> new ArrayList<>()).add(stub);
        }
    }

    /** The direct exits still aimed at their stubs for {@code target}, forgotten here: the caller links them. */
    List<ExitStub> takeWaiting(AppAddress target) {
        List<ExitStub> stubs = waiting.remove(target.value());
        return stubs == null ? List.of() : stubs;
    }

    /** The stub whose int3 stopped the tracee with this rip, or null if the trap is not ours. */
    ExitStub stubAt(RemoteAddress rip) {
        long trap = rip.value() - 1;
        return region.contains(trap) ? stubsByTrap.get(region.offsetOf(CacheAddress.of(trap))) : null;
    }

    /**
     * The app's registers at an indirect-miss stub, before its int3: the lookup routine spilled
     * rax, rcx and rdx, and rax holds the original target.
     */
    Registers beforeIndirectMiss(Registers regs) {
        long target = regs.rax();
        return regs.copy().set(Register.RAX, control.getLong(RegionLayout.SPILL_IBL_RAX))
                .set(Register.RCX, control.getLong(RegionLayout.SPILL_IBL_RCX))
                .set(Register.RDX, control.getLong(RegionLayout.SPILL_IBL_RDX))
                .setRip(RemoteAddress.of(target));
    }

    /**
     * The stub whose request is at {@code rip}, not made yet (a new child stands there), or null. At
     * the reissue trap, the request it stands for: the miss routine left the registers as the stub had them.
     */
    ExitStub stubBefore(RemoteAddress rip) {
        ExitStub stub = region.contains(rip.value()) ? stubsByTrap.get(region.offsetOf(CacheAddress.of(rip.value()))) : null;
        return stub != null && stub.kind() == ExitStub.Kind.REISSUE ? deferred() : stub;
    }

    private ExitStub deferred() {
        if (reissued == null) {
            throw new IllegalStateException("reissue trap without a deferred request");
        }
        return reissued;
    }

    /** The clone flags of the process-creating syscall being run. */
    long pendingCloneFlags() {
        return pendingCloneFlags;
    }

    /**
     * The pending exec succeeded (the tracee is at its exec event; the result stub will never
     * run): logs it with result 0, as the kernel's result for a successful exec, and returns the
     * program it named.
     */
    String execSucceeded() {
        if (!ChildProcesses.isExec(pendingSyscall)) {
            throw new IllegalStateException("an exec event without a pending exec (syscall " + pendingSyscall + ")");
        }
        sink.syscall(pendingSyscall, pendingArgs, 0);
        pendingSyscall = -1;
        return pendingExecPath;
    }

    /** The stub whose request starts at region offset {@code offset}. */
    ExitStub stubAtOffset(int offset) {
        ExitStub stub = stubsByTrap.get(offset);
        if (stub == null) {
            throw new IllegalStateException("a miss request from an unknown stub at region offset 0x"
                    + Integer.toHexString(offset));
        }
        return stub;
    }

    /**
     * Futex handshake: serves the request the tracee waits for in the miss routine, if there is one
     * (false if not, or with the ptrace handshake). It goes on at the translated target (a direct
     * exit, linked first), at the lookup's retry point (an indirect miss, the target entered in the
     * table first), or at the reissue trap when serving needs the tracee stopped: a new view (mapped
     * by injected syscalls) or a refusal or step aside (JIT code), which the session handles at that
     * trap exactly as at a ptrace-handshake miss ({@link #handle}, {@link #stubBefore}).
     */
    boolean answerRequest() {
        if (futex == null || !futex.pending()) {
            return false;
        }
        requests++;
        ExitStub stub = stubAtOffset(futex.stubOffset());
        boolean direct = stub.kind() == ExitStub.Kind.DIRECT;
        CacheAddress entry;
        try {
            entry = resolve(stub, direct ? stub.target() : futex.iblMissTarget(), false);
        } catch (RecordingStoppedException refusedOrJit) {
            entry = null;
        }
        if (entry == null) {
            reissued = stub;
        }
        counts[(entry == null ? ExitStub.Kind.REISSUE : stub.kind()).ordinal()]++;
        futex.answer(entry == null ? futex.reissue() : direct ? entry : ibl.retry(region.views().get(0)));
        return true;
    }

    /**
     * A miss's target translated, then linked to the direct exit {@code stub} or entered in the lookup
     * table; null if that needs the tracee stopped and it is not ({@code traceeStopped} false).
     */
    private CacheAddress resolve(ExitStub stub, AppAddress target, boolean traceeStopped) {
        CacheAddress entry = translate.entry(target, traceeStopped);
        if (entry != null && stub.kind() == ExitStub.Kind.DIRECT) {
            linker.link(stub, entry);
        } else if (entry != null) {
            indirectTargets.add(target.value());
            ibl.insert(target, entry);
        }
        return entry;
    }

    /** Futex handshake: requests served (of which {@code count(REISSUE)} reissued as a ptrace stop). */
    long requests() {
        return requests;
    }

    /** Handles the request of {@code stub}; {@code regs} are the tracee's current registers. */
    void handle(ExitStub stub, Registers regs) {
        if (stub.kind() == ExitStub.Kind.REISSUE) {
            // Kept until served: a refusal or step aside here places the tracee by it (stubBefore).
            handle(deferred(), regs);
            reissued = null;
            return;
        }
        counts[stub.kind().ordinal()]++;
        switch (stub.kind()) {
            case DIRECT -> tracee.setRegisters(regs.setRip(RemoteAddress.of(resolve(stub, stub.target(), true).value())));
            case INDIRECT_MISS -> tracee.setRegisters(beforeIndirectMiss(regs)
                    .setRip(RemoteAddress.of(resolve(stub, AppAddress.of(regs.rax()), true).value())));
            case SYSCALL -> {
                // rip is already on the syscall instruction after the int3: nothing to change.
                int number = (int) regs.rax();
                long[] args = {regs.get(Register.RDI), regs.get(Register.RSI), regs.get(Register.RDX),
                        regs.get(Register.R10), regs.get(Register.R8), regs.get(Register.R9)};
                vet(number, regs, args);
                pendingSyscall = number;
                pendingArgs = args;
                if (ChildProcesses.isExec(number)) {
                    pendingExecPath = ChildProcesses.execPath(tracee, regs);
                }
                boundary.entering(number, pendingArgs, regs);
                if (number == SYS_RT_SIGRETURN) {
                    pendingSyscall = -1;
                    sigreturn.serve(regs, pendingArgs);
                    boundary.sigreturned();
                }
            }
            case REISSUE -> throw new AssertionError("handled above");
            case SYSCALL_RESULT -> {
                if (pendingSyscall < 0) {
                    throw new IllegalStateException("syscall result without a syscall at " + stub.trap());
                }
                syscallReturned(boundary.returned(pendingSyscall, pendingArgs, regs));
                boundary.logged();
            }
        }
    }

    /** The pending syscall returned {@code result} (its result trap ran, or the tracee was parked on it): logs it. */
    void syscallReturned(long result) {
        if (pendingSyscall < 0) {
            throw new IllegalStateException("syscall result without a syscall");
        }
        sink.syscall(pendingSyscall, pendingArgs, result);
        pendingSyscall = -1;
    }

    /** The pending syscall will not run now (a signal came between its vetting trap and it): it is vetted again later. */
    void forgetSyscall() {
        pendingSyscall = -1;
    }

    /**
     * The process is exiting (its exit event, the ring drained): an exit or exit_group it made is
     * logged now, with result 0, as it never returns.
     */
    void exited() {
        if (pendingSyscall == SYS_EXIT || pendingSyscall == SYS_EXIT_GROUP) {
            sink.syscall(pendingSyscall, pendingArgs, 0);
        }
        pendingSyscall = -1;
    }

    private void vet(int number, Registers regs, long[] args) {
        if (ChildProcesses.createsChild(number)) {
            pendingCloneFlags = ChildProcesses.cloneFlags(tracee, regs);
            if (ChildProcesses.startsThread(pendingCloneFlags)) {
                // Recording: the session steps aside before the call runs. An expansion must not let the
                // program go on natively (it would redo its effects): it stops, as its inputs run stopped there.
                if (boundary == SyscallBoundary.NATIVE) {
                    throw new AsideBeforeSyscall(SteppedAside.threadStartingReason(ChildProcesses.callName(number)));
                }
                throw new UnsupportedProgramException(ChildProcesses.threadRefusal(number));
            }
            String refusal = ChildProcesses.refusal(number, pendingCloneFlags);
            if (refusal != null) {
                throw new UnsupportedProgramException(refusal);
            }
        }
        String codeWrite = codeWrites.stepAsideCause(number, args);
        if (codeWrite == null) {
            // The code cache never drops a translation: code it ran must not be unmapped or made non-executable under it.
            codeWrite = codeWrites.staleTranslationCause(number, args);
        }
        if (codeWrite != null) {
            // As at a thread: the recording steps aside; an expansion stops (the inputs run went on natively).
            if (boundary == SyscallBoundary.NATIVE) {
                throw new AsideBeforeSyscall(CodeWrites.recordingStopped(codeWrite));
            }
            throw new UnsupportedProgramException(codeWrite
                    + "; an expansion cannot let the program go on natively (it would redo the recorded effects):"
                    + " expansion stopped before the call ran");
        }
    }

    long indirectTargets() {
        return indirectTargets.size();
    }

    long count(ExitStub.Kind kind) {
        return counts[kind.ordinal()];
    }
}
