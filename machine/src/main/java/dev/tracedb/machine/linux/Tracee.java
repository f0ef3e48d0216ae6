package dev.tracedb.machine.linux;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.Set;

/**
 * One traced process (its initial thread), launched by this class or attached to.
 *
 * <p>Closing a launched tracee kills and reaps it; closing an attached one detaches it, so the
 * process runs on as before. Either way nothing is left stopped and no zombie remains.
 *
 * <p>Thread-safety: every method may be called from any thread; ptrace work is handed to the
 * {@link Tracer} thread (or done inline when already on it). {@link #kill()} and
 * {@link #memory()} never need the tracer thread. A tracee is either stopped (its registers can
 * be read and written, it can be resumed) or running (after {@link #resume} until
 * {@link #waitForStop}); methods check that state and fail clearly when it is wrong.
 */
public final class Tracee implements AutoCloseable {
    /** How the process came under our control; decides what close() does. */
    private enum Origin { LAUNCHED, ATTACHED }

    private enum State { STOPPED, RUNNING, GONE, DETACHED }

    private final Tracer tracer;
    private final int pid;
    private final Origin origin;
    private final RemoteMemory memory;
    // Native buffers for PTRACE_GETREGS and GETSIGINFO; only touched on the tracer thread.
    private final Memory regsBuffer = new Memory(Register.STRUCT_SIZE);
    private final Memory scratch = new Memory(LibC.SIGINFO_SIZE);
    private volatile State state;
    private volatile StopEvent lastStop;

    private Tracee(Tracer tracer, int pid, Origin origin, StopEvent stop) {
        this.tracer = tracer;
        this.pid = pid;
        this.origin = origin;
        this.memory = new RemoteMemory(pid);
        this.state = State.STOPPED;
        this.lastStop = stop;
        tracer.register(this);
    }

    /**
     * Starts a program stopped at its first instruction (the ELF entry of a static program, the
     * dynamic loader's entry otherwise), before anything of it has run. See {@link Launcher}.
     *
     * @throws LaunchException if the program does not exist, is not executable or exec fails
     */
    public static Tracee launch(Tracer tracer, LaunchOptions options) {
        return tracer.call(() -> Launcher.launch(tracer, options));
    }

    /** Launch with {@link LaunchOptions} defaults. */
    public static Tracee launch(Tracer tracer, String program, String... args) {
        return launch(tracer, LaunchOptions.builder(program).args(args).build());
    }

    /**
     * Attaches to a running process with {@code PTRACE_SEIZE} and stops it with
     * {@code PTRACE_INTERRUPT}. Unlike {@code PTRACE_ATTACH} this sends no SIGSTOP, so the
     * process's own signal state is untouched. Only the thread {@code pid} is traced.
     */
    public static Tracee attach(Tracer tracer, int pid, Set<TraceOption> options) {
        return tracer.call(() -> {
            if (LibC.ptrace(LibC.PTRACE_SEIZE, pid, 0, TraceOption.bits(options)) == -1) {
                throw LibC.failure("ptrace(PTRACE_SEIZE, " + pid + ")");
            }
            if (LibC.ptrace(LibC.PTRACE_INTERRUPT, pid, 0, 0) == -1) {
                ErrnoException e = LibC.failure("ptrace(PTRACE_INTERRUPT, " + pid + ")");
                LibC.ptrace(LibC.PTRACE_DETACH, pid, 0, 0);
                throw e;
            }
            Tracee tracee = new Tracee(tracer, pid, Origin.ATTACHED, null);
            tracee.state = State.RUNNING;
            StopEvent stop = tracee.waitForStop();
            if (stop.isTerminal()) {
                throw new IllegalStateException("process " + pid + " ended while attaching: " + stop);
            }
            return tracee;
        });
    }

    /** Attaches with {@link TraceOption#defaults()} minus EXITKILL: an attached process survives us. */
    public static Tracee attach(Tracer tracer, int pid) {
        Set<TraceOption> options = TraceOption.defaults();
        options.remove(TraceOption.EXITKILL);
        return attach(tracer, pid, options);
    }

    /**
     * A child process the kernel attached to us when {@code parent} forked, vforked or cloned
     * (options {@link TraceOption#TRACEFORK}, {@code TRACEVFORK}, {@code TRACECLONE}); {@code pid}
     * comes from the parent's event message. Its first stop is due: call {@link #waitForStop}, which
     * waits for this pid alone, so the parent's stops are never consumed here. Closing it detaches
     * it, like an attached process.
     */
    public static Tracee autoAttached(Tracee parent, int pid) {
        return parent.tracer.call(() -> {
            Tracee child = new Tracee(parent.tracer, pid, Origin.ATTACHED, null);
            child.state = State.RUNNING;
            return child;
        });
    }

