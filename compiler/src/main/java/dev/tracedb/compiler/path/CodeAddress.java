package dev.tracedb.compiler.path;

/**
 * An original code address, position-independent: a module (an index into
 * {@link TraceSelection#modules()}) and an offset from that module's base.
 */
public record CodeAddress(int moduleIndex, long offset) {
    public CodeAddress {
        if (moduleIndex < 0) throw new IllegalArgumentException("moduleIndex < 0: " + moduleIndex);
        if (offset < 0) throw new IllegalArgumentException("offset < 0: " + offset);
    }

    @Override
    public String toString() {
        return "m" + moduleIndex + "+0x" + Long.toHexString(offset);
    }
}
