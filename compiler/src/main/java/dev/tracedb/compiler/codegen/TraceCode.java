package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.path.ValueGuard;
import java.util.List;

/**
 * One trace's code before it is placed in its module's blob: position-independent within itself
 * (byte 0 is the trace's entry), with every reference to the module still symbolic.
 *
 * @param traceId     the trace's id in the selection
 * @param headOffset  the head's module offset
 * @param patchLength how many bytes of the head the loader overwrites
 * @param code        the code, then its constant pool
 * @param fixups      the places in {@code code} that name module addresses (and counters)
 * @param counters    the counting variant's counters, by the index {@link CounterUse} names; empty
 *                    for plain code
 * @param valueGuards the value guards the code applies ({@link ValueGuards})
 * @param foldedInstructions how many path instructions the {@link ValueFolder} left out
 */
record TraceCode(int traceId, long headOffset, int patchLength, byte[] code, List<Fixup> fixups,
                 List<ModuleCode.Counter> counters, List<ValueGuard> valueGuards, int foldedInstructions) {
    TraceCode {
        fixups = List.copyOf(fixups);
        counters = List.copyOf(counters);
        valueGuards = List.copyOf(valueGuards);
    }

    TraceCode(int traceId, long headOffset, int patchLength, byte[] code, List<Fixup> fixups,
              List<ModuleCode.Counter> counters) {
        this(traceId, headOffset, patchLength, code, fixups, counters, List.of(), 0);
    }

    /** A field in the code that refers to the module or a counter; {@code field} is its offset in the code. */
    sealed interface Fixup permits Jump, RipData, Slot, CounterUse {
        int field();
    }

    /**
     * The rel32 of a {@code jmp}/{@code jcc} that leaves the trace for module offset
     * {@code target}: linked to another trace's entry when a trace starts there, else a
     * {@code REL32} relocation (a side exit to the original code).
     */
    record Jump(int field, long target) implements Fixup {}

    /**
     * The disp32 of a RIP-relative operand. The instruction ends {@code tail} bytes after the
     * field (an immediate may follow it), so the relocation aims at {@code target - tail}: the
     * loader's {@code REL32} formula measures from the field's end, the CPU from the instruction's.
     */
    record RipData(int field, long target, int tail) implements Fixup {
        long relocationOffset() {
            return target - tail;
        }
    }

    /** An 8-byte constant-pool slot that holds the run-time address of module offset {@code target} ({@code ABS64}). */
    record Slot(int field, long target) implements Fixup {}

    /** The disp32 of a {@code lock inc qword [rip+disp32]} of the trace's counter {@code counter} (it ends the instruction). */
    record CounterUse(int field, int counter) implements Fixup {}
}