    /** A tracee already seized and stopped by {@link Launcher}. */
    static Tracee launched(Tracer tracer, int pid, StopEvent stop) {
        return new Tracee(tracer, pid, Origin.LAUNCHED, stop);
    }

    public int pid() {
        return pid;
    }

    public Tracer tracer() {
        return tracer;
    }

    /** The last stop reported by waitpid; null if none was seen yet. */
    public StopEvent lastStop() {
        return lastStop;
    }

    /** True until the process has exited or been killed (and reaped) or was detached. */
    public boolean isAlive() {
        State s = state;
        return s == State.STOPPED || s == State.RUNNING;
    }

    public boolean isStopped() {
        return state == State.STOPPED;
    }

    /** Whether the process was let go ({@link #detach}): it may still run, untraced. */
    public boolean isDetached() {
        return state == State.DETACHED;
    }

    /** The tracee's memory; usable from any thread, stopped or not. */
    public RemoteMemory memory() {
        return memory;
    }

    public Registers registers() {
        return tracer.call(() -> {
            requireStopped("read registers");
            if (LibC.ptrace(LibC.PTRACE_GETREGS, pid, 0, Pointer.nativeValue(regsBuffer)) == -1) {
                throw LibC.failure("ptrace(PTRACE_GETREGS, " + pid + ")");
            }
            return new Registers(regsBuffer.getLongArray(0, Register.values().length));
        });
    }

    public void setRegisters(Registers registers) {
        tracer.run(() -> {
            requireStopped("write registers");
            regsBuffer.write(0, registers.raw(), 0, Register.values().length);
            if (LibC.ptrace(LibC.PTRACE_SETREGS, pid, 0, Pointer.nativeValue(regsBuffer)) == -1) {
                throw LibC.failure("ptrace(PTRACE_SETREGS, " + pid + ")");
            }
        });
    }

    /** Details of the signal of the current signal-delivery-stop ({@code PTRACE_GETSIGINFO}). */
    public SignalInfo signalInfo() {
        return tracer.call(() -> {
            requireStopped("read siginfo");
            if (LibC.ptrace(LibC.PTRACE_GETSIGINFO, pid, 0, Pointer.nativeValue(scratch)) == -1) {
                throw LibC.failure("ptrace(PTRACE_GETSIGINFO, " + pid + ")");
            }
            return SignalInfo.decode(scratch.getByteBuffer(0, LibC.SIGINFO_SIZE));
        });
    }

    /**
     * The raw 128-byte {@code siginfo_t} of the current signal-delivery-stop, to be given back
     * later with {@link #setSignalInfo} (a signal held by the tracer and delivered at another stop
     * keeps what the kernel said about it).
     */
    public byte[] rawSignalInfo() {
        return tracer.call(() -> {
            requireStopped("read siginfo");
            if (LibC.ptrace(LibC.PTRACE_GETSIGINFO, pid, 0, Pointer.nativeValue(scratch)) == -1) {
                throw LibC.failure("ptrace(PTRACE_GETSIGINFO, " + pid + ")");
            }
            return scratch.getByteArray(0, LibC.SIGINFO_SIZE);
        });
    }

    /**
     * {@code PTRACE_SETSIGINFO} at a signal-delivery-stop: resuming with the signal whose number is
     * in {@code raw} delivers it with this siginfo (the kernel keeps it when the numbers agree).
     */
    public void setSignalInfo(byte[] raw) {
        if (raw.length != LibC.SIGINFO_SIZE) {
            throw new IllegalArgumentException("siginfo is " + LibC.SIGINFO_SIZE + " bytes, not " + raw.length);
        }
        tracer.run(() -> {
            requireStopped("write siginfo");
            scratch.write(0, raw, 0, raw.length);
            if (LibC.ptrace(LibC.PTRACE_SETSIGINFO, pid, 0, Pointer.nativeValue(scratch)) == -1) {
                throw LibC.failure("ptrace(PTRACE_SETSIGINFO, " + pid + ")");
            }
        });
    }

