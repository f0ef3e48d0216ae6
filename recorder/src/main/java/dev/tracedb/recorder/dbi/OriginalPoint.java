package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.Resume;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;

/**
 * Brings a tracee stopped anywhere in the code cache to a point of the original program, exactly:
 * afterwards rip is an original address, the registers are what they would be there natively, and
 * the log holds exactly the instructions that retired. The one primitive behind the two moments
 * the program must be seen (or must see itself) outside the cache: a signal's delivery
 * ({@link #forSignal}: the kernel saves rip in the frame, and the handler may look) and a detach
 * ({@link #forDetach}: the program goes on natively from rip).
 *
 * <p>Where the tracee stands decides ({@link CacheMap} for the blocks, {@link MissHandler} for the
 * exit stubs):
 * <ul>
 * <li>outside the cache (a handler's first instruction, not yet translated): it is there already.</li>
 * <li>a block's entry: nothing of it ran; its start.</li>
 * <li>before copied instruction {@code i} of block B (or on B's final {@code syscall}, not yet
 *     run): the prologue logged all of B, only {@code i} instructions retired. If B's event is
 *     still the last in the ring (no drain since it was appended), it is taken back and B's
 *     {@code i}-instruction prefix is logged instead (nothing if {@code i} is 0), as the step
 *     engine logs a block cut short; rip becomes the original address of instruction {@code i}.
 *     A syscall whose vetting trap already ran is forgotten: it will be vetted again (or, after
 *     a detach, run natively). This is what spares the single-steps: a stop inside a long
 *     {@code rep} string instruction is placed on it, with its registers as they are.</li>
 * <li>right after a block's {@code syscall}: the block retired; the result is logged (what the
 *     result trap would have done), rcx is set to the original next address (the kernel set it to
 *     the cache's) and rip to it. With a signal to deliver, a call interrupted with -ERESTART* is
 *     the kernel's to restart (it rewinds that rip by two bytes, onto the original
 *     {@code syscall}) or fail with EINTR; for a detach, where no delivery follows, it is rewound
 *     here as the kernel would (rip on the syscall, the number to issue again, orig_rax -1), and
 *     not logged: it runs again natively.</li>
 * <li>a direct exit's stub, before its {@code int3} (or mailbox request), or the futex handshake's
 *     reissue trap standing for it: the block retired; the branch target. An indirect-branch miss
 *     stub: the target in rax, with rax, rcx and rdx from the lookup routine's spill slots.</li>
 * <li>anywhere else (inside a prologue, a block's end sequence, the lookup routine, or a block
 *     whose event was drained already, the futex handshake's miss routine): no exact equivalent,
 *     and inserted code is not reentrant (the ring cursor's load and store). The tracee is
 *     single-stepped forward until it reaches one of the points above; a ring that fills meanwhile
 *     is drained as in the recording, a miss request posted is answered before each step (the
 *     routine then leaves, its futex calls returning at once). Every point the engine traps at is
 *     one of them, so a step never runs an {@code int3} nor a block's {@code syscall}.</li>
 * </ul>
 * The two purposes differ only where the delivery needs more (see {@link #forSignal}) or the
 * detach accepts less (see {@link #forDetach}).
 *
 * <p>Not thread-safe: tracer thread only, tracee stopped.
 */
final class OriginalPoint {
    /** The engine's block definitions, as a delivery needs them. */
    interface Blocks {
        /** The log id of the {@code count}-instruction prefix of a placed block whose prologue now appends {@code currentId}. */
        int prefixId(CacheMap.Placed placed, int currentId, int count);

        /** The program stands at {@code start}, a block's start: defines that block in the log if it is not yet. */
        void entered(AppAddress start);
    }

    /** Signals the kernel forces on a faulting instruction: never blocked (see {@link #forSignal}). */
    static final long SYNCHRONOUS = bit(Signal.SIGILL) | bit(Signal.SIGTRAP) | bit(Signal.SIGBUS) | bit(Signal.SIGFPE)
            | bit(Signal.SIGSEGV) | bit(Signal.of(31)); // 31: SIGSYS

