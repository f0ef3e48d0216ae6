package dev.tracedb.machine.x86.decode;

/**
 * An immediate. For relative branches Capstone has already resolved it to the absolute target
 * address, which is what {@link Instruction#directTarget()} reports.
 */
public record ImmediateOperand(long value, int sizeBytes) implements Operand {
}
