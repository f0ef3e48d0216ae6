package dev.tracedb.recorder.dbi;

/**
 * One mapping of the shared region in the tracee. The region is mapped several times, once per
 * 2 GiB window of the address space that holds code (usually one near the executable and one near
 * the libraries), so that translated code always sits within rel32 reach of the module it came
 * from and of that module's RIP-relative data. Every view shows the same bytes: the control page,
 * the ring and the code arena are one; a block is emitted for, and only ever run through, the
 * view of its module. Code that refers only to the region itself (the prologue's slots, the
 * lookup routine) has the same displacements in every view. Immutable.
 *
 * @param index 0 for the first mapping, whose addresses the ring cursor holds
 * @param base  the view's first byte in the tracee
 * @param size  the region's size
 */
record CacheView(int index, long base, long size) {
    /** The tracee address of byte {@code offset} of the region, in this view. */
    CacheAddress at(long offset) {
        return CacheAddress.of(base + offset);
    }

    long end() {
        return base + size;
    }

    boolean contains(long traceeAddress) {
        return traceeAddress - base >= 0 && traceeAddress - base < size;
    }

    @Override
    public String toString() {
        return "view" + index + "@0x" + Long.toHexString(base);
    }
}