    /** The blocked-signal mask ({@code PTRACE_GETSIGMASK}): bit {@code n - 1} for signal {@code n}. */
    public long signalMask() {
        return tracer.call(() -> {
            requireStopped("read the signal mask");
            if (LibC.ptrace(LibC.PTRACE_GETSIGMASK, pid, LibC.KERNEL_SIGSET_SIZE, Pointer.nativeValue(scratch)) == -1) {
                throw LibC.failure("ptrace(PTRACE_GETSIGMASK, " + pid + ")");
            }
            return scratch.getLong(0);
        });
    }

    /** Sets the blocked-signal mask ({@code PTRACE_SETSIGMASK}; the kernel never blocks SIGKILL and SIGSTOP). */
    public void setSignalMask(long mask) {
        tracer.run(() -> {
            requireStopped("write the signal mask");
            scratch.setLong(0, mask);
            if (LibC.ptrace(LibC.PTRACE_SETSIGMASK, pid, LibC.KERNEL_SIGSET_SIZE, Pointer.nativeValue(scratch)) == -1) {
                throw LibC.failure("ptrace(PTRACE_SETSIGMASK, " + pid + ")");
            }
        });
    }

    /**
     * {@code PTRACE_GETEVENTMSG} at an {@link StopEvent.EventStop}: the new pid for fork, vfork
     * and clone, the exit status for exit, the former thread id for exec.
     */
    public long eventMessage() {
        return tracer.call(() -> {
            requireStopped("read the event message");
            if (LibC.ptrace(LibC.PTRACE_GETEVENTMSG, pid, 0, Pointer.nativeValue(scratch)) == -1) {
                throw LibC.failure("ptrace(PTRACE_GETEVENTMSG, " + pid + ")");
            }
            return scratch.getLong(0);
        });
    }

    /** {@code PTRACE_SETOPTIONS}: replaces the options given when the process was seized. */
    public void setOptions(Set<TraceOption> options) {
        tracer.run(() -> {
            requireStopped("set ptrace options");
            if (LibC.ptrace(LibC.PTRACE_SETOPTIONS, pid, 0, TraceOption.bits(options)) == -1) {
                throw LibC.failure("ptrace(PTRACE_SETOPTIONS, " + pid + ")");
            }
        });
    }

    /** Executes one instruction and waits; normally returns {@code SignalStop(SIGTRAP)}. */
    public StopEvent step() {
        return resumeAndWait(Resume.SINGLESTEP, null);
    }

    /** Continues without delivering a signal and waits for the next stop. */
    public StopEvent cont() {
        return resumeAndWait(Resume.CONTINUE, null);
    }

    /** Continues delivering {@code signal} (pass the signal of a signal-delivery-stop back). */
    public StopEvent cont(Signal signal) {
        return resumeAndWait(Resume.CONTINUE, signal);
    }

    /** Continues to the next syscall entry or exit (or other stop). */
    public StopEvent contToSyscall() {
        return resumeAndWait(Resume.SYSCALL, null);
    }

    public StopEvent resumeAndWait(Resume how, Signal signal) {
        return tracer.call(() -> {
            resume(how, signal);
            return waitForStop();
        });
    }

    /**
     * Restarts the stopped tracee without waiting. {@code signal} is delivered (meaningful at a
     * signal-delivery-stop), or null for none.
     */
    public void resume(Resume how, Signal signal) {
        tracer.run(() -> {
            requireStopped("resume");
            if (LibC.ptrace(how.request, pid, 0, signal == null ? 0 : signal.number()) == -1) {
                throw LibC.failure("ptrace(" + how + ", " + pid + ")");
            }
            state = State.RUNNING;
        });
    }

    /** Waits (blocking the tracer thread) until the running tracee stops or ends. */
    public StopEvent waitForStop() {
        return tracer.call(() -> {
            if (state != State.RUNNING) {
                throw new IllegalStateException("process " + pid + " is not running (" + state + ")");
            }
            int[] status = new int[1];
            while (LibC.waitpid(pid, status, LibC.__WALL) == -1) {
                int errno = LibC.errno();
                if (errno != LibC.EINTR) {
                    markGone();
                    throw new ErrnoException("waitpid(" + pid + ")", errno);
                }
            }
            StopEvent stop = StopEvent.decode(status[0]);
            lastStop = stop;
            if (stop.isTerminal()) {
                markGone();
            } else {
                state = State.STOPPED;
            }
            return stop;
        });
    }

