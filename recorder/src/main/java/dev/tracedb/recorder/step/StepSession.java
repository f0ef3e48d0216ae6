package dev.tracedb.recorder.step;

import dev.tracedb.machine.linux.PtraceEvent;
import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.Resume;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.recorder.Block;
import dev.tracedb.recorder.BlockTable;
import dev.tracedb.recorder.ChildProcesses;
import dev.tracedb.recorder.CodeWrites;
import dev.tracedb.recorder.NoCodeReached;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.ProgramExecuted;
import dev.tracedb.recorder.Recording;
import dev.tracedb.recorder.RecordingStoppedException;
import dev.tracedb.recorder.RunTimeCodeReached;
import dev.tracedb.recorder.SteppedAside;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.Terminators;

import java.util.OptionalLong;

/**
 * One single-stepped run, on the tracer thread. The state is a cursor: the block being executed
 * and how many of its instructions have retired. Each step executes the instruction at the cursor
 * (or one iteration of it), and the pc afterwards says what happened:
 * <ul>
 * <li>pc is the next instruction, or the instruction was the block's control transfer: it retired.
 *     When the block's last instruction retires, the block is appended to the log and the next pc
 *     enters a new block (looked up in, or added to, the {@link BlockTable}).</li>
 * <li>pc did not move: a {@code rep} string instruction did one iteration (it retires once, when
 *     pc moves on: one count per execution, however many iterations), or the stop came before the
 *     instruction ran (a signal, or a single-step trap the kernel reports late after another
 *     signal).</li>
 * <li>anything else means the engine lost track, which is a bug: it fails rather than log a wrong
 *     stream.</li>
 * </ul>
 *
 * <p><b>Syscalls.</b> Before stepping a {@code syscall} the number ({@code rax}, which the kernel
 * copies to {@code orig_rax}) and the six argument registers are read, after it the result
 * ({@code rax}). {@code exit}/{@code exit_group} retire with result 0 at the exit event.
 *
 * <p><b>Processes</b> ({@link ChildProcesses}): a child process is detached at its birth stop and
 * runs natively; the parent's single-step over the creating syscall then goes on. Before a thread
 * ({@code CLONE_THREAD}) exists the recording steps aside ({@link SteppedAside}): the process,
 * on its {@code clone} not yet run, is detached and goes on natively. A
 * successful exec retires its syscall with result 0 and ends the recording ({@link ProgramExecuted}):
 * the new program runs on natively. Code generated at run time (JIT, {@link RunTimeCodeReached}) is
 * not recorded either: at its first instruction the process is detached and runs it natively.
 *
 * <p><b>Signals.</b> A stop for any signal but the step's SIGTRAP ends the current block early (its
 * retired prefix is appended), logs the signal, and passes it on. A signal the program catches
 * enters its handler in the next step without executing an instruction; the handler is then
 * recorded like any other code, and its {@code rt_sigreturn} goes back to the interrupted pc, which
 * starts a new block. A signal it does not catch is passed with the next step, in which the next
 * instruction runs (ignored), or the program dies (the run ends with the signal). If that signal
 * interrupted a syscall the kernel restarts it: the step executes the syscall again, so the cursor
 * moves back onto it. A program that raises SIGTRAP itself cannot be told from single-step traps
 * and is not supported; nor are job-control stops. A jump to an address with no executable code
 * (unmapped, or its execute permission taken away after it ran, {@link NoCodeReached}) is stepped
 * anyway: the fetch faults with the pc unchanged, as natively, and that SIGSEGV is handled as above.
 */
final class StepSession {
    /** Progress is published every this many steps: often enough for a display, cheap. */
    private static final int PUBLISH_EVERY = 4096;

    private final Tracee tracee;
    private final RunWriter writer;
    private final BlockTable blocks;
    private final Progress progress;

    private Registers regs;
    /** The block being executed, or null when the next pc starts a block. */
    private Block block;
    /** How many instructions of {@link #block} have retired. */
    private int retired;
    /** A signal the program catches: delivered by the next step, which enters the handler. */
    private Signal toHandler;
    /** A signal the program does not catch: passed with the next instruction's step. */
    private Signal passOn;
    private long stops;
    /** Whether a syscall about to run lets the program write its own code: the recording steps aside before it. */
    private final CodeWrites codeWrites;

    StepSession(Recording recording) {
        this.tracee = recording.tracee();
        this.writer = recording.writer();
        this.blocks = recording.blocks();
        this.progress = recording.progress();
        this.codeWrites = new CodeWrites(tracee.pid(), recording.modules());
    }

