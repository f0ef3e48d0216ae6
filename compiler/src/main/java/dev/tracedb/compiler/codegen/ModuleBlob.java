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
 * goes through the patched original); every other module reference becomes a relocation. The
 * counting variant is laid out the same way, on its own, with its counters numbered per module
 * ({@code COUNTER} relocations); a link in it enters the other trace's counting code, so entries
 * by links are counted.
 */
final class ModuleBlob {
    private static final int ALIGNMENT = 16;

    private ModuleBlob() {}

    /** @param counting the same traces' counting variants, in the same order */
    static ModuleCode build(int cacheModuleIndex, List<TraceCode> traces, List<TraceCode> counting) {
        Layout plain = layout(traces);
        Layout counted = layout(counting);
        return new ModuleCode(cacheModuleIndex, plain.code, plain.relocations, plain.entries,
                new ModuleCode.Counting(counted.code, counted.relocations, counted.entries, counted.counters));
    }

    private record Layout(byte[] code, List<Relocation> relocations, List<TraceEntry> entries,
                          List<ModuleCode.Counter> counters) {}

    private static Layout layout(List<TraceCode> traces) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<Long, Integer> entryByHead = new HashMap<>();
        List<TraceEntry> entries = new ArrayList<>();
        List<ModuleCode.Counter> counters = new ArrayList<>();
        int[] starts = new int[traces.size()];
        int[] firstCounter = new int[traces.size()];
        for (int i = 0; i < traces.size(); i++) {
            TraceCode trace = traces.get(i);
            while (out.size() % ALIGNMENT != 0) {
                out.write(0xcc);
            }
            starts[i] = out.size();
            firstCounter[i] = counters.size();
            counters.addAll(trace.counters());
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
                } else if (fixup instanceof TraceCode.CounterUse use) {
                    relocations.add(new Relocation(field, Relocation.Kind.COUNTER, firstCounter[i] + use.counter()));
                }
            }
        }
        relocations.sort(Comparator.comparingInt(Relocation::codeOffset));
        return new Layout(code, relocations, entries, counters);
    }

    private static void put32(byte[] code, int at, int value) {
        for (int i = 0; i < 4; i++) {
            code[at + i] = (byte) (value >>> (8 * i));
        }
    }
}
