package dev.tracedb.machine.linux;

import java.util.Arrays;

/**
 * A copy of a tracee thread's general-purpose registers ({@code PTRACE_GETREGS}). Changing it
 * changes nothing in the tracee until it is written back with {@link Tracee#setRegisters}.
 * Not thread-safe; it is a plain value.
 */
public final class Registers {
    private final long[] values;

    Registers(long[] values) {
        if (values.length != Register.values().length) {
            throw new IllegalArgumentException("user_regs_struct has 27 fields, got " + values.length);
        }
        this.values = values;
    }

    public long get(Register register) {
        return values[register.ordinal()];
    }

    public Registers set(Register register, long value) {
        values[register.ordinal()] = value;
        return this;
    }

    public RemoteAddress rip() {
        return RemoteAddress.of(get(Register.RIP));
    }

    public Registers setRip(RemoteAddress rip) {
        return set(Register.RIP, rip.value());
    }

    public RemoteAddress rsp() {
        return RemoteAddress.of(get(Register.RSP));
    }

    public long rax() {
        return get(Register.RAX);
    }

    public RemoteAddress fsBase() {
        return RemoteAddress.of(get(Register.FS_BASE));
    }

    public long eflags() {
        return get(Register.EFLAGS);
    }

    /** An independent copy. */
    public Registers copy() {
        return new Registers(values.clone());
    }

    long[] raw() {
        return values;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Registers other && Arrays.equals(values, other.values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Registers{");
        for (Register r : Register.values()) {
            if (r.ordinal() > 0) {
                s.append(", ");
            }
            s.append(r.name().toLowerCase()).append("=0x").append(Long.toHexString(get(r)));
        }
        return s.append('}').toString();
    }
}
