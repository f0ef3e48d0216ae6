package dev.tracedb.recorder.inputs;

import dev.tracedb.machine.linux.SyscallNumber;
import dev.tracedb.machine.linux.AuxiliaryVector;
import dev.tracedb.machine.linux.PtraceEvent;
import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteMemory;
import dev.tracedb.machine.linux.Resume;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.recorder.ChildProcesses;
import dev.tracedb.recorder.ProgramExecuted;
import dev.tracedb.recorder.SteppedAside;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.Recording;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunWriter;

import java.util.List;

/**
 * One inputs-only recording, on the tracer thread: the program runs natively and stops only at
 * system calls ({@code PTRACE_SYSCALL}), at rdtsc/rdtscp and at signals. Each stop alternates
 * between a call's entry and its exit:
 * <ul>
 * <li>entry: the number and arguments are kept; a call the recording cannot follow (not in
 *     {@link SyscallEffects}, a thread, a writable shared file mapping) ends it here, before it
 *     runs; a file mmap's file is identified now, while its descriptor is surely open.</li>
 * <li>exit: {@code syscall(number, args, result)} is logged, then the bytes it wrote
 *     ({@code memoryWritten}, in chunks of at most {@link #CHUNK} bytes), then for a file mmap
 *     the file ({@code fileMapped}).</li>
 * </ul>
 * {@code exit}/{@code exit_group} are logged with result 0 at the exit event. An exec is logged
 * with result 0 and ends the recording ({@link ProgramExecuted}), as in the other engines.
 *
 * <p>Processes: a child is not recorded. The kernel attaches it to us at birth
 * ({@link ChildProcesses#follow}) only so that the rdtsc trap it inherited can be switched off in
 * it before its first instruction; then it is detached and runs natively. The trap is switched
 * off at an exec's entry too (the new program runs natively), and on again if the exec failed
 * ({@link TimestampEmulation}).
 *
 * <p>Ending early ({@link Handover}): the reason goes into {@link SteppedAside}'s message; the
 * recorder then leaves the run incomplete, detaches the program, which goes on natively, and
 * waits for its exit status.
 */
final class InputsSession {
    /** The largest {@code memoryWritten} event: a 1 MiB read becomes sixteen. */
    static final int CHUNK = 64 * 1024;
    private static final int PUBLISH_EVERY = 1024;
    private static final long MAP_SHARED = 0x01;
    private static final long MAP_ANONYMOUS = 0x20;
    private static final long PROT_WRITE = 0x2;
    /** {@code syscall} is 0f 05. */
    private static final int SYSCALL_LENGTH = 2;
    private static final Register[] ARGUMENTS = {
        Register.RDI, Register.RSI, Register.RDX, Register.R10, Register.R8, Register.R9,
    };

    private final Tracee tracee;
    private final RunWriter writer;
    private final Progress progress;
    private final TimestampEmulation timestamps = new TimestampEmulation();
    private final SignalHandlers handlers = new SignalHandlers();
    private final DeferredSignals deferred;

    /** The system call entered and not yet ended, or null between calls. */
    private Call pending;
    /** The registers at the last syscall-exit-stop, until anything else runs; null otherwise. */
    private Registers atSyscallEnd;
    /** The signal to deliver when the tracee resumes. */
    private Signal deliver;
    /**
     * A caught signal just delivered at a system call's end (0: none): if the next stop is another
     * signal, with that handler's frame just built, it is at the same point.
     */
    private int enteringHandlerOf;
    private long syscalls;
    private long stops;

    /** A call at its entry: what the exit needs to log it. */
    private record Call(int number, long[] args, MappedFile file, String execPath) {}

    InputsSession(Recording recording) {
        this.tracee = recording.tracee();
        this.writer = recording.writer();
        this.progress = recording.progress();
        this.deferred = new DeferredSignals(tracee);
    }

    ExitStatus run() {
        try {
            return record();
        } finally {
            deferred.close();
        }
    }

    private ExitStatus record() {
        writer.inputsOnly();
        AuxiliaryVector auxv = AuxiliaryVector.atExec(tracee);
        RemoteAddress random = auxv.randomBytesAddress();
        writer.memoryWritten(random.value(), tracee.memory().read(random, AuxiliaryVector.RANDOM_BYTES));
        TimestampEmulation.trap(tracee);
        ChildProcesses.follow(tracee);
        while (true) {
            StopEvent stop = tracee.resumeAndWait(Resume.SYSCALL, deliver);
            deliver = null;
            if (++stops % PUBLISH_EVERY == 0) {
                progress.publish(0, 0, stops);
            }
            if (stop.isTerminal() || stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXIT) {
                return finish(stop);
            } else if (stop instanceof StopEvent.SyscallStop) {
                if (pending == null) {
                    enter();
                } else {
                    leave();
                }
            } else if (ChildProcesses.isChildEvent(stop)) {
                releaseChild();
            } else if (stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXEC) {
                writer.syscall(pending.number(), pending.args(), 0);
                throw ProgramExecuted.of(pending.execPath());
            } else if (stop instanceof StopEvent.SignalStop s) {
                signal(s.signal());
            } else {
                writer.unplacedStop();
                throw Handover.end(tracee, timestamps, syscalls, "the program stopped in a way the inputs engine"
                        + " does not support: " + stop, null, deferred);
            }
        }
    }

