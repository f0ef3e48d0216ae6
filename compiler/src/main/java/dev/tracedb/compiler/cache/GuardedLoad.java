package dev.tracedb.compiler.cache;

/**
 * A value guard a trace's code applies: the load at {@code offset} of the trace's module is
 * compared with {@code value} instead of made, and what the trace computes from it is folded
 * (see {@code codegen.ValueGuards}). For {@code tracedb traces}; the loader does not need it.
 *
 * @param traceId the trace
 * @param offset  the load's offset in the trace's module
 * @param value   the value the trace assumes (a mismatch side-exits after the original load)
 */
public record GuardedLoad(int traceId, long offset, long value) {
}