    private static final long ERESTARTSYS = -512;
    private static final long ERESTARTNOINTR = -513;
    private static final long ERESTARTNOHAND = -514;
    private static final long ERESTART_RESTARTBLOCK = -516;
    private static final long SYS_RESTART_SYSCALL = 219;

    /** Why the tracee is brought to an original point: the few rules that differ hang on this. */
    private enum Purpose { ASYNCHRONOUS_SIGNAL, SYNCHRONOUS_SIGNAL, DETACH }

    /**
     * Where a detach leaves the tracee: its registers are in place, and {@code heldSignal} (with its
     * details) is one that arrived while it was stepped, to be delivered natively by the detach;
     * or, if the process ended on the way, its {@code end} and nothing else.
     */
    record Detach(Signal heldSignal, SignalInfo heldInfo, StopEvent end) {}

    private final Tracee tracee;
    private final SharedRegion region;
    private final CacheMap map;
    private final Ring ring;
    private final EventSink sink;
    private final MissHandler misses;
    private final Blocks blocks;
    /** The session's value probes (whose buffer may fill while stepping), or null. */
    ValueProbes probes;
    /** Single-steps taken so far, for the engine's statistics. */
    private long steps;
    /** Blocks whose event was taken back and replaced by the prefix that retired. */
    private long cutShort;

    /** The first signal that arrived while stepping towards a detach, to be delivered by it; null if none. */
    private Signal held;
    private SignalInfo heldInfo;

    OriginalPoint(Tracee tracee, SharedRegion region, CacheMap map, Ring ring, EventSink sink, MissHandler misses,
                  Blocks blocks) {
        this.tracee = tracee;
        this.region = region;
        this.map = map;
        this.ring = ring;
        this.sink = sink;
        this.misses = misses;
        this.blocks = blocks;
    }

    /**
     * Brings the tracee, at the delivery-stop of a signal the program catches, to the original
     * point the kernel is to build the frame from, and returns that address (rip too), or null if
     * the process ended on the way (then {@link Tracee#lastStop} says how).
     *
     * <p>The log must be exact at that point, as the step engine's: the block the program stands
     * at is defined before the signal is logged. Stepping is done with every asynchronous signal
     * blocked ({@code PTRACE_SETSIGMASK}), so none is taken (or lost) on the way; it stays pending
     * and comes once the mask is restored. Synchronous ones stay unblocked: the kernel would reset
     * the handler of a blocked one it must force. Refused, rather than guessed
     * ({@link UnsupportedProgramException}): a synchronous fault ({@code synchronous}) anywhere but
     * before a copied instruction of a block still in the ring (it cannot be stepped past), a
     * block cut short before its syscall when its event was drained already (stepping would run
     * the call), and any signal but the ring's own overflow while stepping.
     */
    AppAddress forSignal(boolean synchronous) {
        return reach(synchronous ? Purpose.SYNCHRONOUS_SIGNAL : Purpose.ASYNCHRONOUS_SIGNAL);
    }

    /**
     * Brings the tracee to an original point to let it go natively from, its registers in place.
     * Nothing is refused: a block whose syscall is next while its event was drained already stays
     * logged whole (the call then runs natively, after the log's end); a signal arriving while
     * stepping (asynchronous signals are not blocked here) is held, the tracee stepped on, and the
     * signal handed back for the detach to deliver natively, by the kernel's own rules.
     */
    Detach forDetach() {
        held = null;
        heldInfo = null;
        AppAddress address = reach(Purpose.DETACH);
        return address == null ? new Detach(null, null, tracee.lastStop()) : new Detach(held, heldInfo, null);
    }

    /** Single-steps taken so far (each a ptrace round trip). */
    long steps() {
        return steps;
    }

    /** Blocks whose event was taken back and replaced by the prefix that retired (or by nothing). */
    long cutShort() {
        return cutShort;
    }

