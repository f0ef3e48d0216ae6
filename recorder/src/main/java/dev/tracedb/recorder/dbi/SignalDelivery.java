package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.Resume;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs signal handlers translated, like any other code of the program, and logs each delivery.
 *
 * <p><b>Delivery</b> ({@link #deliver}, at the signal-delivery-stop of a signal the program
 * catches): the signal is held (its siginfo kept), the tracee is brought to an original address by
 * {@link OriginalPoint#forSignal} (log made exact: a block cut short is logged as its prefix), the
 * delivery is logged, and the tracee is resumed with {@code PTRACE_SINGLESTEP} and the signal
 * (the held siginfo set back first, so the handler sees what the kernel said even when getting
 * there resumed the tracee). The kernel builds the frame itself, from the original rip and the program's mask,
 * stack, {@code sigaltstack}, {@code SA_*} flags and restorer, and stops at the handler's first
 * instruction (it clears the trap flag before saving the flags, so the frame holds the program's
 * own); the handler is translated and rip pointed at its cache entry. A synchronous fault
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP raised by an instruction) is placed without stepping:
 * it comes from a copied instruction, whose original address the {@link CacheMap} knows; one in
 * the engine's own code is refused. Where the siginfo holds the faulting instruction's address
 * (SIGFPE, SIGILL), that cache address is replaced by the original one, in the frame and in the log.
 *
 * <p><b>Return</b> ({@link #sigreturn}, at the vetting trap of {@code rt_sigreturn}, normally the
 * translated restorer {@code mov eax,15; syscall}): rsp points at the frame's {@code ucontext};
 * its saved rip (original, or whatever the handler put there) is translated and replaced by the
 * cache entry, so the kernel returns into the cache. The call is logged there (result: the saved
 * rax, which is what rax holds after it, as the step engine logs it) and single-stepped with the
 * asynchronous signals blocked, so no signal lands between the rewrite and the call; the call
 * itself then installs the frame's mask. A {@code siglongjmp} out of a handler is ordinary
 * translated code (an indirect jump through the lookup table).
 *
 * <p>Not thread-safe: tracer thread only, tracee stopped.
 */
final class SignalDelivery {
    /** Offsets in the x86-64 {@code ucontext_t}: uc_flags, uc_link, uc_stack (24), then uc_mcontext's r8..r15, rdi, ... */
    static final int UC_RAX = 40 + 13 * 8;
    static final int UC_RIP = 40 + 16 * 8;
    private static final int SYS_RT_SIGRETURN = 15;
    /** Offset of {@code si_addr} in the x86-64 {@code siginfo_t}. */
    private static final int SI_ADDR = 16;

    private final Tracee tracee;
    private final SharedRegion region;
    private final OriginalPoint originalPoint;
    private final Ring ring;
    private final EventSink sink;
    private final MissHandler.Translate translate;
    private long delivered;

    SignalDelivery(Tracee tracee, SharedRegion region, OriginalPoint originalPoint, Ring ring, EventSink sink,
                   MissHandler.Translate translate) {
        this.tracee = tracee;
        this.region = region;
        this.originalPoint = originalPoint;
        this.ring = ring;
        this.sink = sink;
        this.translate = translate;
    }

    /** Whether the tracee catches {@code signal} (SigCgt in /proc/PID/status): a handler will run. */
    boolean caught(Signal signal) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + tracee.pid() + "/status"))) {
                if (line.startsWith("SigCgt:")) {
                    long caught = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caught >>> (signal.number() - 1) & 1) != 0;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Delivers {@code signal}, caught by the program, from its delivery-stop: the handler's first
     * block is translated and the tracee stands at its cache entry when this returns null. Anything
     * else the kernel did instead (the frame could not be written: a forced SIGSEGV), or the end
     * the process met while stepped to an original point, is returned as the stop to handle next.
     */
    StopEvent deliver(Signal signal, SignalInfo info) {
        byte[] held = tracee.rawSignalInfo();
        boolean synchronous = info.code() > 0 && (OriginalPoint.SYNCHRONOUS >>> (signal.number() - 1) & 1) != 0;
        AppAddress original = originalPoint.forSignal(synchronous);
        if (original == null) {
            return tracee.lastStop();
        }
        long address = info.faultAddress() == null ? 0 : info.faultAddress().value();
        if (region.contains(address)) {
            // SIGFPE and SIGILL report the faulting instruction's address: natively the original one.
            address = original.value();
            ByteBuffer.wrap(held).order(ByteOrder.LITTLE_ENDIAN).putLong(SI_ADDR, address);
        }
        // Getting there may have resumed the tracee (steps, or syscalls injected to map a view): the
        // signal then goes in from another stop, where the kernel takes the siginfo given here.
        tracee.setSignalInfo(held);
        ring.drain(sink);
        sink.signal(signal.number(), info.code(), address);
        delivered++;
        StopEvent stop = tracee.resumeAndWait(Resume.SINGLESTEP, signal);
        if (!(stop instanceof StopEvent.SignalStop s) || !s.signal().equals(Signal.SIGTRAP)) {
            return stop;
        }
        Registers regs = tracee.registers();
        if (region.contains(regs.rip().value())) {
            throw new IllegalStateException("after delivering " + signal + " the program is at " + regs.rip()
                    + " in the cache, not at its handler");
        }
        CacheAddress handler = translate.entry(AppAddress.of(regs.rip().value()), true);
        tracee.setRegisters(regs.setRip(RemoteAddress.of(handler.value())));
        return null;
    }

    /**
     * Serves {@code rt_sigreturn} at its vetting trap (rip on the {@code syscall} in the cache):
     * see the class comment. Returns with the tracee stopped after the call, in the cache.
     */
    void sigreturn(Registers regs, long[] args) {
        RemoteAddress frame = regs.rsp();
        RemoteAddress savedRipSlot = RemoteAddress.of(frame.value() + UC_RIP);
        long savedRip = tracee.memory().readLong(savedRipSlot);
        long savedRax = tracee.memory().readLong(RemoteAddress.of(frame.value() + UC_RAX));
        if (region.contains(savedRip)) {
            throw new UnsupportedProgramException("rt_sigreturn to 0x" + Long.toHexString(savedRip)
                    + ", inside the DBI engine's code cache");
        }
        CacheAddress resume = translate.entry(AppAddress.of(savedRip), true);
        tracee.memory().writeLong(savedRipSlot, resume.value());
        ring.drain(sink);
        sink.syscall(SYS_RT_SIGRETURN, args, savedRax);
        tracee.setSignalMask(tracee.signalMask() | ~OriginalPoint.SYNCHRONOUS);
        StopEvent stop = tracee.resumeAndWait(Resume.SINGLESTEP, null);
        if (!(stop instanceof StopEvent.SignalStop s) || !s.signal().equals(Signal.SIGTRAP)
                || tracee.registers().rip().value() != resume.value()) {
            throw new UnsupportedProgramException("rt_sigreturn did not return to the translated 0x"
                    + Long.toHexString(savedRip) + " (" + stop + "); the frame was not the one the kernel wrote");
        }
    }

    /** Signals delivered to handlers so far. */
    long delivered() {
        return delivered;
    }
}
