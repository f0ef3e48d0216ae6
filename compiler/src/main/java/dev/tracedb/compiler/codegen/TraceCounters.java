package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.cache.ModuleCode.Counter;
import dev.tracedb.compiler.cache.ModuleCode.CounterKind;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The counters of one trace's counting variant, and the one instruction sequence that bumps one:
 * <pre>
 *   lea rsp, [rsp-128]             ; below the red zone: a signal frame could not clobber it
 *   pushfq                         ; the program's flags, kept
 *   lock inc qword [rip+counter]   ; exact in multi-threaded programs
 *   popfq
 *   lea rsp, [rsp+128]
 * </pre>
 * No register changes, the flags come back as they were, and the only memory written is the
 * counter and one stack slot below the red zone, which the ABI leaves to whoever runs next (the
 * same rule the flags-free guard relies on). The sequence is correct at any point of a trace,
 * including between a guard's spill and its restore: it writes 136 bytes below rsp, under
 * anything a guard keeps in the red zone. Counters are numbered per trace, entry 0 and
 * completion (or iteration) 1 first; {@link ModuleBlob} renumbers them per module. Not thread-safe.
 */
final class TraceCounters {
    private static final int RED_ZONE = IndirectGuard.RED_ZONE;

    private final int traceId;
    private final List<Counter> counters = new ArrayList<>();
    private final Map<Long, Integer> exitsByTarget = new HashMap<>();
    private int guardExit = -1;

    /**
     * @param continuation the path's continuation: its module offset names the completion counter
     *                     (0 when it lies in another module)
     */
    TraceCounters(int traceId, long continuation) {
        this.traceId = traceId;
        this.continuation = continuation;
        counters.add(new Counter(traceId, CounterKind.ENTRY, 0));
        counters.add(null); // counter 1: completions or iterations, fixed by the first site that asks
    }

    private final long continuation;

    int entry() {
        return 0;
    }

    /** The counter of completions that leave the trace for its continuation. */
    int completion() {
        return second(CounterKind.COMPLETION);
    }

    /** The counter of a loop trace's iterations: its jumps back to its own start, not entries. */
    int iteration() {
        return second(CounterKind.ITERATION);
    }

    /** A path has one kind of end: a trace both completing and iterating would be a generator bug. */
    private int second(CounterKind kind) {
        Counter existing = counters.get(1);
        if (existing == null) {
            counters.set(1, new Counter(traceId, kind, continuation));
        } else if (existing.kind() != kind) {
            throw new IllegalStateException("trace " + traceId + " both completes and iterates");
        }
        return 1;
    }

    /** The counter of side exits to module offset {@code target} (one per target, shared by its sites). */
    int exit(long target) {
        return exitsByTarget.computeIfAbsent(target, t -> {
            counters.add(new Counter(traceId, CounterKind.EXIT, t));
            return counters.size() - 1;
        });
    }

    /** The counter of guard mismatches: indirect transfers to targets known only at run time. */
    int guardExit() {
        if (guardExit < 0) {
            counters.add(new Counter(traceId, CounterKind.GUARD_EXIT, 0));
            guardExit = counters.size() - 1;
        }
        return guardExit;
    }

    /** The counters; a trace whose path never ends (every way out is a side exit) still has a completion counter. */
    List<Counter> counters() {
        if (counters.get(1) == null) {
            completion();
        }
        return List.copyOf(counters);
    }

    /** Emits the increment of {@code counter}; its disp32 becomes a {@link TraceCode.CounterUse}. */
    static void emitIncrement(CodeBuffer buffer, int counter, List<TraceCode.Fixup> fixups) {
        lea(buffer, -RED_ZONE);
        buffer.emit8(0x9c);                         // pushfq
        emitLockInc(buffer, counter, fixups);
        buffer.emit8(0x9d);                         // popfq
        lea(buffer, RED_ZONE);
    }

    /** {@code lock inc qword [rip+counter]} alone: it writes the flags, so only where they are saved. */
    static void emitLockInc(CodeBuffer buffer, int counter, List<TraceCode.Fixup> fixups) {
        buffer.emit8(0xf0);                         // lock
        buffer.emit8(0x48);                         // REX.W
        buffer.emit8(0xff);                         // inc r/m64 (FF /0)
        buffer.emit8(0x05);                         // [rip+disp32]
        buffer.emit32(0);
        fixups.add(new TraceCode.CounterUse(buffer.position() - 4, counter));
    }

    /** {@code lea rsp, [rsp+delta]}: moves rsp without touching the flags. */
    private static void lea(CodeBuffer buffer, int delta) {
        buffer.emit8(0x48);
        buffer.emit8(0x8d);
        buffer.emit8(0xa4);                         // mod 10, reg rsp, rm SIB
        buffer.emit8(0x24);                         // SIB: base rsp, no index
        buffer.emit32(delta);
    }
}
