package dev.tracedb.recorder.dbi;

import dev.tracedb.store.Terminator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which point of the original program a point of the code cache stands for: the reverse of
 * translation, for the moments the tracee must be seen (or must see itself) at an original
 * address: a signal frame, a detach.
 *
 * <p>A translated block is laid out as [provisional-run mark][prologue][the block's instructions,
 * copied with their lengths unchanged][the engine's code for its end][exit stubs]. So each copied
 * instruction sits at the block's body offset plus its offset in the program, and no per-byte map
 * is kept: one entry per block (region offsets of entry, body and end code), found by a floor
 * lookup. Points in the prologue, the end code, the stubs and the shared routines have no exact
 * original equivalent ({@link Kind#ENGINE_CODE}, {@link Kind#PROLOGUE}).
 *
 * <p>Not thread-safe: tracer thread only.
 */
final class CacheMap {
    /** What kind of point a cache address is. */
    enum Kind {
        /** A block's entry: nothing of it has run; the original point is its start. */
        ENTRY,
        /** Inside a block's prologue (the ring append): its event may be half written. */
        PROLOGUE,
        /** Right before copied instruction {@link Point#index}: the ones before it have retired. */
        INSTRUCTION,
        /**
         * Before the {@code syscall} that ends the block, on its vetting trap or (trap already
         * served) on the syscall itself: all but the last instruction retired.
         */
        BEFORE_SYSCALL,
        /** On the trap right after the block's {@code syscall}: the whole block retired, the result is in rax. */
        AFTER_SYSCALL,
        /** Engine code: a block's end sequence or stubs, the lookup routine, the miss routine. */
        ENGINE_CODE,
        /** Not in the shared region at all. */
        OUTSIDE
    }

    /**
     * A translated block's layout, as region offsets (the same in every view).
     *
     * @param idField where its prologue's block id is (the id it appends now: provisional or log id)
     */
    record Placed(Fragment block, int entry, int idField, int body, int exit, int[] probeAfter, int[] probeBytes) {
        Placed(Fragment block, int entry, int idField, int body, int exit) {
            this(block, entry, idField, body, exit, new int[0], new int[0]);
        }

        /**
         * The region offset where the block's instruction {@code index} is (copied, or for the last,
         * mangled): its offset in the program, moved on by the value-probe sequences before it.
         */
        int instructionOffset(int index) {
            int inProgram = (int) (block.instructionAddresses()[index] - block.start().value());
            int at = body + inProgram;
            for (int i = 0; i < probeAfter.length; i++) {
                if (probeAfter[i] <= inProgram) at += probeBytes[i];
            }
            return at;
        }
    }

    /**
     * A classified cache point.
     *
     * @param index for {@link Kind#INSTRUCTION} and {@link Kind#BEFORE_SYSCALL}: how many of the
     *              block's instructions retired before it
     * @param trapServed for {@link Kind#BEFORE_SYSCALL}: the vetting trap already ran (Java holds
     *                   the syscall as pending)
     */
    record Point(Kind kind, Placed placed, int index, boolean trapServed) {
        /** The original address this point stands for; only for the exact kinds. */
        AppAddress original() {
            long[] addresses = placed.block().instructionAddresses();
            return switch (kind) {
                case ENTRY -> placed.block().start();
                case INSTRUCTION, BEFORE_SYSCALL -> AppAddress.of(addresses[index]);
                case AFTER_SYSCALL -> placed.block().start().plus(placed.block().bytes().length);
                default -> throw new IllegalStateException(kind + " has no original address");
            };
        }
    }

    /** Bytes between a syscall block's end offset and its result trap: the vetting int3 and the syscall. */
    private static final int SYSCALL_SEQUENCE = 3;

    private final SharedRegion region;
    private final TreeMap<Integer, Placed> byEntry = new TreeMap<>();
    private final Map<Long, Placed> byStart = new HashMap<>();

    CacheMap(SharedRegion region) {
        this.region = region;
    }

    /** Notes a translation just committed to the cache. */
    void add(BlockTranslator.Translation t) {
        int entry = region.offsetOf(t.block().entry());
        Placed placed = new Placed(t.block(), entry, entry + t.idField(), entry + t.bodyOffset(),
                entry + t.exitOffset(), t.probeAfter(), t.probeBytes());
        byEntry.put(entry, placed);
        byStart.put(t.block().start().value(), placed);
    }

    /** The block translated for {@code start}, or null. */
    Placed placedAt(AppAddress start) {
        return byStart.get(start.value());
    }

    /** What the cache point {@code address} (a tracee rip, in any view) stands for. */
    Point locate(long address) {
        if (!region.contains(address)) {
            return new Point(Kind.OUTSIDE, null, -1, false);
        }
        int offset = region.offsetOf(CacheAddress.of(address));
        Map.Entry<Integer, Placed> floor = byEntry.floorEntry(offset);
        if (floor == null) {
            return engineCode();
        }
        Placed p = floor.getValue();
        if (offset == p.entry()) {
            return new Point(Kind.ENTRY, p, 0, false);
        }
        if (offset < p.body()) {
            return new Point(Kind.PROLOGUE, p, -1, false);
        }
        int count = p.block().instructionCount();
        if (offset < p.exit()) {
            // Copied instructions only: binary search over their offsets.
            int lo = 0;
            int hi = count - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                int at = p.instructionOffset(mid);
                if (at == offset) {
                    return new Point(Kind.INSTRUCTION, p, mid, false);
                }
                if (at < offset) {
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            if (p.probeAfter().length > 0) {
                return engineCode(); // inside a value-probe sequence: stepped through to the next instruction
            }
            throw new IllegalStateException("cache point 0x" + Long.toHexString(address)
                    + " is inside an instruction of " + p.block());
        }
        if (p.block().terminator() == Terminator.SYSCALL) {
            if (offset == p.exit() || offset == p.exit() + 1) {
                return new Point(Kind.BEFORE_SYSCALL, p, count - 1, offset == p.exit() + 1);
            }
            if (offset == p.exit() + SYSCALL_SEQUENCE) {
                return new Point(Kind.AFTER_SYSCALL, p, count, false);
            }
        }
        return engineCode();
    }

    private static Point engineCode() {
        return new Point(Kind.ENGINE_CODE, null, -1, false);
    }
}
