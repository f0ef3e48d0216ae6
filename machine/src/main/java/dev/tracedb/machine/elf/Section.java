package dev.tracedb.machine.elf;

/** A section header: where a named section is in memory and in the file. */
public record Section(String name, int type, long address, long fileOffset, long size) {
    /** SHT_NOBITS sections (.bss) occupy no bytes in the file. */
    public static final int TYPE_NOBITS = 8;

    public boolean contains(long address) {
        return address - this.address >= 0 && address - this.address < size;
    }
}
