package dev.tracedb.machine.x86.decode;

import java.util.Objects;

public record RegisterOperand(Register register, int sizeBytes, Access access) implements Operand {
    public RegisterOperand {
        Objects.requireNonNull(register, "register");
        Objects.requireNonNull(access, "access");
    }
}
