package dev.tracedb.compiler.codegen;

/**
 * Thrown while emitting a trace that cannot be copied exactly; the generator catches it, drops
 * that trace and reports the message as a {@link Refusal}. Never escapes the package.
 */
final class TraceRefusedException extends RuntimeException {
    TraceRefusedException(String reason) {
        super(reason, null, false, false);
    }
}
