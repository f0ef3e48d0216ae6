package dev.tracedb.compiler.mining;

import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Segment;
import dev.tracedb.machine.elf.SegmentType;

/**
 * How an ELF file's link-time addresses map to module offsets. The recorder measures offsets from
 * where file offset 0 is mapped (the lowest mapping's start minus its file offset); the lowest
 * mapping is the first loadable segment's, page-aligned. So a module offset is the link-time
 * address minus the difference between that segment's page-aligned address and file offset: 0 for
 * a PIE or a library, 0x400000 for a classic static executable.
 */
public final class ModuleLayout {
    private static final long PAGE = 4096;

    private ModuleLayout() {
    }

    /** Link-time address minus module offset, for this file. */
    public static long linkTimeBias(ElfImage elf) {
        Segment first = elf.segments().stream().filter(s -> s.type() == SegmentType.LOAD)
                .min((a, b) -> Long.compareUnsigned(a.virtualAddress(), b.virtualAddress()))
                .orElseThrow(() -> new IllegalArgumentException(elf.path() + " has no loadable segment"));
        return (first.virtualAddress() & -PAGE) - (first.fileOffset() & -PAGE);
    }
}