    /** Steps the tracee until it stands at an exact point, puts it there and returns its address; null if it ended. */
    private AppAddress reach(Purpose purpose) {
        boolean masked = false;
        long mask = 0;
        try {
            while (true) {
                Registers regs = tracee.registers();
                AppAddress exact = placeIfExact(regs, purpose);
                if (exact != null) {
                    return exact;
                }
                if (purpose == Purpose.SYNCHRONOUS_SIGNAL) {
                    throw new UnsupportedProgramException(map.locate(regs.rip().value()).kind() == CacheMap.Kind.INSTRUCTION
                            ? "a synchronous signal arose in a block already logged whole; the DBI engine cannot place"
                            + " it exactly"
                            : "a synchronous signal arose in the DBI engine's own code at " + regs.rip()
                            + " (not the program's instruction); it cannot be placed in the program");
                }
                if (purpose == Purpose.ASYNCHRONOUS_SIGNAL && !masked) {
                    mask = tracee.signalMask();
                    tracee.setSignalMask(mask | ~SYNCHRONOUS);
                    masked = true;
                }
                if (!step(purpose)) {
                    return null;
                }
            }
        } finally {
            if (masked && tracee.isAlive()) {
                tracee.setSignalMask(mask);
            }
        }
    }

    /**
     * If the tracee stands at an exact point (see the class comment), logs what retired, writes
     * the native registers there and returns its original address; else null.
     */
    private AppAddress placeIfExact(Registers regs, Purpose purpose) {
        boolean signal = purpose != Purpose.DETACH;
        CacheMap.Point p = map.locate(regs.rip().value());
        AppAddress exact = switch (p.kind()) {
            // Outside the cache rip is the program's own: nothing to change.
            case OUTSIDE -> AppAddress.of(regs.rip().value());
            case ENTRY -> p.original();
            case INSTRUCTION -> retirePrefix(p) ? p.original() : null;
            case BEFORE_SYSCALL -> {
                if (retirePrefix(p)) {
                    yield p.original();
                }
                if (signal) {
                    throw new UnsupportedProgramException("a signal for a handler arrived before a system call, in a"
                            + " block already logged whole; the DBI engine cannot place it exactly");
                }
                if (p.trapServed()) {
                    misses.forgetSyscall();
                }
                yield p.original();
            }
            case AFTER_SYSCALL -> afterSyscall(p.original(), regs, signal);
            case PROLOGUE -> null;
            case ENGINE_CODE -> atStub(regs);
        };
        if (exact == null) {
            return null;
        }
        // At a block's start (an entry, after a syscall, a stub's target) the step engine has defined
        // that block before it logs the signal (retirePrefix does it for a block cut short to nothing).
        if (signal && p.kind() != CacheMap.Kind.INSTRUCTION && p.kind() != CacheMap.Kind.BEFORE_SYSCALL
                && p.kind() != CacheMap.Kind.OUTSIDE) {
            blocks.entered(exact);
        }
        tracee.setRegisters(regs.setRip(RemoteAddress.of(exact.value())));
        return exact;
    }

    /**
     * The tracee stands before instruction {@code p.index()} of a block whose prologue logged it
     * whole: takes that event back and logs the prefix that retired. False if the event was drained.
     */
    private boolean retirePrefix(CacheMap.Point p) {
        CacheMap.Placed placed = p.placed();
        int current = region.buffer().getInt(placed.idField());
        if (!ring.lastIs(current)) {
            return false;
        }
        ring.retractLast();
        cutShort++;
        ring.drain(sink);
        if (p.index() > 0) {
            sink.executed(new int[] {blocks.prefixId(placed, current, p.index())}, 1);
            ring.deliveredElsewhere(1);
        } else {
            // The event taken back may have been the block's first, with a provisional id: define it now.
            blocks.entered(placed.block().start());
        }
        if (p.kind() == CacheMap.Kind.BEFORE_SYSCALL && p.trapServed()) {
            misses.forgetSyscall();
        }
        return true;
    }

