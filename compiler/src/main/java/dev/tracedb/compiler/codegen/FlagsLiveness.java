package dev.tracedb.compiler.codegen;

import dev.tracedb.machine.x86.decode.Flags;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.store.Terminator;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Whether the six status flags (CF PF AF ZF SF OF) may still be read after a point of a trace,
 * which decides whether a guard there may compare with {@code cmp} (it overwrites them).
 *
 * <p>The scan follows the trace from the point on, instruction by instruction: an instruction
 * that reads any status flag makes them <em>live</em>; one that certainly overwrites all six
 * without reading any ({@link #overwritesAll}) makes them <em>dead</em>. Where the scan could
 * leave the trace before either happens, it decides conservatively:
 * <ul>
 * <li>a side exit of {@code loop}/{@code jrcxz} (which read no status flag), the end of a trace
 *     that does not loop, and an indirect jump (its target is not known here): <em>live</em>;</li>
 * <li>a call (direct or indirect) or a return: <em>dead</em>, by the System V x86-64 ABI ("the
 *     status flags have no specified role in the standard calling sequence and are not preserved
 *     across calls"): a function cannot read them at its entry, nor its caller after it returns.
 *     The code generator already relies on that ABI for the red zone.</li>
 * </ul>
 * A loop trace's scan wraps around to its start; it ends at the latest at the point it started
 * from, whose own indirect jump counts as live. Stateless apart from the blocks; not thread-safe
 * only because nothing here needs to be.
 */
final class FlagsLiveness {
    /**
     * Instructions that write all six status flags, whatever their operands: arithmetic and
     * logic whose flags depend only on the result and the operands, and the scalar SSE compares
     * (which set ZF PF CF and clear OF SF AF). Shifts and rotates are left out: with a count of
     * zero they change no flag at all.
     */
    private static final Set<String> OVERWRITES_ALL = Set.of(
            "add", "sub", "and", "or", "xor", "cmp", "test", "neg",
            "ucomisd", "ucomiss", "comisd", "comiss", "vucomisd", "vucomiss", "vcomisd", "vcomiss");

    private final List<DecodedBlock> blocks;
    private final boolean loops;

    FlagsLiveness(List<DecodedBlock> blocks, boolean loops) {
        this.blocks = List.copyOf(blocks);
        this.loops = loops;
    }

    /** Whether the status flags may be read after block {@code index}'s terminator, on the recorded path. */
    boolean liveAfter(int index) {
        int j = index + 1;
        for (int visited = 0; visited <= blocks.size(); visited++, j++) {
            if (j == blocks.size()) {
                if (!loops) {
                    return true; // the continuation is original code we do not scan here
                }
                j = 0;
            }
            DecodedBlock block = blocks.get(j);
            for (Instruction insn : block.body()) {
                if (reads(insn)) {
                    return true;
                }
                if (overwritesAll(insn)) {
                    return false;
                }
            }
            Terminator kind = BranchForms.terminatorOf(block);
            switch (kind) {
                case FALL_THROUGH, JUMP -> { }
                case CALL, INDIRECT_CALL, RETURN -> {
                    return false;
                }
                default -> {
                    return true; // conditional branches read them or may exit; indirect jumps go anywhere
                }
            }
        }
        return true;
    }

    /**
     * Whether the status flags are dead right after body instruction {@code position} of block
     * {@code index} on the recorded path: an instruction that overwrites all six comes before
     * any that reads one or any way out of the trace. The same scan as {@link #liveAfter}, from
     * inside a block, except that an indirect jump for which {@code decided} holds (a dispatch
     * whose guard needs no compare at the jump, {@link DispatchSpecialiser}) goes on into the
     * next block, as it does on the path.
     */
    boolean deadAfterInstruction(int index, int position, IntPredicate decided) {
        int j = index;
        int from = position + 1;
        for (int visited = 0; visited <= blocks.size(); visited++) {
            DecodedBlock block = blocks.get(j);
            List<Instruction> body = block.body();
            for (int k = from; k < body.size(); k++) {
                if (reads(body.get(k))) return false;
                if (overwritesAll(body.get(k))) return true;
            }
            Terminator kind = BranchForms.terminatorOf(block);
            switch (kind) {
                case FALL_THROUGH, JUMP -> { }
                case INDIRECT_JUMP -> {
                    if (!decided.test(j)) return false;
                }
                case CALL, INDIRECT_CALL, RETURN -> {
                    return true;
                }
                default -> {
                    return false;
                }
            }
            j++;
            from = 0;
            if (j == blocks.size()) {
                if (!loops) return false;
                j = 0;
            }
        }
        return false;
    }

    static boolean reads(Instruction insn) {
        return insn.flagsRead().containsAny(Flags.STATUS);
    }

    /** Writes all six status flags, for any operands, without reading one. */
    static boolean overwritesAll(Instruction insn) {
        String mnemonic = insn.mnemonic();
        String base = mnemonic.substring(mnemonic.lastIndexOf(' ') + 1);
        return OVERWRITES_ALL.contains(base)
                && (insn.flagsWritten().mask() & Flags.STATUS.mask()) == Flags.STATUS.mask()
                && !reads(insn);
    }
}
