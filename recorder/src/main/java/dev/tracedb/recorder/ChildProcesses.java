package dev.tracedb.recorder;

import static dev.tracedb.machine.linux.SyscallNumber.CLONE;
import static dev.tracedb.machine.linux.SyscallNumber.CLONE3;
import static dev.tracedb.machine.linux.SyscallNumber.EXECVE;
import static dev.tracedb.machine.linux.SyscallNumber.EXECVEAT;
import static dev.tracedb.machine.linux.SyscallNumber.FORK;
import static dev.tracedb.machine.linux.SyscallNumber.VFORK;

import dev.tracedb.machine.linux.PtraceEvent;
import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.TraceOption;
import dev.tracedb.machine.linux.Tracee;
import java.util.EnumSet;
import java.util.Set;

/**
 * The one rule both engines follow for processes the recorded program creates: <em>the recorded
 * process is followed, a child process is not recorded and runs natively</em> (one log per run,
 * one process per log). Before a thread ({@code CLONE_THREAD}) exists the recording steps aside
 * ({@link SteppedAside#threadStartingReason}): the thread would share the process's code cache and ring,
 * and one stream per run cannot hold two threads, so the process is placed on its own
 * {@code syscall} instruction with the clone not yet run, detached, and goes on natively.
 *
 * <p>How a child gets away without running one instruction unobserved: the kernel attaches every
 * child to us at birth ({@link #OPTIONS}) and stops it before its first instruction; the engine
 * receives it from the parent's fork/vfork/clone event stop ({@link #stoppedChild}), puts it where
 * a native child would stand (the DBI engine moves it out of the code cache), and detaches it.
 * Stops are waited for by pid, so the child's birth stop is never taken for one of the parent's.
 *
 * <p>Stateless; call from the tracer thread.
 */
public final class ChildProcesses {
    /** {@code sched.h}: the new task shares the thread group (a thread, not a process). */
    public static final long CLONE_THREAD = 0x10000;
    /** The child shares the parent's memory (vfork, posix_spawn). */
    public static final long CLONE_VM = 0x100;
    /** The parent sleeps until the child execs or exits. */
    public static final long CLONE_VFORK = 0x4000;
    /** Forbids a tracer from attaching the child: it would run unobserved, so it is refused too. */
    public static final long CLONE_UNTRACED = 0x800000;

    private static final int PATH_MAX = 4096;

    /** Ptrace options of a recorded process: the defaults plus auto-attaching every child. */
    public static final Set<TraceOption> OPTIONS = options();

    private ChildProcesses() {}

    private static Set<TraceOption> options() {
        Set<TraceOption> options = EnumSet.copyOf(TraceOption.defaults());
        options.addAll(EnumSet.of(TraceOption.TRACEFORK, TraceOption.TRACEVFORK, TraceOption.TRACECLONE));
        return options;
    }

    /** Has the kernel attach the children of the stopped {@code tracee} to us at birth. */
    public static void follow(Tracee tracee) {
        tracee.setOptions(OPTIONS);
    }

    /** Whether {@code number} creates a process or thread (clone, fork, vfork, clone3). */
    public static boolean createsChild(long number) {
        return number == CLONE || number == FORK || number == VFORK || number == CLONE3;
    }

    /** Whether {@code number} replaces the program (execve, execveat). */
    public static boolean isExec(long number) {
        return number == EXECVE || number == EXECVEAT;
    }

    /**
     * The clone flags of the system call about to run with {@code regs} in {@code tracee}: clone's
     * first argument, the first field of clone3's {@code struct clone_args}, or what fork and vfork mean.
     */
    public static long cloneFlags(Tracee tracee, Registers regs) {
        long number = regs.rax();
        if (number == CLONE3) {
            try {
                return tracee.memory().readLong(RemoteAddress.of(regs.get(Register.RDI)));
            } catch (RuntimeException unreadable) {
                // clone3 will fail with EFAULT and create nothing (one thread: no one can map it meanwhile).
                return 0;
            }
        }
        if (number == CLONE) {
            return regs.get(Register.RDI);
        }
        return number == VFORK ? CLONE_VM | CLONE_VFORK : Signal.SIGCHLD.number();
    }

    /**
     * The program an exec about to run with {@code regs} names (execve's first argument, execveat's
     * second), read before it runs, for the user; "?" if unreadable (the exec then fails with EFAULT).
     */
    public static String execPath(Tracee tracee, Registers regs) {
        long pointer = regs.get(regs.rax() == EXECVEAT ? Register.RSI : Register.RDI);
        try {
            return tracee.memory().readCString(RemoteAddress.of(pointer), PATH_MAX);
        } catch (RuntimeException unreadable) {
            return "?";
        }
    }

    /** The name of a process-creating call, for messages. */
    public static String callName(long number) {
        return switch ((int) number) {
            case CLONE -> "clone";
            case CLONE3 -> "clone3";
            case FORK -> "fork";
            default -> "vfork";
        };
    }

    /** Whether a clone with {@code flags} creates a thread of the same process (the recording steps aside before it). */
    public static boolean startsThread(long flags) {
        return (flags & CLONE_THREAD) != 0;
    }

    /**
     * Why a clone with {@code flags} that {@linkplain #startsThread starts no thread} is refused
     * (one line), or null if its child can be let go natively.
     */
    public static String refusal(long number, long flags) {
        if ((flags & CLONE_UNTRACED) != 0) {
            return "the program creates a process with CLONE_UNTRACED (" + callName(number) + "): it would run its first"
                    + " instructions in the recorder's code cache unobserved; stopped before it existed";
        }
        return null;
    }

    /**
     * Why a thread is refused where the recorder cannot step aside (an expansion re-executes a
     * recorded run and must not let it go on natively: it would produce its effects again).
     */
    public static String threadRefusal(long number) {
        return "the program creates a thread (" + callName(number) + " with CLONE_THREAD): threads are not supported,"
                + " a run records one thread; stopped before the thread existed";
    }

    /** Whether {@code stop} is the parent's fork, vfork or clone event, with a new child stopped or about to stop. */
    public static boolean isChildEvent(StopEvent stop) {
        return stop instanceof StopEvent.EventStop e
                && (e.event() == PtraceEvent.FORK || e.event() == PtraceEvent.VFORK || e.event() == PtraceEvent.CLONE);
    }

    /**
     * The new child of {@code parent}, which is at its fork/vfork/clone event stop, once the child
     * too has stopped, before its first instruction. The caller sets it up and detaches it.
     */
    public static Tracee stoppedChild(Tracee parent) {
        int pid = (int) parent.eventMessage();
        Tracee child = Tracee.autoAttached(parent, pid);
        StopEvent first = child.waitForStop();
        if (first.isTerminal()) {
            throw new IllegalStateException("child process " + pid + " ended before its first instruction: " + first);
        }
        return child;
    }
}
