package dev.tracedb.machine.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs system calls inside a stopped tracee, as rr's {@code AutoRemoteSyscalls} does, and puts
 * everything back on {@link #close()}: registers, the code bytes it borrowed, scratch memory.
 *
 * <p>How: it needs a {@code syscall} instruction (0f 05). If the two bytes before rip are one
 * (the tracee stopped just after a system call, the common case) it uses them; otherwise it
 * overwrites the two bytes at rip and restores them on close. Each call sets rax and the
 * argument registers, points rip at the instruction and runs the tracee with
 * {@code PTRACE_SYSCALL} to the syscall-enter-stop and then to the syscall-exit-stop, where rax
 * holds the result. {@code PTRACE_SYSCALL} rather than single-step because it also works for
 * execve: a single-step out of a system call reports an extra trap before the first instruction.
 *
 * <p>At a ptrace event stop (exec, clone, fork, vfork) the event's system call is first run to
 * its syscall-exit-stop, and the tracee stays there: the caller sees that stop instead of the
 * event stop.
 *
 * <p>At a syscall-enter-stop the pending call is first skipped (run as syscall -1) and on close
 * re-issued up to its enter-stop again, so the caller finds the tracee exactly as it left it.
 *
 * <p>Signals that arrive for the tracee meanwhile are held back and re-sent with kill(2) on
 * close (their siginfo is lost). If the tracee stopped inside an interrupted, restartable system
 * call (rax = -ERESTART*), close rewinds it so the call restarts as the kernel would have done;
 * at a signal-delivery-stop registers are restored exactly, and the signal passed back on
 * resume makes the kernel decide. After a successful {@link #execve} there is nothing to restore:
 * the old program is gone and the tracee stays at the new program's first instruction.
 *
 * <p>Not thread-safe: use one instance from one thread; each call is one task on the tracer
 * thread. Only the traced thread runs the calls; other threads of the process keep running.
 */
public final class RemoteSyscalls implements AutoCloseable {
    private static final byte[] SYSCALL_INSN = {0x0f, 0x05};
    private static final long PAGE = 4096;
    private static final long SCRATCH_SIZE = 16 * PAGE;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int AT_FDCWD = -100;
    private static final long PTRACE_GET_SYSCALL_INFO = 0x420e;
    private static final int PTRACE_SYSCALL_INFO_ENTRY = 1;

    private final Tracee tracee;
    private final Registers saved;
    private final StopEvent savedStop;
    private final RemoteAddress syscallAddress;
    /** The bytes we overwrote at {@link #syscallAddress}, or null if we borrowed existing ones. */
    private final byte[] overwritten;
    private final List<Signal> heldSignals = new ArrayList<>();
    private final boolean atSyscallEntry;
    private RemoteAddress scratch;
    private long scratchUsed;
    private boolean execed;
    private boolean closed;

    /** Prepares to run syscalls in {@code tracee}, which must be stopped. */
    public RemoteSyscalls(Tracee tracee) {
        this.tracee = tracee;
        Setup setup = tracee.tracer().call(this::setUp);
        saved = setup.registers();
        syscallAddress = setup.syscallAddress();
        overwritten = setup.overwritten();
        atSyscallEntry = setup.atSyscallEntry();
        savedStop = tracee.lastStop();
        if (atSyscallEntry) {
            skipPendingSyscall();
        }
    }

    private record Setup(Registers registers, RemoteAddress syscallAddress, byte[] overwritten,
                         boolean atSyscallEntry) {}

    private Setup setUp() {
        if (!tracee.isStopped()) {
            throw new IllegalStateException("remote syscalls need a stopped tracee: " + tracee);
        }
        if (tracee.lastStop() instanceof StopEvent.EventStop e) {
            finishEventSyscall(e.event());
        }
        Registers regs = tracee.registers();
        RemoteAddress rip = regs.rip();
        boolean entry = syscallEntry(tracee);
        if (Arrays.equals(readOrNull(rip.minus(2)), SYSCALL_INSN)) {
            return new Setup(regs, rip.minus(2), null, entry);
        }
        byte[] original = tracee.memory().read(rip, 2);
        tracee.memory().write(rip, SYSCALL_INSN);
        return new Setup(regs, rip, original, entry);
    }

    private byte[] readOrNull(RemoteAddress address) {
        try {
            return tracee.memory().read(address, 2);
        } catch (RemoteMemory.RemoteMemoryException unmapped) {
            return null;
        }
    }

    /**
     * A ptrace event stop (exec, clone, fork, vfork) lies inside a system call that has yet to
     * return: its result would overwrite our rax. So let that call finish to its syscall-exit-stop
     * first; the tracee stays there afterwards, which is where resuming would have taken it.
     */
    private void finishEventSyscall(PtraceEvent event) {
        if (event == PtraceEvent.EXIT) {
            throw new IllegalStateException("tracee " + tracee.pid() + " is exiting: no remote syscalls");
        }
        if (event == PtraceEvent.SECCOMP) {
            throw new UnsupportedOperationException("remote syscalls at a seccomp stop");
        }
        runToSyscallStop("exit of the syscall that caused " + event, true);
    }

    /**
     * At a syscall-enter-stop the kernel runs the syscall numbered orig_rax as soon as the tracee
     * resumes, whatever we put in the registers. So first let it "run" syscall -1 (which does
     * nothing) to its exit-stop; close rewinds rip so the real call is issued again.
     */
    private void skipPendingSyscall() {
        tracee.tracer().run(() -> {
            tracee.setRegisters(saved.copy().set(Register.ORIG_RAX, -1));
            runToSyscallStop("exit of the skipped syscall " + saved.get(Register.ORIG_RAX), true);
        });
    }

    /** Whether the tracee is at a syscall-enter-stop (its call has not run yet). */
    private static boolean syscallEntry(Tracee tracee) {
        if (!(tracee.lastStop() instanceof StopEvent.SyscallStop)) {
            return false;
        }
        com.sun.jna.Memory info = new com.sun.jna.Memory(88);
        long n = LibC.ptrace(PTRACE_GET_SYSCALL_INFO, tracee.pid(), info.size(), com.sun.jna.Pointer.nativeValue(info));
        if (n == -1) {
            throw LibC.failure("ptrace(PTRACE_GET_SYSCALL_INFO, " + tracee.pid() + ")");
        }
        return info.getByte(0) == PTRACE_SYSCALL_INFO_ENTRY;
    }

    /**
     * Runs system call {@code number} with up to six arguments and returns the raw result:
     * -4095..-1 is a negated errno.
     */
    public long syscall(int number, long... args) {
        if (args.length > 6) {
            throw new IllegalArgumentException("a system call takes at most 6 arguments");
        }
        requireOpen();
        return run(number, args);
    }

    private long run(int number, long... args) {
        return tracee.tracer().call(() -> {
            Registers regs = saved.copy();
            Register[] argRegs = {Register.RDI, Register.RSI, Register.RDX, Register.R10, Register.R8, Register.R9};
            for (int i = 0; i < args.length; i++) {
                regs.set(argRegs[i], args[i]);
            }
            // orig_rax -1: no restart logic may apply to the stop we start from.
            regs.set(Register.RAX, number).set(Register.ORIG_RAX, -1).setRip(syscallAddress);
            tracee.setRegisters(regs);
            runToSyscallStop("entry of syscall " + number, false);
            long entered = tracee.registers().get(Register.ORIG_RAX);
            if (entered != number) {
                throw new IllegalStateException("tracee " + tracee.pid() + " entered syscall " + entered
                        + " instead of " + number);
            }
            runToSyscallStop("exit of syscall " + number, true);
            return tracee.registers().rax();
        });
    }

    /** Like {@link #syscall} but throws {@link ErrnoException} on an error result. */
    public long check(String description, int number, long... args) {
        long result = syscall(number, args);
        if (result < 0 && result >= -4095) {
            throw new ErrnoException("remote " + description + " in process " + tracee.pid(), (int) -result);
        }
        return result;
    }

    private void runToSyscallStop(String what, boolean inside) {
        while (true) {
            StopEvent stop = tracee.resumeAndWait(Resume.SYSCALL, null);
            if (stop instanceof StopEvent.SyscallStop) {
                return;
            } else if (stop instanceof StopEvent.SignalStop s) {
                heldSignals.add(s.signal()); // suppressed now, re-sent on close
            } else if (stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXEC && inside) {
                execed = true;
            } else if (stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXIT) {
                throw new IllegalStateException("tracee " + tracee.pid() + " is exiting, at " + what);
            } else if (stop.isTerminal()) {
                throw new IllegalStateException("tracee " + tracee.pid() + " ended (" + stop + ") before " + what);
            }
            // Group-stops and other events: nothing ran yet; go on.
        }
    }

    public int getpid() {
        return (int) check("getpid()", SyscallNumber.GETPID);
    }

    /** mmap; {@code fd} -1 for anonymous memory. */
    public RemoteAddress mmap(RemoteAddress hint, long length, int prot, int flags, int fd, long offset) {
        return RemoteAddress.of(check("mmap(" + hint + ", " + length + ")", SyscallNumber.MMAP,
                hint.value(), length, prot, flags, fd, offset));
    }

    public void munmap(RemoteAddress address, long length) {
        check("munmap(" + address + ", " + length + ")", SyscallNumber.MUNMAP, address.value(), length);
    }

    /** openat(AT_FDCWD, path, flags, mode) with the path copied into scratch memory. */
    public int open(String path, int flags, int mode) {
        RemoteAddress remotePath = writeString(path);
        return (int) check("open(" + path + ")", SyscallNumber.OPENAT, AT_FDCWD, remotePath.value(), flags, mode);
    }

    public void closeFd(int fd) {
        check("close(" + fd + ")", SyscallNumber.CLOSE, fd);
    }

    public void chdir(String path) {
        check("chdir(" + path + ")", SyscallNumber.CHDIR, writeString(path).value());
    }

    /** prctl's option that decides whether rdtsc/rdtscp run or fault. */
    public static final int PR_SET_TSC = 26;
    private static final int PR_TSC_ENABLE = 1;
    private static final int PR_TSC_SIGSEGV = 2;

    /**
     * {@code prctl(PR_SET_TSC, …)}: with {@code trap}, rdtsc and rdtscp fault with SIGSEGV from now on
     * (the setting survives exec and is inherited by children), so a tracer can play the counter;
     * without, they run natively again.
     */
    public void trapTimestampCounter(boolean trap) {
        check("prctl(PR_SET_TSC, " + (trap ? "PR_TSC_SIGSEGV" : "PR_TSC_ENABLE") + ")", SyscallNumber.PRCTL, PR_SET_TSC,
                trap ? PR_TSC_SIGSEGV : PR_TSC_ENABLE);
    }

    /** personality(2); {@code 0xffffffff} queries without changing. */
    public int personality(int persona) {
        return (int) check("personality(" + Integer.toHexString(persona) + ")", SyscallNumber.PERSONALITY,
                persona & 0xffffffffL);
    }

    /**
     * execve with exact argv and environment. Returns 0 on success, the tracee then being stopped
     * at the new program's first instruction (syscall-exit-stop of execve); else the errno.
     */
    public int execve(String path, List<String> argv, List<String> env) {
        RemoteAddress remotePath = writeString(path);
        RemoteAddress remoteArgv = writeStringArray(argv);
        RemoteAddress remoteEnv = writeStringArray(env);
        long result = syscall(SyscallNumber.EXECVE, remotePath.value(), remoteArgv.value(), remoteEnv.value());
        return result == 0 ? 0 : (int) -result;
    }

    /** True once execve succeeded: there is nothing left to restore. */
    public boolean execed() {
        return execed;
    }

    /** Copies {@code bytes} into scratch memory (mapped in the tracee on first use). */
    public RemoteAddress writeBytes(byte[] bytes) {
        requireOpen();
        long size = (bytes.length + 15) & ~15L;
        if (scratch == null) {
            scratch = mmap(RemoteAddress.NULL, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        }
        if (scratchUsed + size > SCRATCH_SIZE) {
            throw new IllegalStateException("remote scratch memory full (" + SCRATCH_SIZE + " bytes)");
        }
        RemoteAddress at = scratch.plus(scratchUsed);
        tracee.memory().write(at, bytes);
        scratchUsed += size;
        return at;
    }

    public RemoteAddress writeString(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return writeBytes(Arrays.copyOf(utf8, utf8.length + 1));
    }

    /** A NULL-terminated array of pointers to copies of the strings, as execve wants. */
    public RemoteAddress writeStringArray(List<String> strings) {
        ByteBuffer pointers = ByteBuffer.allocate((strings.size() + 1) * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (String s : strings) {
            pointers.putLong(writeString(s).value());
        }
        pointers.putLong(0);
        return writeBytes(pointers.array());
    }

    /** Restores the tracee (unless it exec'd): scratch unmapped, code bytes and registers back. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (execed || !tracee.isAlive()) {
            return;
        }
        tracee.tracer().run(() -> {
            if (scratch != null) {
                run(SyscallNumber.MUNMAP, scratch.value(), SCRATCH_SIZE);
            }
            if (overwritten != null) {
                tracee.memory().write(syscallAddress, overwritten);
            }
            if (atSyscallEntry) {
                reenterSavedSyscall();
            } else {
                tracee.setRegisters(restartAdjusted(saved.copy()));
            }
            for (Signal signal : heldSignals) {
                LibC.kill(tracee.pid(), signal.number());
            }
        });
    }

    /**
     * Brings the tracee back to the syscall-enter-stop it was at: rewind to the syscall
     * instruction with the original number in rax, run to the enter-stop, and restore the
     * registers exactly. The caller sees the same stop as before, not a second one.
     */
    private void reenterSavedSyscall() {
        long nr = saved.get(Register.ORIG_RAX);
        tracee.setRegisters(saved.copy().set(Register.RAX, nr).set(Register.ORIG_RAX, -1)
                .setRip(saved.rip().minus(2)));
        runToSyscallStop("re-entry of syscall " + nr, false);
        long entered = tracee.registers().get(Register.ORIG_RAX);
        if (entered != nr) {
            throw new IllegalStateException("tracee " + tracee.pid() + " re-entered syscall " + entered
                    + " instead of " + nr);
        }
        tracee.setRegisters(saved);
    }

    /**
     * The registers to restore. We leave the tracee at a syscall-exit-stop, from which the kernel
     * returns straight to user mode; the restart handling it would have done at the original
     * stop must therefore be done here.
     */
    private Registers restartAdjusted(Registers regs) {
        long rax = regs.rax();
        long nr = regs.get(Register.ORIG_RAX);
        if (nr < 0 || savedStop instanceof StopEvent.SignalStop) {
            return regs;
        }
        RemoteAddress rewound = regs.rip().minus(2);
        if (rax == -512 || rax == -513 || rax == -514) { // ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND
            return regs.setRip(rewound).set(Register.RAX, nr);
        }
        if (rax == -516) { // ERESTART_RESTARTBLOCK
            return regs.setRip(rewound).set(Register.RAX, SyscallNumber.RESTART_SYSCALL);
        }
        return regs;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("remote syscalls already closed");
        }
    }
}
