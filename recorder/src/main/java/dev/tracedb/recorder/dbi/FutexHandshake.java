package dev.tracedb.recorder.dbi;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Condition;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.machine.x86.encode.Label;
import dev.tracedb.machine.x86.encode.Mem;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The miss handshake through shared memory ({@link MissHandshake#FUTEX}): no ptrace stop per
 * miss.
 *
 * <p>Tracee side, one shared routine (emitted once; it refers only to the region, so it runs
 * through any view). An exit stub stores its own region offset in {@link RegionLayout#MISS_STUB}
 * and jumps here. The routine switches to a private stack in the control page (the app's stack
 * and red zone are never touched), saves the flags and the registers the futex system calls
 * clobber, sets the state word to REQUEST, rings Java's doorbell (locked increment, FUTEX_WAKE),
 * then spins on the state word for {@link #TRACEE_SPINS} rounds of {@code pause} before sleeping
 * in FUTEX_WAIT, looping until the state is DONE. It then restores everything and jumps to
 * {@link RegionLayout#MISS_RESUME}, where Java put the translated target (or, for an indirect
 * miss, the lookup routine's retry point).
 *
 * <p>Java side (tracer thread): {@link #pending} and {@link #answer}; the stores that translate
 * and link happen while the tracee waits in the routine, and are published by the release store
 * of DONE (the tracee's load of it is ordered before its jump to the new code; x86 keeps stores
 * in order). Waiting for the doorbell spins first, then sleeps on it: cross-process wake-ups
 * cost tens of microseconds on these machines, and misses come in bursts.
 *
 * <p>Not thread-safe, except {@link #ring}, which the stop watcher thread calls.
 */
final class FutexHandshake {
    /**
     * Tracee-side spin rounds of {@code pause} before sleeping. Short: on this shared 2-core VM
     * (load ~5 while measured) a spinning tracee takes the CPU the translator needs; 100 beat
     * 300, 1000 and 3000 on dbi-simple-static (median of 5).
     */
    static final int TRACEE_SPINS = 100;
    private static final int SYS_FUTEX = 202;
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final SharedRegion region;
    private final ByteBuffer bytes;
    /** This JVM's address of the region's first byte (for futex calls on our own mapping). */
    private final long local;
    private int routineOffset = -1;
    private int reissueOffset = -1;

    FutexHandshake(SharedRegion region) {
        this.region = region;
        this.bytes = region.buffer();
        this.local = Pointer.nativeValue(Native.getDirectBufferPointer(bytes));
        LONGS.setRelease(bytes, RegionLayout.MISS_STATE, (long) RegionLayout.MISS_IDLE);
    }

    /**
     * Emits the routine into the cache, and after it the {@link ExitStub.Kind#REISSUE} trap,
     * which is returned; call once before translating.
     */
    ExitStub emitRoutine(CodeCache cache) {
        CacheView view = region.views().get(0);
        CacheAddress at = cache.next(view);
        Assembler a = new Assembler(new CodeBuffer(at.value()));
        Label wait = new Label();
        Label spin = new Label();
        Label done = new Label();
        a.mov(Mem.rip(slot(view, RegionLayout.MISS_SAVED_RSP)), Gpr.RSP);
        a.lea(Gpr.RSP, Mem.rip(slot(view, RegionLayout.MISS_STACK_TOP)));
        a.pushfq();
        Gpr[] saved = {Gpr.RAX, Gpr.RCX, Gpr.RDX, Gpr.RSI, Gpr.RDI, Gpr.R10, Gpr.R11};
        for (Gpr r : saved) {
            a.push(r);
        }
        a.mov(Mem.rip(slot(view, RegionLayout.MISS_STATE)), RegionLayout.MISS_REQUEST);
        a.mov32(Gpr.RAX, 1);
        a.lockXadd(Mem.rip(slot(view, RegionLayout.MISS_DOORBELL)), Gpr.RAX);
        futex(a, view, RegionLayout.MISS_DOORBELL, FUTEX_WAKE, 1);
        a.bind(wait);
        a.mov32(Gpr.RCX, TRACEE_SPINS);
        a.bind(spin);
        a.cmp(Mem.rip(slot(view, RegionLayout.MISS_STATE)), RegionLayout.MISS_DONE);
        a.jcc(Condition.E, done);
        a.buffer().emit8(0xf3); // pause
        a.buffer().emit8(0x90);
        a.sub(Gpr.RCX, 1);
        a.jcc(Condition.NE, spin);
        futex(a, view, RegionLayout.MISS_STATE, FUTEX_WAIT, RegionLayout.MISS_REQUEST);
        a.jmp(wait);
        a.bind(done);
        a.mov(Mem.rip(slot(view, RegionLayout.MISS_STATE)), RegionLayout.MISS_IDLE);
        for (int i = saved.length - 1; i >= 0; i--) {
            a.pop(saved[i]);
        }
        a.popfq();
        a.mov(Gpr.RSP, Mem.rip(slot(view, RegionLayout.MISS_SAVED_RSP)));
        a.jmp(Mem.rip(slot(view, RegionLayout.MISS_RESUME)));
        int reissue = a.position();
        a.int3();
        routineOffset = region.offsetOf(cache.commit(a.finish(), at));
        reissueOffset = routineOffset + reissue;
        return ExitStub.reissue(view.at(reissueOffset));
    }

    /** The trap that turns a request back into a ptrace stop (see {@link ExitStub.Kind#REISSUE}). */
    CacheAddress reissue() {
        return region.at(reissueOffset);
    }

    /** futex(word, op, value, NULL): rdi, rsi, rdx, r10 set; rax, rcx, r11 clobbered. */
    private static void futex(Assembler a, CacheView view, int word, int op, int value) {
        a.mov32(Gpr.RAX, SYS_FUTEX);
        a.lea(Gpr.RDI, Mem.rip(view.at(word).value()));
        a.mov32(Gpr.RSI, op);
        a.mov32(Gpr.RDX, value);
        a.xor(Gpr.R10, Gpr.R10);
        a.syscall();
    }

    private static long slot(CacheView view, int offset) {
        return view.at(offset).value();
    }

    /** The routine's entry in {@code view}. */
    CacheAddress routine(CacheView view) {
        if (routineOffset < 0) {
            throw new IllegalStateException("miss routine not emitted yet");
        }
        return view.at(routineOffset);
    }

    /**
     * Emits a stub's request: {@code mov qword [MISS_STUB], trapOffset; jmp routine}. Flags and
     * registers untouched.
     */
    void emitRequest(Assembler a, CacheView view, int trapOffset) {
        a.mov(Mem.rip(slot(view, RegionLayout.MISS_STUB)), trapOffset);
        a.jmp(routine(view).value());
    }

    /** The doorbell's current value, to sleep on. */
    long doorbell() {
        return (long) LONGS.getAcquire(bytes, RegionLayout.MISS_DOORBELL);
    }

    /** Whether the tracee waits for an answer. */
    boolean pending() {
        return (long) LONGS.getAcquire(bytes, RegionLayout.MISS_STATE) == RegionLayout.MISS_REQUEST;
    }

    /** The region offset of the stub that asks. */
    int stubOffset() {
        return (int) bytes.getLong(RegionLayout.MISS_STUB);
    }

    /** For an indirect miss: the app target the lookup did not find. */
    AppAddress iblMissTarget() {
        return AppAddress.of(bytes.getLong(RegionLayout.IBL_MISS_TARGET));
    }

    /** Lets the waiting tracee go on at {@code resume}. */
    void answer(CacheAddress resume) {
        bytes.putLong(RegionLayout.MISS_RESUME, resume.value());
        LONGS.setRelease(bytes, RegionLayout.MISS_STATE, (long) RegionLayout.MISS_DONE);
        Kernel.futexWake(local + RegionLayout.MISS_STATE);
    }

    /** Java-side spin rounds on the doorbell before sleeping on it; short for the same reason as {@link #TRACEE_SPINS}. */
    private static final int JAVA_SPINS = 200;

    /** Returns once the doorbell differs from {@code seen} (or the futex wait returns): spins first, then sleeps. */
    void awaitDoorbell(long seen) {
        int spins = JAVA_SPINS;
        while (spins-- > 0 && doorbell() == seen) {
            Thread.onSpinWait();
        }
        if (spins < 0) {
            Kernel.futexWait(local + RegionLayout.MISS_DOORBELL, (int) seen);
        }
    }

    /** Rings the doorbell from Java (any thread). */
    void ring() {
        LONGS.getAndAdd(bytes, RegionLayout.MISS_DOORBELL, 1L);
        Kernel.futexWake(local + RegionLayout.MISS_DOORBELL);
    }
}
