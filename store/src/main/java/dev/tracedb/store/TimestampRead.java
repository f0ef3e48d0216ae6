package dev.tracedb.store;

/**
 * An {@code rdtsc} or {@code rdtscp} the recorded program executed, and what it read: the time-stamp
 * counter is an input like a syscall's result. Logged in execution order in an inputs-only run.
 *
 * @param blockEvent the number of block events executed before it (stamped by the writer)
 * @param value      the 64-bit counter (edx:eax)
 * @param aux        for rdtscp, the value it put in ecx; 0 for rdtsc
 * @param withAux    true for rdtscp
 */
public record TimestampRead(long blockEvent, long value, long aux, boolean withAux) {
}