    private void enter() {
        Registers regs = tracee.registers();
        atSyscallEnd = null;
        enteringHandlerOf = 0;
        int number = (int) regs.get(Register.ORIG_RAX);
        if (deferred.waiting()) {
            if (losesDeferredSignals(number)) {
                throw handOverBefore(regs, number);
            }
            deferred.send();
        }
        long[] args = new long[ARGUMENTS.length];
        for (int i = 0; i < args.length; i++) {
            args[i] = regs.get(ARGUMENTS[i]);
        }
        String refusal = SyscallEffects.refusal(number, args);
        long cloneFlags = refusal == null && ChildProcesses.createsChild(number)
                ? ChildProcesses.cloneFlags(tracee, regs.copy().set(Register.RAX, number)) : 0;
        if ((cloneFlags & ChildProcesses.CLONE_THREAD) != 0) {
            refusal = "the program creates a thread (" + SyscallNames.of(number) + " with CLONE_THREAD):"
                    + " an inputs-only run records one thread";
        } else if ((cloneFlags & ChildProcesses.CLONE_UNTRACED) != 0) {
            refusal = "the program creates a process with CLONE_UNTRACED (" + SyscallNames.of(number) + "): it could"
                    + " not be caught at birth to switch off the rdtsc trap it inherits";
        }
        MappedFile file = null;
        if (refusal == null && number == SyscallNumber.MMAP && (args[3] & MAP_ANONYMOUS) == 0 && (int) args[4] >= 0) {
            file = MappedFile.of(tracee.pid(), (int) args[4]);
            if (file != null && (args[3] & MAP_SHARED) != 0 && (args[2] & PROT_WRITE) != 0) {
                refusal = "a writable shared mapping of " + file.path() + " (other processes may change it)";
            }
        }
        if (refusal != null) {
            throw Handover.end(tracee, timestamps, syscalls, refusal, null, deferred);
        }
        String execPath = null;
        if (ChildProcesses.isExec(number)) {
            execPath = ChildProcesses.execPath(tracee, regs.copy().set(Register.RAX, number));
            // The new program would keep the rdtsc trap (it survives exec), and it runs natively. (Not at the
            // exec event: the old address space, through which the trap would be switched, is gone by then.)
            TimestampEmulation.allow(tracee);
        }
        pending = new Call(number, args, file, execPath);
    }

    /**
     * Calls after which a held signal could no longer reach the handler it arrived for: an exec
     * (the handlers are gone), an exit (the program is), a change of handlers.
     */
    private static boolean losesDeferredSignals(int number) {
        return ChildProcesses.isExec(number) || number == SyscallNumber.EXIT || number == SyscallNumber.EXIT_GROUP
                || number == SyscallNumber.RT_SIGACTION;
    }

    /**
     * At the entry of a call that {@link #losesDeferredSignals loses held signals}: the call is
     * skipped (orig_rax -1) and rewound onto its {@code syscall} instruction, the held signals are
     * sent, and the recording ends there: they are delivered (with their own siginfo) before the
     * call, which then runs again natively. The call itself is not logged.
     */
    private SteppedAside handOverBefore(Registers regs, int number) {
        String reason = "asynchronous " + String.join(", ", deferred.names()) + " to a handler, held for the next"
                + " system call, and that call (" + SyscallNames.of(number) + ") would lose it";
        tracee.setRegisters(regs.copy().set(Register.ORIG_RAX, -1));
        StopEvent stop = tracee.resumeAndWait(Resume.SYSCALL, null);
        if (!(stop instanceof StopEvent.SyscallStop)) {
            return Handover.end(tracee, timestamps, syscalls, reason, null, deferred);
        }
        Registers after = tracee.registers();
        tracee.setRegisters(after.copy().set(Register.RAX, number).set(Register.RIP, after.get(Register.RIP) - SYSCALL_LENGTH));
        deferred.send();
        stop = tracee.resumeAndWait(Resume.SYSCALL, null);
        Signal first = stop instanceof StopEvent.SignalStop s ? s.signal() : null;
        if (first != null) {
            deferred.restore(first, tracee.signalInfo());
        }
        return Handover.end(tracee, timestamps, syscalls, reason, first, deferred);
    }

