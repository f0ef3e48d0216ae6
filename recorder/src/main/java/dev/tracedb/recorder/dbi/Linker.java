package dev.tracedb.recorder.dbi;

/**
 * Links a direct exit once its target is translated: the exit's rel32 branch is re-pointed from
 * its stub straight at the target block, so that path never leaves the cache again.
 *
 * <p>Patching a live rel32 field is safe here because Java writes only while the tracee is
 * stopped (a ptrace stop, then the kernel's return to user mode, orders the store before the
 * tracee fetches the branch again). Unlinking (for a cache flush or self-modifying code) is not
 * implemented: nothing is ever removed from the cache.
 */
final class Linker {
    private final CodeCache cache;
    private long links;

    Linker(CodeCache cache) {
        this.cache = cache;
    }

    void link(ExitStub stub, CacheAddress targetEntry) {
        if (stub.kind() != ExitStub.Kind.DIRECT) {
            throw new IllegalArgumentException("only direct exits are linked: " + stub);
        }
        cache.patchRel32(stub.branchField(), targetEntry);
        links++;
    }

    /** Exits linked so far. */
    long links() {
        return links;
    }
}