    /**
     * {@code PTRACE_INTERRUPT}: asks a running tracee to stop; the stop arrives as a
     * {@link StopEvent.GroupStop} (or another stop that was already pending) via
     * {@link #waitForStop}. Must be issued on the tracer thread while nothing waits.
     */
    public void interrupt() {
        tracer.run(() -> {
            if (LibC.ptrace(LibC.PTRACE_INTERRUPT, pid, 0, 0) == -1) {
                throw LibC.failure("ptrace(PTRACE_INTERRUPT, " + pid + ")");
            }
        });
    }

    /** Sends {@code signal} with kill(2), from any thread; an error if the process is gone. */
    public void signal(Signal signal) {
        if (LibC.kill(pid, signal.number()) == -1) {
            throw LibC.failure("kill(" + pid + ", " + signal + ")");
        }
    }

    /**
     * Sends SIGKILL. Any thread; does not wait (a later {@link #waitForStop} or {@link #close}
     * reaps). Ends a wait in progress on the tracer thread.
     */
    public void kill() {
        if (isAlive() && LibC.kill(pid, Signal.SIGKILL.number()) == -1 && LibC.errno() != LibC.ESRCH) {
            throw LibC.failure("kill(" + pid + ", SIGKILL)");
        }
    }

    /**
     * Lets the process go on untraced: stops it first if it is running, then
     * {@code PTRACE_DETACH} without a signal.
     */
    public void detach() {
        detach(null);
    }

    /**
     * Detaches as {@link #detach()} does, delivering {@code signal} (null: none) to the process as
     * it goes on: meaningful at a signal-delivery-stop, where it stands for the signal being passed on.
     */
    public void detach(Signal signal) {
        tracer.run(() -> {
            if (!isAlive()) {
                throw new IllegalStateException("process " + pid + " is " + state + ", cannot detach");
            }
            if (state == State.RUNNING) {
                interrupt();
                StopEvent stop = waitForStop();
                if (stop.isTerminal()) {
                    return;
                }
            }
            if (LibC.ptrace(LibC.PTRACE_DETACH, pid, 0, signal == null ? 0 : signal.number()) == -1) {
                throw LibC.failure("ptrace(PTRACE_DETACH, " + pid + ")");
            }
            state = State.DETACHED;
            tracer.unregister(this);
            memory.close();
        });
    }

    /**
     * Lets a launched process run on untraced (unless it was detached already) and waits for its
     * end: it is still this JVM's child, so its exit status reaches us even though it is no longer
     * traced. Returns the terminal stop ({@link StopEvent.Exited} or {@link StopEvent.Killed}).
     */
    public StopEvent detachAndAwaitExit() {
        return tracer.call(() -> {
            if (origin != Origin.LAUNCHED) {
                throw new IllegalStateException("process " + pid + " is not our child: cannot wait for its exit");
            }
            if (state != State.DETACHED) {
                detach();
            }
            int[] status = new int[1];
            while (LibC.waitpid(pid, status, 0) == -1) {
                int errno = LibC.errno();
                if (errno != LibC.EINTR) {
                    throw new ErrnoException("waitpid(" + pid + ")", errno);
                }
            }
            StopEvent end = StopEvent.decode(status[0]);
            lastStop = end;
            state = State.GONE;
            return end;
        });
    }

    /**
     * Kills and reaps a launched process, detaches an attached one; nothing if it is already
     * gone or detached.
     */
    @Override
    public void close() {
        tracer.run(() -> {
            if (!isAlive()) {
                return;
            }
            if (origin == Origin.ATTACHED) {
                detach();
                return;
            }
            kill();
            // After SIGKILL the process may still report one PTRACE_EVENT_EXIT stop; run it to its end.
            while (isAlive()) {
                if (state == State.STOPPED) {
                    state = State.RUNNING;
                    if (LibC.ptrace(LibC.PTRACE_CONT, pid, 0, 0) == -1 && LibC.errno() != LibC.ESRCH) {
                        throw LibC.failure("ptrace(PTRACE_CONT, " + pid + ")");
                    }
                }
                waitForStop();
            }
        });
    }

    /** For {@link Launcher}: the process was seized while running; a stop report is due. */
    void markRunning() {
        state = State.RUNNING;
    }

    private void markGone() {
        state = State.GONE;
        tracer.unregister(this);
        memory.close();
    }

    private void requireStopped(String what) {
        tracer.checkThread();
        if (state != State.STOPPED) {
            throw new IllegalStateException("cannot " + what + ": process " + pid + " is " + state);
        }
    }

    @Override
    public String toString() {
        return "Tracee[" + pid + ", " + origin + ", " + state + "]";
    }
}
