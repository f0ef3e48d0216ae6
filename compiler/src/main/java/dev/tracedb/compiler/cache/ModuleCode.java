package dev.tracedb.compiler.cache;

import java.util.List;
import java.util.Objects;

/**
 * The trace code for one module: one position-independent blob that the loader maps within
 * rel32 reach of the module, then fixes up with {@code relocations} and enters through
 * {@code entries}. Traces of one module jump to each other inside the blob without relocation.
 *
 * @param moduleIndex index into {@link TraceCache#modules()}
 * @param code        the blob, executable after relocation
 * @param relocations places in {@code code} that name addresses in the module
 * @param entries     one per trace head
 * @param counting    the same traces compiled with counters, which {@code tracedb run --stats}
 *                    installs instead of {@code code}; null when the traces have no counting
 *                    variant (hand-built code), and then {@code --stats} does not apply them
 */
public record ModuleCode(int moduleIndex, byte[] code, List<Relocation> relocations, List<TraceEntry> entries,
                         Counting counting) {
    public ModuleCode {
        Objects.requireNonNull(code, "code");
        code = code.clone();
        relocations = List.copyOf(relocations);
        entries = List.copyOf(entries);
        for (Relocation r : relocations) {
            if (r.kind() == Relocation.Kind.COUNTER) {
                throw new IllegalArgumentException("the plain code has no counters: " + r);
            }
        }
    }

    /** Code without a counting variant. */
    public ModuleCode(int moduleIndex, byte[] code, List<Relocation> relocations, List<TraceEntry> entries) {
        this(moduleIndex, code, relocations, entries, null);
    }

    @Override
    public byte[] code() {
        return code.clone();
    }

    /**
     * A place in the blob to fill in once the module's base and the blob's address are known.
     * {@code REL32}: the 4 bytes at {@code codeOffset} become
     * {@code (moduleBase + moduleOffset) - (blobBase + codeOffset + 4)}.
     * {@code ABS64}: the 8 bytes at {@code codeOffset} become {@code moduleBase + moduleOffset}.
     * {@code COUNTER} (counting code only): the 4 bytes at {@code codeOffset} become
     * {@code (countersBase + 8 * moduleOffset) - (blobBase + codeOffset + 4)}, where
     * {@code moduleOffset} is the index of a {@link Counter} and {@code countersBase} the
     * writable 8-byte counters the loader maps next to the blob.
     */
    public record Relocation(int codeOffset, Kind kind, long moduleOffset) {
        public enum Kind { REL32, ABS64, COUNTER }
    }

    /**
     * The counting variant of a module's traces: the same paths as the plain code, with a
     * {@code lock inc} of a counter on every entry, every completion and every side exit (flags
     * kept with {@code pushfq}/{@code popfq} after moving rsp below the red zone). Its entries are
     * in the same order as the plain code's, and {@code counters} names each counter by index.
     */
    public record Counting(byte[] code, List<Relocation> relocations, List<TraceEntry> entries, List<Counter> counters) {
        public Counting {
            Objects.requireNonNull(code, "code");
            code = code.clone();
            relocations = List.copyOf(relocations);
            entries = List.copyOf(entries);
            counters = List.copyOf(counters);
            for (Relocation r : relocations) {
                if (r.kind() == Relocation.Kind.COUNTER && (r.moduleOffset() < 0 || r.moduleOffset() >= counters.size())) {
                    throw new IllegalArgumentException("a counter relocation names counter " + r.moduleOffset()
                            + " of " + counters.size());
                }
            }
        }

        @Override
        public byte[] code() {
            return code.clone();
        }
    }

    /**
     * What one counter counts, for one trace.
     *
     * @param target for {@code EXIT}, the module offset the side exit goes to; for
     *               {@code COMPLETION} and {@code ITERATION}, the path's continuation (0 when it
     *               lies in another module); 0 otherwise
     */
    public record Counter(int traceId, CounterKind kind, long target) {
    }

    /**
     * {@code ENTRY}: the trace was entered, through its head patch or by a link from another
     * trace (not by its own loop-back). {@code COMPLETION}: the whole path ran and the trace left
     * for its continuation (by a jump, or by the path's last call, return or indirect transfer
     * when it went to the recorded continuation). {@code EXIT}: a side exit to a known address.
     * {@code GUARD_EXIT}: an indirect transfer's guard did not match, or the path's last return
     * or indirect transfer went elsewhere than the continuation; the target is known only at run
     * time. {@code ITERATION}: a loop trace's jump back to its own start (a completion, not an
     * entry). A loop trace whose path ends in a call or return that runs natively back into its
     * patched head counts a {@code COMPLETION} and then an {@code ENTRY} instead.
     */
    public enum CounterKind { ENTRY, COMPLETION, EXIT, GUARD_EXIT, ITERATION }

    /**
     * Where the loader enters a trace: it overwrites {@code [headOffset, headOffset + patchLength)}
     * of the module with a {@code jmp rel32} to {@code blobBase + codeOffset} (padded with
     * {@code int3}). The compiler has checked that no known code jumps into the overwritten bytes
     * other than at {@code headOffset}, and that they hold whole instructions of the head block.
     */
    public record TraceEntry(int traceId, long headOffset, int codeOffset, int patchLength) {
        public TraceEntry {
            if (patchLength < 5) throw new IllegalArgumentException("a jmp rel32 needs 5 bytes, got " + patchLength);
        }
    }
}
