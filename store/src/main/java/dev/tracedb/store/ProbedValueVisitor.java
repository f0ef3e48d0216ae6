package dev.tracedb.store;

/**
 * Receives a run's value-probe samples from {@link RunReader#probedValues}, in execution order.
 */
@FunctionalInterface
public interface ProbedValueVisitor {
    /**
     * One sample.
     *
     * @param blockEvent the 0-based index, in the run's block stream, of the block event whose
     *                   execution ran the probed instruction (the index {@link RunReader#batchAtBlockEvent} seeks by)
     * @param site       the index of the site in {@link ProbeWindow#sites()}
     * @param value      the destination register's full 64-bit value after the instruction
     */
    void value(long blockEvent, int site, long value);
}
