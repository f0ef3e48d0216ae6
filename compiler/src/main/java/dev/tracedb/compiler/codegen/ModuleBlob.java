package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.ModuleCode.Relocation;
import dev.tracedb.compiler.cache.ModuleCode.TraceEntry;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lays a module's traces out in one blob (each entry 16-byte aligned, padded with int3) and
 * resolves their fix-ups: a jump to the head of a trace in the blob becomes a direct rel32
 * inside the blob (traces link to each other, and a loop exit that lands on a hot head never
 * goes through the patched original); every other module reference becomes a relocation.
 */
final class ModuleBlob {
    private static final int ALIGNMENT = 16;

    private ModuleBlob() {}

    static ModuleCode build(int cacheModuleIndex, List<TraceCode> traces) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<Long, Integer> entryByHead = new HashMap<>();
        List<TraceEntry> entries = new ArrayList<>();
        int[] starts = new int[traces.size()];
        for (int i = 0; i < traces.size(); i++) {
            TraceCode trace = traces.get(i);
            while (out.size() % ALIGNMENT != 0) {
                out.write(0xcc);
            }
            starts[i] = out.size();
            out.write(trace.code(), 0, trace.code().length);
            entryByHead.put(trace.headOffset(), starts[i]);
            entries.add(new TraceEntry(trace.traceId(), trace.headOffset(), starts[i], trace.patchLength()));
        }
        byte[] code = out.toByteArray();
        List<Relocation> relocations = new ArrayList<>();
        for (int i = 0; i < traces.size(); i++) {
            for (TraceCode.Fixup fixup : traces.get(i).fixups()) {
                int field = starts[i] + fixup.field();
                if (fixup instanceof TraceCode.Jump jump) {
                    Integer linked = entryByHead.get(jump.target());
                    if (linked != null) {
                        put32(code, field, linked - (field + 4));
                    } else {
                        relocations.add(new Relocation(field, Relocation.Kind.REL32, jump.target()));
                    }
                } else if (fixup instanceof TraceCode.RipData data) {
                    relocations.add(new Relocation(field, Relocation.Kind.REL32, data.relocationOffset()));
                } else if (fixup instanceof TraceCode.Slot slot) {
                    relocations.add(new Relocation(field, Relocation.Kind.ABS64, slot.target()));
                }
            }
        }
        relocations.sort(Comparator.comparingInt(Relocation::codeOffset));
        return new ModuleCode(cacheModuleIndex, code, relocations, entries);
    }

    private static void put32(byte[] code, int at, int value) {
        for (int i = 0; i < 4; i++) {
            code[at + i] = (byte) (value >>> (8 * i));
        }
    }
}
