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
 * the log holds exactly the instructions that retired. This is what a signal frame needs (the
 * kernel saves rip in it, and the handler may look) and what a detach needs (the program goes on
 * natively from rip).
 *
 * <p>Where the tracee stands decides (see {@link CacheMap.Kind}):
 * <ul>
 * <li>a block's entry: nothing of it ran; its start.</li>
 * <li>before copied instruction {@code i} of block B (or on B's final {@code syscall}, not yet
 *     run): the prologue logged all of B, only {@code i} instructions retired. If B's event is
 *     still the last in the ring (no drain since it was appended), it is taken back and B's
 *     {@code i}-instruction prefix is logged instead (nothing if {@code i} is 0), as the step
 *     engine logs a block cut short; rip becomes the original address of instruction {@code i}.
 *     A syscall whose vetting trap already ran is forgotten: it will be vetted again.</li>
 * <li>right after a block's {@code syscall}: the block retired; the result is logged (what the
 *     result trap would have done), rcx is set to the original next address (the kernel set it to
 *     the cache's) and rip to it. If the syscall is to be restarted the kernel will rewind that
 *     rip by two bytes, onto the original {@code syscall}.</li>
 * <li>anywhere else (inside a prologue, a block's end sequence, an exit stub, the lookup routine):
 *     no exact equivalent, and inserted code is not reentrant (the ring cursor's load and store).
 *     The tracee is single-stepped forward (misses on the way are served as usual) until it
 *     reaches one of the points above. Meanwhile every asynchronous signal is blocked with
 *     PTRACE_SETSIGMASK, so none is taken (or lost) mid-way; it stays pending and comes once the
 *     mask is restored. Synchronous ones (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS) stay
 *     unblocked: the kernel would reset the handler of a blocked one it must force.</li>
 * </ul>
 * Stepping never runs a {@code syscall}: the points before and after one are exact. Refused with
 * {@link UnsupportedProgramException}, rather than guessed: a B cut short before its syscall when
 * B's event was drained already (a stop for a signal without handler landed inside B), and a
 * signal (other than the ring's own overflow) while stepping, since the tracee then cannot be
 * moved.
 *
 * <p>Not thread-safe: tracer thread only, tracee stopped.
 */
final class BoundaryParker {
    /** The engine's block definitions, as the parker needs them. */
    interface Blocks {
        /** The log id of the {@code count}-instruction prefix of a placed block whose prologue now appends {@code currentId}. */
        int prefixId(CacheMap.Placed placed, int currentId, int count);

        /** The program stands at {@code start}, a block's start: defines that block in the log if it is not yet. */
        void entered(AppAddress start);
    }

    /** si_code of a trap the kernel raises itself (int3), as opposed to a single-step's TRAP_TRACE. */
    private static final int SI_KERNEL = 0x80;

    /** Signals the kernel forces on a faulting instruction: never blocked (see the class comment). */
    static final long SYNCHRONOUS = bit(Signal.SIGILL) | bit(Signal.SIGTRAP) | bit(Signal.SIGBUS) | bit(Signal.SIGFPE)
            | bit(Signal.SIGSEGV) | bit(Signal.of(31)); // 31: SIGSYS

    private final Tracee tracee;
    private final SharedRegion region;
    private final CacheMap map;
    private final Ring ring;
    private final EventSink sink;
    private final MissHandler misses;
    private final Blocks blocks;
    private long steps;
    private long cutShort;

    BoundaryParker(Tracee tracee, SharedRegion region, CacheMap map, Ring ring, EventSink sink, MissHandler misses,
                   Blocks blocks) {
        this.tracee = tracee;
        this.region = region;
        this.map = map;
        this.ring = ring;
        this.sink = sink;
        this.misses = misses;
        this.blocks = blocks;
    }

    /** Where the tracee was parked, and whether that took single-steps (the tracee then stands at a step's SIGTRAP stop). */
    record Parked(AppAddress address, boolean stepped) {}

    /**
     * Parks the stopped tracee (see the class comment) and returns the original address it now
     * stands at, rip included. {@code mayStep} false: it must already stand at an exact point (a
     * synchronous fault cannot be stepped past), or the program is refused.
     */
    Parked park(boolean mayStep) {
        Registers regs = tracee.registers();
        long mask = 0;
        boolean stepped = false;
        try {
            while (true) {
                CacheMap.Point p = map.locate(regs.rip().value());
                AppAddress parked = switch (p.kind()) {
                    case ENTRY -> p.original();
                    case INSTRUCTION, BEFORE_SYSCALL -> retirePrefix(p) ? p.original() : null;
                    case AFTER_SYSCALL -> {
                        ring.drain(sink);
                        misses.syscallReturned(regs.rax());
                        regs.set(Register.RCX, p.original().value());
                        yield p.original();
                    }
                    case PROLOGUE, ENGINE_CODE -> null;
                    case OUTSIDE -> throw new IllegalStateException("the program runs outside the code cache, at "
                            + regs.rip());
                };
                if (parked != null) {
                    if (p.kind() == CacheMap.Kind.ENTRY || p.kind() == CacheMap.Kind.AFTER_SYSCALL) {
                        blocks.entered(parked);
                    }
                    tracee.setRegisters(regs.setRip(RemoteAddress.of(parked.value())));
                    return new Parked(parked, stepped);
                }
                if (p.kind() == CacheMap.Kind.BEFORE_SYSCALL) {
                    throw new UnsupportedProgramException("a signal for a handler arrived before a system call, in a"
                            + " block already logged whole; the DBI engine cannot place it exactly");
                }
                if (!mayStep && p.kind() == CacheMap.Kind.INSTRUCTION) {
                    throw new UnsupportedProgramException("a synchronous signal arose in a block already logged whole;"
                            + " the DBI engine cannot place it exactly");
                }
                if (!mayStep) {
                    throw new UnsupportedProgramException("a synchronous signal arose in the DBI engine's own code at "
                            + regs.rip() + " (not the program's instruction); it cannot be placed in the program");
                }
                if (!stepped) {
                    mask = tracee.signalMask();
                    tracee.setSignalMask(mask | ~SYNCHRONOUS);
                    stepped = true;
                }
                regs = step();
            }
        } finally {
            if (stepped && tracee.isAlive()) {
                tracee.setSignalMask(mask);
            }
        }
    }

    /** Single-steps taken so far (each a ptrace round trip). */
    long steps() {
        return steps;
    }

    /** Blocks whose event was taken back and replaced by the prefix that retired (or by nothing). */
    long cutShort() {
        return cutShort;
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
        } else {
            blocks.entered(placed.block().start());
        }
        if (p.kind() == CacheMap.Kind.BEFORE_SYSCALL && p.trapServed()) {
            misses.forgetSyscall();
        }
        return true;
    }

    /** One single-step; serves a miss trap it ran into, absorbs a ring overflow; returns the registers after. */
    private Registers step() {
        steps++;
        StopEvent stop = tracee.resumeAndWait(Resume.SINGLESTEP, null);
        if (!(stop instanceof StopEvent.SignalStop s)) {
            throw new UnsupportedProgramException("the program stopped (" + stop + ") while the DBI engine stepped it"
                    + " to a point of the program");
        }
        Registers regs = tracee.registers();
        SignalInfo info = tracee.signalInfo();
        if (s.signal().equals(Signal.SIGTRAP)) {
            ExitStub stub = info.code() == SI_KERNEL ? misses.stubAt(regs.rip()) : null;
            if (stub != null) {
                ring.drain(sink);
                misses.handle(stub, regs);
                return tracee.registers();
            }
            return regs;
        }
        if (s.signal().equals(Signal.SIGSEGV) && info.faultAddress() != null
                && ring.isGuard(info.faultAddress().value()) && region.contains(regs.rip().value())) {
            CacheAddress next = ring.onOverflow(sink, info.faultAddress().value());
            regs.set(Register.RAX, next.value());
            tracee.setRegisters(regs);
            return regs;
        }
        throw new UnsupportedProgramException("signal " + s.signal() + " arose in the DBI engine's own code at "
                + regs.rip() + " while it stepped the program to a point of its own");
    }

    private static long bit(Signal signal) {
        return 1L << (signal.number() - 1);
    }
}