    /**
     * On a syscall's result trap, not yet run: the call returned to {@code next} (see the class
     * comment for an interrupted one). Sets rax, rcx and orig_rax in {@code regs} as natively.
     */
    private AppAddress afterSyscall(AppAddress next, Registers regs, boolean signal) {
        long rax = regs.rax();
        long number = regs.get(Register.ORIG_RAX);
        boolean restart = number >= 0
                && (rax == ERESTARTSYS || rax == ERESTARTNOINTR || rax == ERESTARTNOHAND || rax == ERESTART_RESTARTBLOCK);
        ring.drain(sink);
        regs.set(Register.RCX, next.value());
        if (restart && !signal) {
            misses.forgetSyscall();
            regs.set(Register.RAX, rax == ERESTART_RESTARTBLOCK ? SYS_RESTART_SYSCALL : number)
                    .set(Register.ORIG_RAX, -1);
            return next.plus(-2);
        }
        misses.syscallReturned(rax);
        return next;
    }

    /** At an exit stub's trap, not yet run: a direct exit's target or an indirect miss's, registers set as natively; else null. */
    private AppAddress atStub(Registers regs) {
        ExitStub stub = misses.stubBefore(regs.rip());
        if (stub == null) {
            return null;
        }
        return switch (stub.kind()) {
            case DIRECT -> stub.target();
            case INDIRECT_MISS -> {
                Registers app = misses.beforeIndirectMiss(regs);
                for (Register r : new Register[] {Register.RAX, Register.RCX, Register.RDX}) {
                    regs.set(r, app.get(r));
                }
                yield AppAddress.of(app.rip().value());
            }
            // The syscall stubs are the block's (CacheMap); a reissue trap stands for its request (stubBefore).
            case SYSCALL, SYSCALL_RESULT, REISSUE -> null;
        };
    }

    /**
     * One single-step; drains a ring that filled, holds (detach) or refuses (delivery) any other
     * signal. False if the process ended.
     */
    private boolean step(Purpose purpose) {
        // The futex handshake's miss routine waits for its answer (in a futex wait, if stepped on): give it.
        misses.answerRequest();
        steps++;
        StopEvent stop = tracee.resumeAndWait(Resume.SINGLESTEP, null);
        if (stop.isTerminal()) {
            return false;
        }
        if (stop instanceof StopEvent.EventStop) {
            // Its exit event (killed from outside meanwhile): the ring is still readable, and last read here.
            ring.drain(sink);
            return true;
        }
        if (!(stop instanceof StopEvent.SignalStop s)) {
            throw new UnsupportedProgramException("the program stopped (" + stop + ") while the DBI engine stepped it"
                    + " to a point of the program");
        }
        if (s.signal().equals(Signal.SIGTRAP)) {
            return true;
        }
        Registers regs = tracee.registers();
        SignalInfo info = tracee.signalInfo();
        if (s.signal().equals(Signal.SIGSEGV) && info.faultAddress() != null
                && ring.isGuard(info.faultAddress().value()) && region.contains(regs.rip().value())) {
            CacheAddress next = ring.onOverflow(sink, info.faultAddress().value());
            tracee.setRegisters(regs.set(Register.RAX, next.value()));
            return true;
        }
        if (s.signal().equals(Signal.SIGSEGV) && info.faultAddress() != null && probes != null
                && probes.isGuard(info.faultAddress().value()) && region.contains(regs.rip().value())) {
            tracee.setRegisters(probes.onFull(regs, ring, sink));
            return true;
        }
        if (purpose != Purpose.DETACH) {
            throw new UnsupportedProgramException("signal " + s.signal() + " arose in the DBI engine's own code at "
                    + regs.rip() + " while it stepped the program to a point of its own");
        }
        if (held == null) {
            held = s.signal();
            heldInfo = info;
        }
        return true;
    }

    private static long bit(Signal signal) {
        return 1L << (signal.number() - 1);
    }
}
