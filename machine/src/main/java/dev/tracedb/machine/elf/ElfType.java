package dev.tracedb.machine.elf;

/** {@code e_type}: what kind of ELF file this is. */
public enum ElfType {
    /** ET_REL: an object file. */
    RELOCATABLE(1),
    /** ET_EXEC: an executable loaded at its link-time addresses (non-PIE). */
    EXECUTABLE(2),
    /** ET_DYN: a shared library or a position-independent executable, loaded at a chosen base. */
    SHARED(3),
    /** ET_CORE */
    CORE(4);

    private final int value;

    ElfType(int value) {
        this.value = value;
    }

    static ElfType of(int value) {
        for (ElfType type : values()) {
            if (type.value == value) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown e_type " + value);
    }

    /** Whether the loader picks the base address, so file addresses need a load base added. */
    public boolean isRelocatable() {
        return this == SHARED || this == RELOCATABLE;
    }
}