    private void leave() {
        Call call = pending;
        pending = null;
        Registers regs = tracee.registers();
        long result = regs.rax();
        writer.syscall(call.number(), call.args(), result);
        syscalls++;
        for (SyscallEffects.Written range : written(call, result)) {
            logMemory(range);
        }
        if (call.file() != null && !(result < 0 && result >= -4095)) {
            MappedFile f = call.file();
            writer.fileMapped(f.path(), f.size(), f.modifiedNanos(), f.inode(), f.changedNanos(), f.device());
        }
        if (ChildProcesses.isExec(call.number())) {
            TimestampEmulation.trap(tracee); // the exec failed: the program goes on, recorded
        }
        if (call.number() == SyscallNumber.RT_SIGACTION && result == 0) {
            handlers.installed(call.args(), tracee.memory());
        }
        atSyscallEnd = regs;
    }

    private List<SyscallEffects.Written> written(Call call, long result) {
        try {
            return SyscallEffects.written(call.number(), call.args(), result, tracee.memory());
        } catch (RemoteMemory.RemoteMemoryException e) {
            throw Handover.end(tracee, timestamps, syscalls - 1, "cannot find what " + SyscallNames.of(call.number())
                    + " wrote (" + e.getMessage() + ")", null, deferred);
        }
    }

    private void logMemory(SyscallEffects.Written range) {
        for (long done = 0; done < range.length(); done += CHUNK) {
            int length = (int) Math.min(CHUNK, range.length() - done);
            RemoteAddress at = RemoteAddress.of(range.address() + done);
            byte[] bytes;
            try {
                bytes = tracee.memory().read(at, length);
            } catch (RemoteMemory.RemoteMemoryException e) {
                throw Handover.end(tracee, timestamps, syscalls - 1, "cannot read what the syscall wrote ("
                        + e.getMessage() + ")", null, deferred);
            }
            writer.memoryWritten(at.value(), bytes);
        }
    }

    /**
     * A fork, vfork or clone (not a thread: refused at its entry) made a child, stopped at its birth
     * (the kernel attached it to us, {@link ChildProcesses#follow}): it inherited the rdtsc trap,
     * which is switched off in it, and it is let go to run natively. The parent is not touched, so
     * no signal meant for it can arrive during an injected call.
     */
    private void releaseChild() {
        Tracee child = ChildProcesses.stoppedChild(tracee);
        TimestampEmulation.allow(child);
        child.detach();
    }

    private void signal(Signal signal) {
        SignalInfo info = tracee.signalInfo();
        TimestampEmulation.Read read = timestamps.emulate(tracee, info);
        if (read != null) {
            writer.timestampRead(read.value(), read.aux(), read.withAux());
            atSyscallEnd = null;
            enteringHandlerOf = 0;
            return;
        }
        Registers regs = tracee.registers();
        boolean rightAfterSyscall = atSyscallEnd != null && atSyscallEnd.equals(regs)
                || enteringHandlerOf != 0 && handlers.justEntered(enteringHandlerOf, regs, tracee.memory());
        SignalInfo held = deferred.restore(signal, info);
        if (held == null && deferred.holds(signal)) {
            // another instance while one is held: merged into it, as into a pending standard signal
            atSyscallEnd = null;
            enteringHandlerOf = 0;
            return;
        }
        if (held != null) {
            info = held;
            if (!rightAfterSyscall) {
                // it landed somewhere after the last input: the expansion must stop at that input, not run on past it
                writer.unplacedStop();
                throw Handover.end(tracee, timestamps, syscalls, "asynchronous " + signal.name() + " to a handler,"
                        + " between system calls, and no system call within " + DeferredSignals.BOUND_MILLIS
                        + " ms to deliver it at (its position cannot be replayed without a branch counter)",
                        signal, deferred);
            }
        }
        SignalPolicy.Decision decision = SignalPolicy.decide(tracee.pid(), info, rightAfterSyscall);
        if (decision.action() == SignalPolicy.Action.DEFER) {
            deferred.defer(signal, info);
            deliver = null;
            atSyscallEnd = null;
            enteringHandlerOf = 0;
            return;
        }
        if (decision.action() == SignalPolicy.Action.END) {
            writer.unplacedStop(); // between syscalls, or at a call's end: either way after the last input

            throw Handover.end(tracee, timestamps, syscalls, decision.reason(), signal, deferred);
        }
        writer.signal(signal.number(), info.code(), info.faultAddress() == null ? 0 : info.faultAddress().value());
        deliver = signal;
        atSyscallEnd = null;
        enteringHandlerOf = rightAfterSyscall ? signal.number() : 0;
    }

    /** The program is ending (exit event, or gone): logs its exit call, reaps it, says how it ended. */
    private ExitStatus finish(StopEvent stop) {
        if (pending != null && (pending.number() == SyscallNumber.EXIT || pending.number() == SyscallNumber.EXIT_GROUP)) {
            writer.syscall(pending.number(), pending.args(), 0);
            syscalls++;
        }
        while (!stop.isTerminal()) {
            stop = tracee.cont();
        }
        progress.publish(0, 0, stops);
        if (stop instanceof StopEvent.Exited exited) {
            return ExitStatus.exited(exited.code());
        }
        return ExitStatus.killedBy(((StopEvent.Killed) stop).signal().number());
    }
}
