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
 */
public record ModuleCode(int moduleIndex, byte[] code, List<Relocation> relocations, List<TraceEntry> entries) {
    public ModuleCode {
        Objects.requireNonNull(code, "code");
        code = code.clone();
        relocations = List.copyOf(relocations);
        entries = List.copyOf(entries);
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
     */
    public record Relocation(int codeOffset, Kind kind, long moduleOffset) {
        public enum Kind { REL32, ABS64 }
    }

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
