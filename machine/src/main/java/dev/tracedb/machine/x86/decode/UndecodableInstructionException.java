package dev.tracedb.machine.x86.decode;

import java.util.HexFormat;

/** The bytes at {@link #address()} are not an x86-64 instruction Capstone knows. */
public final class UndecodableInstructionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long address;

    public UndecodableInstructionException(long address, byte[] bytes, String reason) {
        super(String.format("cannot decode the instruction at 0x%x (bytes %s): %s",
                address, HexFormat.ofDelimiter(" ").formatHex(bytes), reason));
        this.address = address;
    }

    public long address() {
        return address;
    }
}
