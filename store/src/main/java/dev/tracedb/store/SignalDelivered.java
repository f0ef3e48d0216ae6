package dev.tracedb.store;

/**
 * A signal was delivered to the recorded program.
 *
 * @param blockEvent the number of block events executed before delivery (stamped by the writer)
 * @param signo      the signal number
 * @param code       {@code si_code}
 * @param address    {@code si_addr} for faults, 0 otherwise
 */
public record SignalDelivered(long blockEvent, int signo, int code, long address) {
}
