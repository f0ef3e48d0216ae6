package dev.tracedb.machine.x86.decode;

/** An explicit operand of an instruction, in Intel order (destination first). */
public sealed interface Operand permits RegisterOperand, ImmediateOperand, MemoryOperand {
    /** Size of the operand in bytes. */
    int sizeBytes();
}
