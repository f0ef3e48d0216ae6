package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.LoadedModule;
import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import dev.tracedb.machine.linux.Tracee;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which {@link CacheView} runs a module's code, mapping a new view when none is in reach
 * (DynamoRIO's vmareas, reduced to what rel32 needs).
 *
 * <p>A view serves a module when every byte of the view is within {@link #REACH} of every byte
 * of the module. REACH is 2 GiB less a margin, because RIP-relative operands also aim a little
 * outside the module's file mappings (its .bss tail, the vDSO's vvar pages). A new view goes to
 * the free, aligned address closest to the module that satisfies this, never into the room the
 * heap (brk, above the main executable) or the main stack need to grow.
 *
 * <p>In practice: one view below the executable (a PIE) or above its heap room (non-PIE), and one
 * below the dynamic loader that also serves libc, the other libraries and the vDSO, which the
 * kernel and the loader put next to each other. A library mapped later by dlopen far from both
 * gets a view of its own on the miss that first reaches it.
 *
 * <p>Not thread-safe; call while the tracee is stopped.
 */
final class ViewPlacement {
    /** A module's extent in the tracee: {@code [start, end)}. */
    record Extent(long start, long end) {
        static Extent of(LoadedModule m) {
            return new Extent(m.base(), m.end());
        }
    }

    static final long REACH = (2L << 30) - (64L << 20);
    private static final long ALIGN = 1L << 16;
    private static final long LOWEST = 1L << 20;
    /** The top of user space on x86-64 with 4-level paging. */
    private static final long USER_TOP = 0x7ffffffff000L;
    /** Kept free above the main executable for brk. */
    private static final long HEAP_ROOM = 1L << 30;
    /** Kept free below the main stack for its growth (the kernel's own mmap gap is at least 128 MiB). */
    private static final long STACK_ROOM = 256L << 20;

    private final Tracee tracee;
    private final SharedRegion region;
    /** Ranges no view may take besides the forbidden ones (an expansion: every range the recorded program mapped). */
    private final List<Extent> reserved;

    ViewPlacement(Tracee tracee, SharedRegion region, List<Extent> reserved) {
        this.tracee = tracee;
        this.region = region;
        this.reserved = List.copyOf(reserved);
    }

    /**
     * Creates the shared region with its first view placed for the module around
     * {@code address} in the stopped {@code tracee}, outside {@code reserved}.
     */
    static SharedRegion createNear(Tracee tracee, long address, RegionLayout layout, List<Extent> reserved) {
        int pid = tracee.pid();
        long hint = placement(ProcMaps.read(pid), with(forbidden(pid), reserved), extentAt(pid, address),
                layout.totalBytes());
        return SharedRegion.create(tracee, hint, layout);
    }

    static SharedRegion createNear(Tracee tracee, long address, RegionLayout layout) {
        return createNear(tracee, address, layout, List.of());
    }

    private static List<Extent> with(List<Extent> a, List<Extent> b) {
        List<Extent> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** A view that reaches all of {@code module}, or null. */
    CacheView existingViewFor(Extent module) {
        for (CacheView v : region.views()) {
            if (reaches(v.base(), v.end(), module)) {
                return v;
            }
        }
        return null;
    }

    /** The view that runs code of {@code module}, mapped now if no view reaches it; the tracee must be stopped. */
    CacheView viewFor(Extent module) {
        CacheView existing = existingViewFor(module);
        if (existing != null) {
            return existing;
        }
        long size = region.layout().totalBytes();
        long at = placement(ProcMaps.read(tracee.pid()), with(forbidden(tracee.pid()), reserved), module, size);
        if (at == 0) {
            throw new UnsupportedProgramException(String.format("no free address range within rel32 reach of the"
                    + " code at [0x%x, 0x%x) for a %d MiB code-cache view", module.start(), module.end(), size >> 20));
        }
        return region.addView(tracee, at);
    }

    static boolean reaches(long viewStart, long viewEnd, Extent module) {
        return viewEnd - module.start() < REACH && module.end() - viewStart < REACH;
    }

    /**
     * The free {@link #ALIGN}ed address closest to {@code module} where {@code size} bytes fit,
     * reach all of the module and overlap neither {@code maps} nor {@code forbidden}; 0 if none.
     * Candidates are the two ends of every gap between mappings and of every forbidden range,
     * which include the addresses right below and right above the module.
     */
    static long placement(List<MemoryMapping> maps, List<Extent> forbidden, Extent module, long size) {
        List<Long> candidates = new ArrayList<>();
        long previousEnd = LOWEST;
        List<MemoryMapping> sorted = new ArrayList<>(maps);
        sorted.sort((x, y) -> Long.compareUnsigned(x.start(), y.start()));
        for (MemoryMapping m : sorted) {
            candidates.add(alignUp(previousEnd));
            candidates.add(alignDown(m.start() - size));
            previousEnd = Math.max(previousEnd, m.end());
        }
        candidates.add(alignUp(previousEnd));
        candidates.add(alignDown(module.start() - size));
        candidates.add(alignUp(module.end()));
        for (Extent f : forbidden) {
            candidates.add(alignUp(f.end()));
            candidates.add(alignDown(f.start() - size));
        }
        long best = 0;
        long bestDistance = Long.MAX_VALUE;
        for (long c : candidates) {
            long end = c + size;
            if (c < LOWEST || end > USER_TOP || !reaches(c, end, module) || overlapsMaps(sorted, c, end)
                    || overlaps(forbidden, c, end)) {
                continue;
            }
            long distance = c < module.start() ? module.start() - end : c - module.end();
            if (distance < bestDistance) {
                best = c;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** Where the heap and the main stack must be able to grow. */
    static List<Extent> forbidden(int pid) {
        List<Extent> out = new ArrayList<>();
        List<MemoryMapping> maps = ProcMaps.read(pid);
        // Once the heap exists it grows from where it is: with ASLR it starts up to 1 GiB above the
        // executable (a process attached while it runs), and the gap below it stays free for a view.
        boolean heapPlaced = maps.stream().anyMatch(m -> m.path().filter("[heap]"::equals).isPresent());
        try {
            Path exe = Path.of("/proc/" + pid + "/exe").toRealPath();
            for (LoadedModule m : LoadedModule.group(maps)) {
                if (!heapPlaced && Path.of(m.path()).equals(exe)) {
                    out.add(new Extent(m.end(), m.end() + HEAP_ROOM));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (MemoryMapping m : maps) {
            if (m.path().filter("[stack]"::equals).isPresent()) {
                out.add(new Extent(m.start() - STACK_ROOM, m.end()));
            }
            if (m.path().filter("[heap]"::equals).isPresent()) {
                out.add(new Extent(m.start(), m.end() + HEAP_ROOM));
            }
        }
        return out;
    }

    /** The extent of the module holding {@code address}: its file's mappings, or the one mapping (the vDSO). */
    static Extent extentAt(int pid, long address) {
        List<MemoryMapping> maps = ProcMaps.read(pid);
        for (LoadedModule m : LoadedModule.group(maps)) {
            if (m.contains(address)) {
                return Extent.of(m);
            }
        }
        return maps.stream().filter(m -> m.contains(address)).findFirst().map(m -> new Extent(m.start(), m.end()))
                .orElseThrow(() -> new UnsupportedProgramException("the program jumps to unmapped memory at 0x"
                        + Long.toHexString(address)));
    }

    private static boolean overlapsMaps(List<MemoryMapping> maps, long start, long end) {
        for (MemoryMapping m : maps) {
            if (Long.compareUnsigned(m.start(), end) < 0 && Long.compareUnsigned(start, m.end()) < 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean overlaps(List<Extent> ranges, long start, long end) {
        for (Extent r : ranges) {
            if (r.start() < end && start < r.end()) {
                return true;
            }
        }
        return false;
    }

    private static long alignUp(long a) {
        return (a + ALIGN - 1) & -ALIGN;
    }

    private static long alignDown(long a) {
        return a & -ALIGN;
    }
}