    ExitStatus run() {
        ChildProcesses.follow(tracee);
        regs = tracee.registers();
        while (true) {
            Instruction insn = null;
            long number = -1;
            long[] args = null;
            String execPath = null;
            StopEvent stop = null;
            if (toHandler != null) {
                stop = step(toHandler);
                toHandler = null;
            } else if (block == null) {
                try {
                    block = blocks.blockAt(regs.get(Register.RIP));
                } catch (RunTimeCodeReached jit) {
                    throw stepAsideAtRunTimeCode(jit);
                } catch (NoCodeReached noCode) {
                    stop = stepIntoFetchFault(noCode);
                }
                retired = 0;
            }
            if (stop == null) {
                long pc = regs.get(Register.RIP);
                insn = block.instruction(retired);
                if (insn.address() != pc) {
                    throw lostTrack(insn, pc);
                }
                if (isLast() && block.terminator() == Terminator.SYSCALL) {
                    number = regs.rax();
                    if (ChildProcesses.createsChild(number)) {
                        long flags = ChildProcesses.cloneFlags(tracee, regs);
                        if (ChildProcesses.startsThread(flags)) {
                            throw stepAsideBeforeSyscall(SteppedAside.threadStartingReason(ChildProcesses.callName(number)));
                        }
                        String refusal = ChildProcesses.refusal(number, flags);
                        if (refusal != null) {
                            throw new RecordingStoppedException(refusal);
                        }
                    }
                    args = Syscalls.arguments(regs);
                    String codeWrite = codeWrites.stepAsideCause(number, args);
                    if (codeWrite != null) {
                        throw stepAsideBeforeSyscall(CodeWrites.recordingStopped(codeWrite));
                    }
                    if (ChildProcesses.isExec(number)) {
                        execPath = ChildProcesses.execPath(tracee, regs);
                    }
                }
                stop = isEmulated(insn) ? stepWithBreakpoint(insn, passOn) : step(passOn);
                passOn = null;
            }
            if (stop.isTerminal() || stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXIT) {
                return finish(stop, number, args);
            }
            if (stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXEC) {
                retire(number, args, 0);
                throw ProgramExecuted.of(execPath);
            }
            if (!(stop instanceof StopEvent.SignalStop signalStop)) {
                throw new RecordingStoppedException("the program stopped in a way the step engine does not support: "
                        + stop + (stop instanceof StopEvent.GroupStop ? " (job control)" : ""));
            }
            regs = tracee.registers();
            if (insn != null) {
                account(insn, number, args);
            }
            if (!signalStop.signal().equals(Signal.SIGTRAP)) {
                signal(signalStop.signal());
            }
            if (stops % PUBLISH_EVERY == 0) {
                progress.publish(writer.blockEvents(), writer.instructions(), stops);
            }
        }
    }

    /**
     * The program is about to start a thread, or to make its own code writable ({@link CodeWrites}):
     * the recording steps aside. The tracee stands on the {@code syscall}, not yet run, with native
     * registers (rax the call's number): the retired prefix of the block is logged (the call is
     * not: it never ran here) and the process is detached, passing on a signal still owed to it,
     * to make the call and go on natively. {@code reason} is the one line for the user.
     */
    private SteppedAside stepAsideBeforeSyscall(String reason) {
        endBlockEarly();
        progress.publish(writer.blockEvents(), writer.instructions(), stops);
        tracee.detach(passOn);
        passOn = null;
        return new SteppedAside(reason);
    }

    /**
     * Execution reached code generated at run time (JIT), which a run does not record: the recording
     * steps aside. The tracee stands on the JIT code's first instruction, not yet run, with native
     * registers (the branch that went there retired and is logged): it is detached, passing on a
     * signal still owed to it, and runs that code natively.
     */
    private SteppedAside stepAsideAtRunTimeCode(RunTimeCodeReached jit) {
        progress.publish(writer.blockEvents(), writer.instructions(), stops);
        tracee.detach(passOn);
        passOn = null;
        return new SteppedAside(jit.stepAsideReason());
    }

    /**
     * Nothing executable at the pc (unmapped, or its execute permission taken away after it ran):
     * the step faults on fetching it, rip unchanged, as a plain run does; {@link #signal} logs that
     * SIGSEGV. If the step ran something instead, the maps changed under the engine: it stops.
     */
    private StopEvent stepIntoFetchFault(NoCodeReached noCode) {
        StopEvent stop = step(passOn);
        passOn = null;
        if (stop instanceof StopEvent.SignalStop s && s.signal().equals(Signal.SIGTRAP)) {
            throw noCode;
        }
        return stop;
    }

    private StopEvent step(Signal signal) {
        stops++;
        StopEvent stop = tracee.resumeAndWait(Resume.SINGLESTEP, signal);
        while (ChildProcesses.isChildEvent(stop)) {
            // The child stands after the syscall, where a native child starts: let it go as it is. The
            // parent is still inside the syscall; the step goes on to its end.
            ChildProcesses.stoppedChild(tracee).detach();
            stop = tracee.resumeAndWait(Resume.SINGLESTEP, null);
        }
        return stop;
    }

    /**
     * Instructions the hypervisor of these VMs emulates: it drops the trap flag for them, so a
     * single-step over {@code cpuid} runs the next instruction too (seen on the test machines).
     */
    private static boolean isEmulated(Instruction insn) {
        return insn.mnemonic().equals("cpuid");
    }

