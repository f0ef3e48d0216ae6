package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.machine.x86.encode.Label;
import dev.tracedb.machine.x86.encode.Mem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Returns and indirect jumps and calls: an inline hash table from original target to cache
 * address, and the one shared lookup routine that translated code jumps to.
 *
 * <p>Contract at the routine's entry: rax holds the original (app) target, the application's rax
 * is in {@link RegionLayout#SPILL_IBL_RAX}, and the stack is already what the app's branch left
 * (a {@code ret} has popped, a call has pushed the original return address).
 *
 * <p>The lookup must not change the flags, which the target may read. So the table is direct
 * mapped on a 16-bit hash taken without flags: bits 0-15 plus bits 16-31 of the target
 * ({@code rorx} by 16, BMI2, and {@code lea} add, then {@code movzx}); without BMI2, bits 0-15
 * alone. Bits 0-15 alone made targets 64 KiB apart collide: on the Python workload about half of
 * the lookup misses (2,000 of 4,300) were targets evicted by such a collision. Each entry
 * holds the <em>negated</em> target: {@code lea rcx, [rcx + rax]} is zero exactly on a hit, and
 * {@code jrcxz} tests that without flags. Empty entries hold 1 (the negation of target -1, which
 * is never a user-space address). A hit costs 14 instructions and one indirect jump; a miss traps
 * to Java with rax = target ({@link ExitStub.Kind#INDIRECT_MISS}), which restores rax, rcx and
 * rdx from their slots, translates, {@link #insert inserts} and resumes at the translation. A
 * colliding insert overwrites: the table is a cache, never the truth.
 *
 * <p>Not thread-safe; insert only while the tracee is stopped.
 */
final class IndirectBranchTable {
    private static final long EMPTY_KEY = 1;

    /** Whether the hash mixes in bits 16-31 (needs BMI2's rorx, which leaves the flags alone). */
    static final boolean MIXED_HASH = cpuHas("bmi2");

    private final SharedRegion region;
    private final ByteBuffer bytes;
    private int routineOffset = -1;
    private int retryOffset = -1;
    private ExitStub missStub;
    private long inserts;

    IndirectBranchTable(SharedRegion region) {
        this.region = region;
        this.bytes = region.buffer();
        for (int i = 0; i < RegionLayout.IBL_ENTRIES; i++) {
            int at = RegionLayout.IBL_OFFSET + i * RegionLayout.IBL_ENTRY_BYTES;
            bytes.putLong(at, EMPTY_KEY);
            bytes.putLong(at + 8, 0);
        }
    }

    /**
     * Emits the lookup routine into the cache; call once before translating. Returns its miss
     * stub. The routine refers only to the region, so it runs unchanged through any view. With
     * the futex handshake ({@code futex} not null) a miss stores the target in
     * {@link RegionLayout#IBL_MISS_TARGET} and posts a request; Java answers with
     * {@link #retry}, the lookup after the saves, which then hits.
     */
    ExitStub emitRoutine(CodeCache cache, FutexHandshake futex) {
        CacheAddress at = cache.next(region.views().get(0));
        CodeBuffer buffer = new CodeBuffer(at.value());
        Assembler a = new Assembler(buffer);
        Label hit = new Label();
        a.mov(Mem.rip(slot(RegionLayout.SPILL_IBL_RCX)), Gpr.RCX);
        a.mov(Mem.rip(slot(RegionLayout.SPILL_IBL_RDX)), Gpr.RDX);
        int retry = buffer.position();
        if (MIXED_HASH) {
            buffer.emit8(0xc4); // rorx rcx, rax, 16
            buffer.emit8(0xe3);
            buffer.emit8(0xfb);
            buffer.emit8(0xf0);
            buffer.emit8(0xc8);
            buffer.emit8(0x10);
            a.lea(Gpr.RCX, Mem.of(Gpr.RCX, Gpr.RAX, 1, 0));
            buffer.emit8(0x0f); // movzx ecx, cx: the hash, without touching the flags
            buffer.emit8(0xb7);
            buffer.emit8(0xc9);
        } else {
            buffer.emit8(0x0f); // movzx ecx, ax: the hash, without touching the flags
            buffer.emit8(0xb7);
            buffer.emit8(0xc8);
        }
        a.lea(Gpr.RCX, Mem.of(Gpr.RCX, Gpr.RCX, 1, 0));
        a.lea(Gpr.RDX, Mem.rip(slot(RegionLayout.IBL_OFFSET)));
        a.lea(Gpr.RDX, Mem.of(Gpr.RDX, Gpr.RCX, 8, 0));
        a.mov(Gpr.RCX, Mem.of(Gpr.RDX));
        a.lea(Gpr.RCX, Mem.of(Gpr.RCX, Gpr.RAX, 1, 0));
        a.jrcxz(hit);
        CacheAddress trap;
        if (futex == null) {
            trap = CacheAddress.of(buffer.address());
            a.int3();
        } else {
            a.mov(Mem.rip(slot(RegionLayout.IBL_MISS_TARGET)), Gpr.RAX);
            trap = CacheAddress.of(buffer.address());
            futex.emitRequest(a, region.views().get(0), region.offsetOf(trap));
        }
        a.bind(hit);
        a.mov(Gpr.RDX, Mem.of(Gpr.RDX, 8));
        a.mov(Mem.rip(slot(RegionLayout.IBL_JUMP_SLOT)), Gpr.RDX);
        a.mov(Gpr.RCX, Mem.rip(slot(RegionLayout.SPILL_IBL_RCX)));
        a.mov(Gpr.RDX, Mem.rip(slot(RegionLayout.SPILL_IBL_RDX)));
        a.mov(Gpr.RAX, Mem.rip(slot(RegionLayout.SPILL_IBL_RAX)));
        a.jmp(Mem.rip(slot(RegionLayout.IBL_JUMP_SLOT)));
        routineOffset = region.offsetOf(cache.commit(a.finish(), at));
        retryOffset = routineOffset + retry;
        missStub = ExitStub.indirectMiss(trap);
        return missStub;
    }

    /** The lookup routine's entry in {@code view}. */
    CacheAddress routine(CacheView view) {
        if (routineOffset < 0) {
            throw new IllegalStateException("lookup routine not emitted yet");
        }
        return view.at(routineOffset);
    }

    /** Where a lookup that missed starts again (rax = target, rcx and rdx already saved), in {@code view}. */
    CacheAddress retry(CacheView view) {
        return view.at(retryOffset);
    }

    /** Makes lookups of {@code target} go to {@code entry}. */
    void insert(AppAddress target, CacheAddress entry) {
        int at = RegionLayout.IBL_OFFSET + index(target.value()) * RegionLayout.IBL_ENTRY_BYTES;
        // Value first: the tracee is stopped, but a reader that saw the new key must find its value.
        bytes.putLong(at + 8, entry.value());
        bytes.putLong(at, -target.value());
        inserts++;
    }

    /** The entry a target hashes to: what the routine computes. */
    static int index(long target) {
        long hash = MIXED_HASH ? target + (target >>> 16) : target;
        return (int) (hash & (RegionLayout.IBL_ENTRIES - 1));
    }

    private static boolean cpuHas(String flag) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split(" ")).contains(flag);
                }
            }
        } catch (IOException e) {
            // No /proc/cpuinfo: take the hash every x86-64 can run.
        }
        return false;
    }

    long inserts() {
        return inserts;
    }

    private long slot(int offset) {
        return region.at(offset).value();
    }
}
