package dev.tracedb.recorder.dbi;

import java.nio.ByteBuffer;

/**
 * The code area of the shared region: an append-only arena of translated blocks, exit stubs and
 * the shared indirect-branch lookup routine. Nothing is ever freed or moved (no cache flush yet):
 * when the arena is full, recording stops with {@link UnsupportedProgramException}.
 *
 * <p>Code is first emitted into a buffer whose base is {@link #next} in the view it will run
 * through, then copied in with {@link #commit}. Blocks start 16-byte aligned, which keeps each hot block's first bytes in one
 * fetch line. Not thread-safe; call only while the tracee is stopped.
 */
final class CodeCache {
    private static final int ALIGN = 16;

    private final SharedRegion region;
    private final ByteBuffer bytes;
    private final int end;
    private int next;

    SharedRegion region() {
        return region;
    }

    CodeCache(SharedRegion region) {
        this.region = region;
        this.bytes = region.buffer();
        this.next = region.layout().codeOffset();
        this.end = region.layout().totalBytes();
    }

    /** Where the next committed code will start, as seen through {@code view}. */
    CacheAddress next(CacheView view) {
        return view.at(next);
    }

    /** Bytes used so far. */
    int used() {
        return next - region.layout().codeOffset();
    }

    /**
     * Copies {@code code}, which was emitted for address {@code emittedFor} (a {@link #next} of
     * some view), into the cache and returns that address.
     */
    CacheAddress commit(byte[] code, CacheAddress emittedFor) {
        if (region.offsetOf(emittedFor) != next) {
            throw new IllegalStateException("code emitted for " + emittedFor + " but the cache is at offset " + next);
        }
        if (code.length > end - next) {
            throw new UnsupportedProgramException("code cache full (" + region.layout().codeBytes()
                    + " bytes); flushing the cache is not implemented");
        }
        bytes.put(next, code);
        CacheAddress at = emittedFor;
        next = (next + code.length + ALIGN - 1) & -ALIGN;
        return at;
    }

    /**
     * The region offset {@code address} will have once the code being emitted is committed:
     * code under construction is not in the region yet, but its offset is known.
     */
    int offsetAfter(CacheAddress address) {
        return region.offsetOf(address);
    }

    /** Whether a rel32 branch whose field is at {@code field} can reach {@code target}. */
    static boolean inRel32Reach(CacheAddress field, CacheAddress target) {
        long displacement = target.value() - (field.value() + 4);
        return displacement == (int) displacement;
    }

    /** Writes the 4-byte immediate at {@code at} (a block prologue's id). */
    void patchInt32(CacheAddress at, int value) {
        bytes.putInt(region.offsetOf(at), value);
    }

    /** Overwrites {@code length} bytes at {@code at} with one multi-byte NOP (lengths 1 to 9). */
    void patchNop(CacheAddress at, int length) {
        byte[][] nops = {{(byte) 0x90}, {0x66, (byte) 0x90}, {0x0f, 0x1f, 0x00}, {0x0f, 0x1f, 0x40, 0x00},
            {0x0f, 0x1f, 0x44, 0x00, 0x00}, {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
            {0x0f, 0x1f, (byte) 0x80, 0x00, 0x00, 0x00, 0x00}, {0x0f, 0x1f, (byte) 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
            {0x66, 0x0f, 0x1f, (byte) 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}};
        bytes.put(region.offsetOf(at), nops[length - 1]);
    }

    /** Writes the 8-byte slot at {@code slot} (an absolute jump's target). */
    void putSlot(CacheAddress slot, CacheAddress value) {
        bytes.putLong(region.offsetOf(slot), value.value());
    }

    /** Points the rel32 field at {@code field} (the last four bytes of a jmp or jcc) to {@code target}. */
    void patchRel32(CacheAddress field, CacheAddress target) {
        long displacement = target.value() - (field.value() + 4);
        bytes.putInt(region.offsetOf(field), Math.toIntExact(displacement));
    }
}
