package dev.tracedb.machine.x86.decode;

/** The decoder's native library (libcapstone 4) cannot be loaded or is the wrong version. */
public final class DecoderUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DecoderUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
