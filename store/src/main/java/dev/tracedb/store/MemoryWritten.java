package dev.tracedb.store;

import java.util.Arrays;

/**
 * Bytes the kernel wrote into the recorded program's memory: an input of an inputs-only run
 * ({@link RunInfo#inputsOnly()}). After a {@link SyscallResult}, the output of that syscall (a read's
 * buffer, a stat structure), in the order written; before the first syscall, what the kernel placed on
 * the initial stack that differs from one exec to the next (the auxiliary vector's random bytes).
 *
 * @param blockEvent the number of block events executed before it (stamped by the writer; 0 in an
 *                   inputs-only run, which has none)
 * @param address    where in the program's address space
 * @param bytes      what was written there
 */
public record MemoryWritten(long blockEvent, long address, byte[] bytes) {
    public MemoryWritten {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MemoryWritten m && blockEvent == m.blockEvent && address == m.address
                && Arrays.equals(bytes, m.bytes);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(address) * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "MemoryWritten[blockEvent=" + blockEvent + ", address=0x" + Long.toHexString(address) + ", "
                + bytes.length + " bytes]";
    }
}
