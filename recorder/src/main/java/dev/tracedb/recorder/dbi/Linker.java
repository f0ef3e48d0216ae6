package dev.tracedb.recorder.dbi;

/**
 * Links a direct exit once its target is translated: the exit's rel32 branch is re-pointed from
 * its stub straight at the target block, so that path never leaves the cache again. A target in
 * another view out of rel32 reach (another module, far away) is reached through the stub's
 * absolute jump instead: its slot gets the target, the branch gets the jump.
 *
 * <p>Patching a live rel32 field is safe here because Java writes only while the tracee is
 * stopped (a ptrace stop, then the kernel's return to user mode, orders the store before the
 * tracee fetches the branch again). Unlinking (for a cache flush or self-modifying code) is not
 * implemented: nothing is ever removed from the cache.
 */
final class Linker {
    private final CodeCache cache;
    private long links;
    private long farLinks;

    Linker(CodeCache cache) {
        this.cache = cache;
    }

    void link(ExitStub stub, CacheAddress targetEntry) {
        if (stub.kind() != ExitStub.Kind.DIRECT) {
            throw new IllegalArgumentException("only direct exits are linked: " + stub);
        }
        if (CodeCache.inRel32Reach(stub.branchField(), targetEntry)) {
            cache.patchRel32(stub.branchField(), targetEntry);
        } else {
            // Slot first: the branch must never reach the jump while its slot is still empty.
            cache.putSlot(stub.farSlot(), targetEntry);
            cache.patchRel32(stub.branchField(), stub.farJump());
            farLinks++;
        }
        links++;
    }

    /** Exits linked through an absolute jump so far. */
    long farLinks() {
        return farLinks;
    }

    /** Exits linked so far. */
    long links() {
        return links;
    }
}