    /**
     * Executes exactly {@code insn}, which does not transfer control, by running to an int3
     * written over the next instruction, which is restored at once. The int3 leaves pc one byte
     * past it; the pc is set back so the state is what a single-step would have left.
     */
    private StopEvent stepWithBreakpoint(Instruction insn, Signal signal) {
        RemoteAddress next = RemoteAddress.of(insn.nextAddress());
        byte[] saved = tracee.memory().read(next, 1);
        tracee.memory().write(next, new byte[] {(byte) 0xcc});
        StopEvent stop;
        try {
            stops++;
            stop = tracee.resumeAndWait(Resume.CONTINUE, signal);
        } finally {
            if (tracee.isAlive()) {
                tracee.memory().write(next, saved);
            }
        }
        if (stop instanceof StopEvent.SignalStop s && s.signal().equals(Signal.SIGTRAP)) {
            Registers after = tracee.registers();
            if (after.get(Register.RIP) == next.value() + 1) {
                tracee.setRegisters(after.set(Register.RIP, next.value()));
            }
        }
        return stop;
    }

    private boolean isLast() {
        return retired == block.instructionCount() - 1;
    }

    /** Decides from the pc after a step whether {@code insn} retired; see the class comment. */
    private void account(Instruction insn, long number, long[] args) {
        long pc = regs.get(Register.RIP);
        boolean transfers = isLast() && block.terminator() != Terminator.FALL_THROUGH;
        if (pc == insn.address()) {
            OptionalLong target = insn.directTarget();
            boolean selfLoop = transfers && target.isPresent() && target.getAsLong() == pc;
            if (Terminators.isRepeatedString(insn) || !selfLoop) {
                return;
            }
        } else if (pc != insn.nextAddress() && !transfers) {
            throw lostTrack(insn, pc);
        }
        retire(number, args, regs.rax());
    }

    private void retire(long number, long[] args, long result) {
        retired++;
        if (retired == block.instructionCount()) {
            writer.appendExec(block.id());
            block = null;
            retired = 0;
        }
        if (number >= 0) {
            writer.syscall((int) number, args, result);
            forgetChangedCode(number, args, result);
        }
    }

    /** Blocks decoded from memory that a syscall unmapped or remapped must be decoded again. */
    private void forgetChangedCode(long number, long[] args, long result) {
        if (result < 0 && result > -4096) {
            return;
        }
        if (number == Syscalls.MUNMAP || number == Syscalls.MPROTECT || number == Syscalls.MREMAP) {
            blocks.forget(args[0], args[1]);
        }
        if (number == Syscalls.MMAP) {
            blocks.forget(result, args[1]);
        }
        if (number == Syscalls.MREMAP) {
            blocks.forget(result, args[2]);
        }
    }

    /** Appends the retired part of the current block, if any; the next pc starts a block. */
    private void endBlockEarly() {
        if (block != null && retired > 0) {
            writer.appendExec(blocks.prefix(block, retired).id());
        }
        block = null;
        retired = 0;
    }

    private void signal(Signal signal) {
        SignalInfo info = tracee.signalInfo();
        endBlockEarly();
        writer.signal(signal.number(), info.code(), info.faultAddress() == null ? 0 : info.faultAddress().value());
        if (SignalDispositions.isCaught(tracee.pid(), signal.number())) {
            toHandler = signal;
            return;
        }
        passOn = signal;
        long pc = regs.get(Register.RIP);
        if (Syscalls.isRestart(regs.rax()) && isSyscallBefore(pc)) {
            // Without a handler the kernel rewinds to the interrupted syscall and runs it again in
            // the step that passes the signal on: that step executes the syscall, not the insn at pc.
            block = blocks.blockAt(pc - 2);
            retired = 0;
            regs.set(Register.RIP, pc - 2);
            regs.set(Register.RAX, regs.get(Register.ORIG_RAX));
        }
    }

    private boolean isSyscallBefore(long pc) {
        byte[] bytes = tracee.memory().read(RemoteAddress.of(pc - 2), 2);
        return (bytes[0] & 0xff) == 0x0f && (bytes[1] & 0xff) == 0x05;
    }

    /** The program is ending (exit event or already gone): log what retired, reap it, say how it ended. */
    private ExitStatus finish(StopEvent stop, long number, long[] args) {
        if (number >= 0 && Syscalls.isExit(number)) {
            retire(number, args, 0);
        } else {
            endBlockEarly();
        }
        while (!stop.isTerminal()) {
            stop = tracee.cont();
        }
        progress.publish(writer.blockEvents(), writer.instructions(), stops);
        if (stop instanceof StopEvent.Exited exited) {
            return ExitStatus.exited(exited.code());
        }
        return ExitStatus.killedBy(((StopEvent.Killed) stop).signal().number());
    }

    private IllegalStateException lostTrack(Instruction insn, long pc) {
        return new IllegalStateException(String.format(
                "step engine lost track: after %s in %s the pc is 0x%x (a bug in the step engine)", insn, block, pc));
    }
}
