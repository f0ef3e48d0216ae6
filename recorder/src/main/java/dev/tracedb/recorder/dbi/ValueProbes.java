package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.Operand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.store.ProbeSite;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * The value probes of one session: which instructions are sampled, the sample records the
 * translated code appends to the region's probe buffer, their conversion into block-event indices
 * (at each ring drain, from the ring's state, see {@link Ring#drain}) and the sample budget.
 *
 * <p>A record is the destination register's value (8 bytes), the site (4) and the low 32 bits of
 * the ring cursor when the probe ran (4): the prologue had appended the block's id, so the cursor
 * points just past that block event. Not thread-safe: tracer thread only, tracee stopped.
 */
final class ValueProbes {
    /** Samples kept at most, by default: a 4 M-sample window costs about 20 MB of log at most. */
    static final long DEFAULT_BUDGET = 4_000_000;
    /** The probe buffer: 64 Ki records between conversions at most. */
    static final int BUFFER_BYTES = 1 << 20;

    private final List<ProbeSite> sites;
    private final long budget;
    private final Consumer<String> notes;
    private final BitSet found = new BitSet();
    private final BitSet noted = new BitSet();
    /** Region offsets of each emitted sequence's first byte, patched to a jump over it at the cut-off. */
    private final List<int[]> sequences = new ArrayList<>();
    private SharedRegion region;
    private long kept;
    private long endEvent = -1;
    private boolean disabled;
    private long[] events = new long[1024];
    private int[] siteOf = new int[1024];
    private long[] values = new long[1024];

    ValueProbes(List<ProbeSite> sites, long budget, Consumer<String> notes) {
        if (budget < 1) throw new IllegalArgumentException("the probe budget must be at least 1 sample: " + budget);
        this.sites = List.copyOf(sites);
        this.budget = budget;
        this.notes = notes;
    }

    List<ProbeSite> sites() {
        return sites;
    }

    /** Attaches the region holding the probe buffer and points its cursor at the start. */
    void attach(SharedRegion region) {
        this.region = region;
        region.buffer().putLong(RegionLayout.PROBE_CURSOR, start());
    }

    private long start() {
        return region.at(region.layout().probeOffset()).value();
    }

    /** Whether {@code address} is the probe buffer's guard page (a full buffer's fault). */
    boolean isGuard(long address) {
        return region != null && address == region.at(region.layout().probeGuardOffset()).value();
    }

    /**
     * The site index of {@code insn} in the module mapped from {@code modulePath} at {@code base},
     * or -1; a site whose instruction writes no general-purpose register is noted once and not probed.
     */
    int siteOf(Instruction insn, String modulePath, long base) {
        if (disabled || modulePath == null) return -1;
        for (int i = 0; i < sites.size(); i++) {
            ProbeSite s = sites.get(i);
            if (insn.address() - base == s.offset() && s.inModule(modulePath)) {
                found.set(i);
                if (destination(insn) == null) {
                    if (!noted.get(i)) {
                        noted.set(i);
                        notes.accept("probe " + s + ": " + insn.mnemonic() + " " + insn.operandText()
                                + " has no general-purpose register destination; not probed");
                    }
                    return -1;
                }
                return i;
            }
        }
        return -1;
    }

    /** The full register {@code insn} writes as its first operand, or null. */
    static Gpr destination(Instruction insn) {
        if (insn.operands().isEmpty()) return null;
        Operand first = insn.operands().get(0);
        if (!(first instanceof RegisterOperand r) || !r.access().writes()
                || r.register().kind() != Register.Kind.GENERAL_PURPOSE) {
            return null;
        }
        String name = r.register().full().name();
        for (Gpr g : Gpr.values()) {
            if (g.name().equals(name)) return g;
        }
        return null;
    }

    /**
     * A probe sequence's record store met the guard page: converts the full buffer, and returns
     * {@code regs} with the record pointer (the register holding the guard's address: the first
     * scratch of {@link BlockTranslator}'s sequence, rax, rcx or rdx) back at the buffer's start,
     * for the store to run again.
     */
    dev.tracedb.machine.linux.Registers onFull(dev.tracedb.machine.linux.Registers regs, Ring ring, EventSink sink) {
        long guard = region.at(region.layout().probeGuardOffset()).value();
        ring.collectProbes(sink);
        for (dev.tracedb.machine.linux.Register r : new dev.tracedb.machine.linux.Register[] {
                dev.tracedb.machine.linux.Register.RAX, dev.tracedb.machine.linux.Register.RCX,
                dev.tracedb.machine.linux.Register.RDX}) {
            if (regs.get(r) == guard) {
                return regs.set(r, start());
            }
        }
        throw new IllegalStateException("probe buffer full, but no scratch register holds its guard address");
    }

    /** Notes an emitted sequence: {@code offset} its region offset, {@code length} its bytes. */
    void emitted(int offset, int length) {
        sequences.add(new int[] {offset, length});
    }

    /** Sites no translated instruction started at (said once, at the end). */
    List<ProbeSite> unfound() {
        List<ProbeSite> out = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) if (!found.get(i)) out.add(sites.get(i));
        return out;
    }

    /**
     * Converts the records since the last call into samples and resets the cursor: the ring has
     * handed {@code drained} events so far and its next undelivered slot is at {@code handedUpTo}
     * (the records' ring cursors lie at or after it). Samples past the budget end the window.
     */
    void collect(long drained, long handedUpTo, EventSink sink) {
        if (region == null) return;
        ByteBuffer b = region.buffer();
        long cursor = b.getLong(RegionLayout.PROBE_CURSOR);
        long first = start();
        int records = (int) ((cursor - first) / RegionLayout.PROBE_RECORD_BYTES);
        if (records < 0 || cursor > first + region.layout().probeBytes() || (cursor - first) % RegionLayout.PROBE_RECORD_BYTES != 0) {
            throw new IllegalStateException("probe cursor corrupted: 0x" + Long.toHexString(cursor));
        }
        if (records == 0) return;
        if (events.length < records) {
            events = new long[records];
            siteOf = new int[records];
            values = new long[records];
        }
        ByteBuffer r = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = region.layout().probeOffset();
        int n = 0;
        long lastEvent = -1;
        for (int i = 0; i < records; i++) {
            int at = base + i * RegionLayout.PROBE_RECORD_BYTES;
            int delta = r.getInt(at + 12) - (int) handedUpTo;
            long event = drained + delta / 4 - 1;
            lastEvent = event;
            if (endEvent >= 0) continue; // cut off already: dropped
            if (kept == budget) {
                endEvent = event;
                // Samples of this event kept before the budget ended leave the window with it (the
                // reader clips any of an earlier call to the window too).
                while (n > 0 && events[n - 1] == event) {
                    n--;
                    kept--;
                }
                continue;
            }
            events[n] = event;
            siteOf[n] = r.getInt(at + 8);
            values[n] = r.getLong(at);
            n++;
            kept++;
        }
        b.putLong(RegionLayout.PROBE_CURSOR, first);
        if (n > 0) sink.probed(events, siteOf, values, n, endEvent >= 0 ? endEvent : lastEvent);
        if (endEvent >= 0 && !disabled) disable();
    }

    /** Patches every probe sequence into a jump over itself: sampling stops, the program runs on unchanged. */
    private void disable() {
        disabled = true;
        ByteBuffer b = region.buffer();
        for (int[] seq : sequences) {
            b.put(seq[0], (byte) 0xeb);
            b.put(seq[0] + 1, (byte) (seq[1] - 2));
        }
    }

    boolean cutOff() {
        return endEvent >= 0;
    }

    /** Where the window ends: at the cut-off, or at {@code runEnd}. */
    long endEvent(long runEnd) {
        return endEvent >= 0 ? endEvent : runEnd;
    }
}
