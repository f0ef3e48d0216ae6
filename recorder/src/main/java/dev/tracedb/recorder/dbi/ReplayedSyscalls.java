package dev.tracedb.recorder.dbi;

import static dev.tracedb.machine.linux.SyscallNumber.EXECVE;
import static dev.tracedb.machine.linux.SyscallNumber.EXECVEAT;
import static dev.tracedb.machine.linux.SyscallNumber.EXIT;
import static dev.tracedb.machine.linux.SyscallNumber.EXIT_GROUP;
import static dev.tracedb.machine.linux.SyscallNumber.MMAP;
import static dev.tracedb.machine.linux.SyscallNumber.MREMAP;
import static dev.tracedb.machine.linux.SyscallNumber.OPEN;
import static dev.tracedb.machine.linux.SyscallNumber.PRCTL;
import static dev.tracedb.machine.linux.SyscallNumber.RT_SIGRETURN;
import static dev.tracedb.machine.linux.SyscallNumber.SET_TID_ADDRESS;

import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteSyscalls;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.recorder.RecordingStoppedException;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TimestampRead;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The expansion's {@link SyscallBoundary}: the program's syscalls, timestamp reads and faults are
 * matched one by one against a recorded inputs-only run ({@link RecordedInputs}), in order.
 *
 * <ul>
 * <li><b>Executed</b> (they make the address space and the kernel state the program goes on
 *     with): mmap, mprotect, munmap, mremap, brk, madvise, arch_prctl, set_tid_address,
 *     set_robust_list, rseq, rt_sigaction, rt_sigprocmask, sigaltstack, rt_sigreturn,
 *     prctl(PR_SET_TSC), exit, exit_group. An mmap is forced to its recorded address
 *     (MAP_FIXED_NOREPLACE, rdi), a file mapping gets a real descriptor (r8) of the recorded file,
 *     opened by an injected open and checked against the recorded size, mtime and inode; an
 *     mremap that moved is forced with MREMAP_FIXED. The argument registers are put back at the
 *     result trap, so the program sees exactly the recorded registers. The result must equal the
 *     recorded one (set_tid_address's is replaced by it: the recorded tid).</li>
 * <li><b>Emulated</b> (everything else, and an executed call that failed when recorded): the
 *     {@code syscall} instruction is skipped (rip onto the result trap after it), rax is the
 *     recorded result, r11 the flags as the kernel leaves them, and the recorded bytes are
 *     written into the program. Nothing reaches the outside again.</li>
 * <li><b>rdtsc/rdtscp</b>: in a run that logged counter reads, the translator copies each as an
 *     undefined instruction ({@link TimestampReads}), which faults in the cache (SIGILL); rax, rdx
 *     (and rcx) take the next recorded value, rip goes past it. In a run that logged none they run
 *     natively ({@link RecordedInputs#holdsTimestampReads}).</li>
 * <li><b>Signals</b>: a synchronous fault happens again by itself and is delivered by the engine
 *     as in a recording. Any other recorded signal (raise, kill, an interrupted call, one ignored
 *     or fatal) follows an input in the log: it is sent (tgkill) once that input is served, with
 *     the recorded si_code, and the kernel delivers it at that point. A fatal one that arrived
 *     between syscalls natively thus ends the expansion at the syscall before (known limit).</li>
 * <li><b>exec</b>: a successful exec ended the inputs run, and the expansion ends there too.</li>
 * </ul>
 *
 * <p>Any mismatch (number, arguments, result of an executed call, an input of another kind)
 * throws {@link ExpansionDivergedException}; the run of inputs ending first (its recording
 * stopped there) throws {@link RecordingStoppedException}, right after the last input if the recording
 * stopped at a point its log cannot place ({@link RecordedInputs#stopsAtLastInput}). Signals are checked by
 * {@link #delivered}. Not thread-safe: tracer thread, tracee stopped.
 */
final class ReplayedSyscalls implements SyscallBoundary {
    /** Offset of si_code in siginfo_t. */
    private static final int SI_CODE = 8;
    private static final long MAP_FIXED = 0x10;
    private static final long MAP_ANONYMOUS = 0x20;
    private static final long MAP_FIXED_NOREPLACE = 0x100000;
    private static final long MREMAP_FIXED = 2;
    private static final int O_RDONLY_CLOEXEC = 0x80000;
    /** mmap, mprotect, munmap, brk, rt_sigaction, rt_sigprocmask, rt_sigreturn, mremap, madvise, sigaltstack, arch_prctl, set_tid_address, set_robust_list, rseq, exit, exit_group. */
    private static final Set<Integer> EXECUTED = Set.of(9, 10, 11, 12, 13, 14, 15, 25, 28, 131, 158, 218, 273, 334,
            EXIT, EXIT_GROUP);
    private static final Register[] ARGS = {Register.RDI, Register.RSI, Register.RDX, Register.R10, Register.R8,
        Register.R9};

    private final Tracee tracee;
    private final SharedRegion region;
    private final RecordedInputs inputs;
    /** Descriptors opened in the tracee for recorded file mappings, by path; kept open (the program never sees them). */
    private final Map<String, Integer> openFiles = new HashMap<>();
    /** Syscalls matched so far: the K of a divergence message. */
    private long syscalls;
    private long timestamps;
    private long signals;
    private long emulated;
    private SyscallResult current;
    /** A recorded signal sent to the tracee and not yet at its delivery-stop, or null. */
    private SignalDelivered injected;
    /** The current call runs in the kernel (its result is then checked at the result trap). */
    private boolean executing;

    ReplayedSyscalls(Tracee tracee, SharedRegion region, RecordedInputs inputs) {
        this.tracee = tracee;
        this.region = region;
        this.inputs = inputs;
    }

    @Override
    public void entering(int number, long[] args, Registers regs) {
        syscalls++;
        RecordedInputs.Input next = inputs.next();
        String issued = describe(number, args);
        if (next == null) {
            throw new RecordingStoppedException("the inputs run ends before syscall " + syscalls + " (" + issued
                    + "): the expansion stops there (an incomplete inputs run ends where its recording stopped)");
        }
        if (!(next instanceof RecordedInputs.Syscall s)) {
            throw diverged("syscall " + syscalls, describe(next), issued);
        }
        SyscallResult call = s.call();
        if (call.number() != number || !Arrays.equals(call.args(), args)) {
            throw diverged("syscall " + syscalls, describe(call.number(), call.args()), issued);
        }
        current = call;
        long result = call.result();
        if ((number == EXECVE || number == EXECVEAT) && result == 0) {
            throw new RecordingStoppedException("the recorded program executed another program at syscall " + syscalls
                    + " (" + issued + "): its inputs run ends there, and so does the expansion");
        }
        executing = executed(number, args) && (!failed(result) || number == EXIT || number == EXIT_GROUP);
        if (executing) {
            force(number, args, regs, s);
            return;
        }
        emulated++;
        for (MemoryWritten w : s.written()) {
            tracee.memory().write(RemoteAddress.of(w.address()), w.bytes());
        }
        // The kernel's syscall leaves rcx (set by the translation after the result trap) and r11 = rflags.
        tracee.setRegisters(regs.set(Register.RAX, result).set(Register.R11, regs.get(Register.EFLAGS))
                .setRip(regs.rip().plus(2)));
    }

    @Override
    public long returned(int number, long[] args, Registers regs) {
        if (!executing) {
            injectRecordedSignal();
            return regs.rax();
        }
        executing = false;
        long got = regs.rax();
        for (int i = 0; i < ARGS.length; i++) {
            regs.set(ARGS[i], args[i]);
        }
        long want = current.result();
        if (number == SET_TID_ADDRESS) {
            got = want;
        }
        regs.set(Register.RAX, got);
        tracee.setRegisters(regs);
        if (got != want) {
            throw new ExpansionDivergedException(String.format("expansion diverged at syscall %d: recorded %s returning"
                    + " %s, it returned %s when run", syscalls, describe(number, args), hex(want), hex(got)));
        }
        injectRecordedSignal();
        return got;
    }

    /** rt_sigreturn has no result trap: a signal the frame's mask let in natively is sent from here. */
    @Override
    public void sigreturned() {
        executing = false;
        injectRecordedSignal();
        stopIfLastInput();
    }

    /** The syscall or signal just served is logged. */
    @Override
    public void logged() {
        stopIfLastInput();
    }

    /**
     * After the last input of a run whose recording stopped at a point its log cannot place (a
     * signal between syscalls), the expansion stops: what the program ran next ran, natively,
     * with that signal somewhere in it, which the expansion cannot reproduce.
     */
    private void stopIfLastInput() {
        if (inputs.peek() == null && inputs.stopsAtLastInput()) {
            throw new RecordingStoppedException("the inputs run ends after syscall " + syscalls + " at a point its log"
                    + " cannot place (a signal between syscalls): the expansion stops at its last input");
        }
    }

    @Override
    public boolean playsTimestampReads() {
        return inputs.holdsTimestampReads();
    }

    @Override
    public SignalInfo arriving(Signal signal, SignalInfo info, Registers regs) {
        if (injected != null && signal.number() == injected.signo()) {
            // Ours (tgkill from the tracer): it goes in as the recorded one, with its si_code.
            byte[] raw = tracee.rawSignalInfo();
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putInt(SI_CODE, injected.code());
            tracee.setSignalInfo(raw);
            injected = null;
            return tracee.signalInfo();
        }
        if (!signal.equals(Signal.SIGILL) || !region.contains(regs.rip().value())) {
            return info;
        }
        TimestampReads substitute = TimestampReads.substitutedAt(tracee.memory().read(regs.rip(), 3));
        if (substitute == null) {
            return info;
        }
        timestamps++;
        RecordedInputs.Input next = inputs.next();
        if (!(next instanceof RecordedInputs.Timestamp t)) {
            throw diverged("timestamp read " + timestamps, next == null ? "the end of the inputs" : describe(next),
                    substitute.name().toLowerCase(Locale.ROOT));
        }
        TimestampRead read = t.read();
        regs.set(Register.RAX, read.value() & 0xffffffffL).set(Register.RDX, read.value() >>> 32);
        if (substitute == TimestampReads.RDTSCP) {
            regs.set(Register.RCX, read.aux());
        }
        tracee.setRegisters(regs.setRip(regs.rip().plus(substitute.length())));
        injectRecordedSignal();
        stopIfLastInput();
        return null;
    }

    /**
     * A signal the recording saw arrive from outside the program's instructions (raise, kill,
     * an interrupted call, one ignored or fatal) is logged right after the input it followed:
     * it is sent now, so the kernel delivers it when the tracee resumes, at the same point (the
     * end of that syscall). A synchronous fault is not sent: the instruction raises it again.
     */
    private void injectRecordedSignal() {
        if (injected == null && inputs.peek() instanceof RecordedInputs.Delivery d && !synchronousFault(d.signal())) {
            injected = d.signal();
            tracee.signal(Signal.of(injected.signo()));
        }
    }

    private static boolean synchronousFault(SignalDelivered s) {
        return s.code() > 0 && (s.signo() == 4 || s.signo() == 5 || s.signo() == 7 || s.signo() == 8 || s.signo() == 11);
    }

    /** A signal is being delivered to the program (logged now): it must be the next recorded input. */
    void delivered(int signo, int code, long address) {
        signals++;
        RecordedInputs.Input next = inputs.next();
        String issued = "signal " + signo + " (code " + code + ", address " + hex(address) + ")";
        if (!(next instanceof RecordedInputs.Delivery d)) {
            throw diverged("signal " + signals, next == null ? "the end of the inputs" : describe(next), issued);
        }
        SignalDelivered s = d.signal();
        if (s.signo() != signo || s.code() != code || s.address() != address) {
            throw diverged("signal " + signals, describe(next), issued);
        }
        // Another recorded right after it came with no instruction between (both pending, the
        // kernel stacks both frames): it must be pending now too.
        injectRecordedSignal();
    }

    /** Syscalls skipped (results from the log) so far, out of all matched. */
    long emulated() {
        return emulated;
    }

    long syscalls() {
        return syscalls;
    }

    private static boolean executed(int number, long[] args) {
        return EXECUTED.contains(number) || number == PRCTL && args[0] == RemoteSyscalls.PR_SET_TSC;
    }

    private static boolean failed(long result) {
        return result < 0 && result >= -4095;
    }

    /** Sets the registers so the call makes what it made when recorded, where it made it. */
    private void force(int number, long[] args, Registers regs, RecordedInputs.Syscall recorded) {
        long result = recorded.call().result();
        if (number == MMAP && (args[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) == 0) {
            regs.set(Register.RDI, result).set(Register.R10, args[3] | MAP_FIXED_NOREPLACE);
        }
        if (number == MMAP && (args[3] & MAP_ANONYMOUS) == 0) {
            if (recorded.file() == null) {
                throw new RecordingStoppedException("syscall " + syscalls + " (" + describe(number, args)
                        + ") maps a file the inputs run does not name; it cannot be expanded");
            }
            regs.set(Register.R8, descriptorFor(recorded.file()));
        }
        if (number == MREMAP && result != args[0] && (args[3] & MREMAP_FIXED) == 0) {
            regs.set(Register.R10, args[3] | MREMAP_FIXED).set(Register.R8, result);
        }
        tracee.setRegisters(regs);
    }

    /** A descriptor in the tracee for the recorded file, after checking it is the file that was mapped. */
    private int descriptorFor(FileMapped file) {
        Integer known = openFiles.get(file.path());
        if (known != null) {
            return known;
        }
        RecordedFiles.requireUnchanged(file);
        int fd;
        try (RemoteSyscalls remote = new RemoteSyscalls(tracee)) {
            RemoteAddress path = remote.writeString(file.path());
            long r = remote.syscall(OPEN, path.value(), O_RDONLY_CLOEXEC, 0);
            if (failed(r)) {
                throw new RecordingStoppedException("cannot open " + file.path() + " in the expansion (errno " + -r
                        + "), which the recorded program mapped");
            }
            fd = (int) r;
        }
        openFiles.put(file.path(), fd);
        return fd;
    }

    private static ExpansionDivergedException diverged(String where, String recorded, String issued) {
        return new ExpansionDivergedException("expansion diverged at " + where + ": recorded " + recorded
                + ", the program issued " + issued);
    }

    private static String describe(RecordedInputs.Input input) {
        if (input instanceof RecordedInputs.Syscall s) {
            return describe(s.call().number(), s.call().args());
        }
        if (input instanceof RecordedInputs.Timestamp) {
            return "a timestamp read (rdtsc)";
        }
        SignalDelivered s = ((RecordedInputs.Delivery) input).signal();
        return "signal " + s.signo() + " (code " + s.code() + ", address " + hex(s.address()) + ")";
    }

    private static String describe(int number, long[] args) {
        StringBuilder b = new StringBuilder("syscall ").append(number).append('(');
        for (int i = 0; i < args.length; i++) {
            b.append(i == 0 ? "" : ", ").append(hex(args[i]));
        }
        return b.append(')').toString();
    }

    private static String hex(long v) {
        return v < 0 && v >= -4095 ? Long.toString(v) : "0x" + Long.toHexString(v);
    }
}
